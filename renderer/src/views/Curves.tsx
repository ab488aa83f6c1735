// Curves: one metric against step, one line per block of the chosen component, the runs shown
// side by side overlaid (told apart by line style), with the training-log loss and the probe loss
// in a strip underneath on the same step axis; change points, forecasts, the regime timeline and
// the learning rate are drawn over it (common/charts/trajectory-overlays.ts); steps or tokens seen.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Response, ScalarGrid, TrajectoriesResult } from '../../../common/api';
import { bandSeries, blockLabel, chooseLogY, compareCurves, curvesOption, linesFromGrid, panelTitle, panelsFromGrid, tokensOfSteps, valueAt, withTrajectoryOverlays, type ChangeMark, type ForecastBand, type LossLine } from '../../../common/charts';
import type { RunInfo } from '../../../common/domain';
import { Chart, type ChartHandle } from '../components/Chart';
import { ExportMenu } from '../components/ExportMenu';
import { MetricSelect, metricLike } from '../components/MetricSelect';
import { errorMessage, useAppState } from '../context';
import { replaceRouteParams } from '../routes';
import type { RunContext } from '../run-context';

interface RunData {
  runId: string;
  runName: string;
  grid: ScalarGrid | null;
  probeLoss: ScalarGrid | null;
  run: RunInfo | null;
  error: string | null;
}

/** Derived from the cached values (main/store/trajectories.ts), loaded after the curves themselves. */
interface RunTrajectories {
  runId: string;
  metric: string;
  trajectories: TrajectoriesResult | null;
  timeline: Response<'regimeTimeline'> | null;
}

export function Curves({ ctx }: { ctx: RunContext }) {
  const { client } = useAppState();
  const [data, setData] = useState<RunData[]>([]);
  const [panelKey, setPanelKey] = useState<string>('');
  const [yLog, setYLog] = useState(() => ctx.params.get('ylog') !== '0');
  const [smoothing, setSmoothing] = useState(() => Math.min(0.95, Math.max(0, Number(ctx.params.get('smoothing')) || 0)));
  const [showChanges, setShowChanges] = useState(true);
  const [showForecast, setShowForecast] = useState(false);
  // Steps or tokens: the run page's choice, shared with every view (views/x-axis.tsx).
  const [xAxis, setXAxis] = [ctx.xUnit, ctx.setXUnit];
  const chart = useRef<ChartHandle>(null);
  // A comparison colours lines by run (fixed colours, seed groups as bands) and may show one block.
  const [colourBy, setColourBy] = useState<'run' | 'block'>(() => (ctx.params.get('colour') === 'block' ? 'block' : 'run'));
  const [blockPick, setBlockPick] = useState(() => ctx.params.get('block') ?? '');
  const byRun = ctx.runs.length > 1 && colourBy === 'run';
  const runKey = ctx.runs.map((r) => r.id).join(',');

  useEffect(() => {
    let live = true;
    const runs = ctx.runs.length ? ctx.runs : [{ id: ctx.runId, name: ctx.run.name }];
    Promise.all(
      runs.map(async (r): Promise<RunData> => {
        try {
          const [grid, run, probeLoss] = await Promise.all([
            client.api.scalarGrid({ runId: r.id, metric: ctx.metric }),
            r.id === ctx.runId ? Promise.resolve({ run: ctx.run as unknown as Record<string, unknown> }) : client.api.getRun({ runId: r.id }),
            client.api.scalarGrid({ runId: r.id, metric: 'loss' }).catch(() => null),
          ]);
          return { runId: r.id, runName: r.name, grid, probeLoss, run: run.run as unknown as RunInfo, error: null };
        } catch (e) {
          return { runId: r.id, runName: r.name, grid: null, probeLoss: null, run: null, error: errorMessage(e) };
        }
      }),
    ).then((d) => live && setData(d));
    return () => {
      live = false;
    };
  }, [runKey, ctx.metric, ctx.dataVersion, client]);

  // Change points, forecasts and the regime timeline: computed (then cached) by the engine on the
  // first request, so they arrive after the curves and never hold them up.
  const [derived, setDerived] = useState<RunTrajectories[]>([]);
  const loaded = data.length > 0;
  // The chart is drawn once, with its overlays: a second draw when they arrive would hide a
  // tooltip the reader (or a test) is already looking at.
  const derivedReady = derived.length > 0 && derived.every((d) => d.metric === ctx.metric);
  useEffect(() => {
    // Asked only once the curves are in: the first request computes, and the curves come first.
    if (!loaded) return;
    let live = true;
    const runs = ctx.runs.length ? ctx.runs : [{ id: ctx.runId, name: ctx.run.name }];
    Promise.all(
      runs.map(async (r): Promise<RunTrajectories> => ({
        runId: r.id,
        metric: ctx.metric,
        trajectories: await client.api.trajectories({ runId: r.id, metric: ctx.metric, forecast: showForecast }).catch(() => null),
        timeline: r.id === ctx.runId ? await client.api.regimeTimeline({ runId: r.id }).catch(() => null) : null,
      })),
    ).then((d) => live && setDerived(d));
    return () => {
      live = false;
    };
  }, [runKey, ctx.metric, ctx.dataVersion, client, showForecast, loaded]);

  const metric = metricLike(ctx.metric);
  const panelKeys = useMemo(() => {
    const keys: Array<{ key: string; label: string }> = [];
    for (const d of data) {
      if (!d.grid) continue;
      for (const p of panelsFromGrid(d.grid, d.runName, metric)) {
        const key = `${p.component}|${p.kind}`;
        if (!keys.some((k) => k.key === key)) keys.push({ key, label: panelTitle(p) });
      }
    }
    return keys;
  }, [data]);
  // Default: the first component with several blocks (a single embed row makes a dull first view).
  const multiBlock = panelKeys.find((k) => data.some((d) => d.grid && linesFromGrid(d.grid, d.runName, 0, ...(k.key.split('|') as [string, string])).length > 1));
  const linked = ctx.params.get('component');
  const chosen = panelKeys.some((k) => k.key === panelKey) ? panelKey : panelKeys.some((k) => k.key === linked) ? linked! : (multiBlock?.key ?? panelKeys[0]?.key ?? '');
  const initialTensor = ctx.params.get('tensor');
  // Deep link: component, log y and smoothing in the address (the metric and steps: RunPage).
  useEffect(() => {
    replaceRouteParams({ component: chosen || null, ylog: yLog ? null : '0', smoothing: smoothing > 0 ? String(smoothing) : null, colour: colourBy === 'block' ? 'block' : null, block: blockPick || null });
  }, [chosen, yLog, smoothing, colourBy, blockPick]);
  const blockChoices = useMemo(() => {
    const [component = '', kind = ''] = chosen.split('|');
    return [...new Set(data.flatMap((d) => (d.grid ? linesFromGrid(d.grid, d.runName, 0, component, kind).map((l) => blockLabel(l.block)) : [])))];
  }, [data, chosen]);
  const block = blockChoices.includes(blockPick) ? blockPick : '';
  useEffect(() => {
    if (!initialTensor) return;
    const t = ctx.tensors.find((x) => x.tensor === initialTensor);
    if (t) setPanelKey(`${t.component}|${t.kind}`);
  }, [initialTensor, ctx.tensors]);

  // What the y axis really is: "log y" is ticked only when the axis is logarithmic (a log axis
  // is refused for values ≤ 0 or spanning under a decade, and the box then says why).
  const yAxis = useMemo(() => {
    const [component = '', kind = ''] = chosen.split('|');
    return chooseLogY(true, data.flatMap((d, i) => (d.grid ? linesFromGrid(d.grid, d.runName, i, component, kind) : [])));
  }, [data, chosen]);

  // The tokens axis needs every shown run's token counts (read, or the user's tokens per step).
  const tokenMaps = useMemo(() => data.map((d) => (d.run ? tokensOfSteps(d.run.checkpoints) : null)), [data]);
  const tokensAvailable = data.length > 0 && tokenMaps.every((m) => m !== null);
  const byTokens = xAxis === 'tokens' && tokensAvailable;

  const option = useMemo(() => {
    const [component = '', kind = ''] = chosen.split('|');
    // Steps -> the x quantity of run i (identity, or tokens seen).
    const xOf = (i: number) => (s: number): number => (byTokens ? tokenMaps[i](s) : s);
    const mapped = data.map((d, i) => (d.grid ? { runId: d.runId, runName: d.runName, colourSlot: ctx.runs.find((r) => r.id === d.runId)?.colourSlot, grid: { ...d.grid, steps: d.grid.steps.map(xOf(i)) } } : null));
    const compared = byRun ? compareCurves({ runs: mapped.filter((m) => m !== null), component, kind, block: block || undefined, band: ctx.band }) : null;
    const lines = compared ? compared.lines : mapped.flatMap((m, i) => (m ? linesFromGrid(m.grid, m.runName, i, component, kind).filter((l) => !block || blockLabel(l.block) === block) : []));
    const loss: LossLine[] = [];
    const learningRate: { runName: string; steps: number[]; values: number[] }[] = [];
    data.forEach((d, i) => {
      const log = (d.run?.trainingLog ?? []).filter((e) => typeof e.loss === 'number');
      if (log.length) loss.push({ runName: d.runName, runIndex: i, label: 'training loss', steps: log.map((e) => xOf(i)(e.step)), values: log.map((e) => e.loss!) });
      const probeIndex = d.probeLoss?.tensors.findIndex((t) => t.tensor === 'probe') ?? -1;
      if (d.probeLoss && probeIndex >= 0) {
        loss.push({ runName: d.runName, runIndex: i, label: 'probe loss', steps: d.probeLoss.steps.map(xOf(i)), values: d.probeLoss.values[probeIndex] });
      }
      const lr = (d.run?.trainingLog ?? []).filter((e) => typeof e.learning_rate === 'number');
      if (lr.length) learningRate.push({ runName: d.runName, steps: lr.map((e) => xOf(i)(e.step)), values: lr.map((e) => e.learning_rate!) });
    });
    const title = `${component}${kind && kind !== 'weight' ? ` (${kind})` : ''} · ${data.map((d) => d.runName).join(' vs ')}`;
    const base = curvesOption({ title, metric, lines, loss, stepScale: ctx.stepScale, yLog, smoothing, interactive: true, xName: byTokens ? 'tokens' : 'step' });
    const shown = new Set(lines.map((l) => l.tensor));
    const changes: ChangeMark[] = [];
    const forecasts: ForecastBand[] = [];
    data.forEach((d, i) => {
      const tr = derived.find((x) => x.runId === d.runId)?.trajectories;
      if (!d.grid || !tr) return;
      const meta = new Map(d.grid.tensors.map((t, r) => [t.tensor, { t, r }]));
      for (const c of showChanges ? tr.changePoints : []) {
        const m = meta.get(c.tensor);
        if (!m || !shown.has(c.tensor) || m.t.component !== component || m.t.kind !== kind) continue;
        const v = valueAt(d.grid.steps, d.grid.values[m.r], c.step);
        if (v !== null) changes.push({ runName: d.runName, tensor: c.tensor, block: m.t.block, step: xOf(i)(c.step), value: v, strength: c.strength });
      }
      for (const f of showForecast ? tr.forecasts : []) {
        const m = meta.get(f.tensor);
        if (!m || m.t.component !== component || m.t.kind !== kind) continue;
        forecasts.push({ runName: d.runName, runIndex: i, tensor: f.tensor, block: m.t.block, form: f.form, points: f.points.map((p) => ({ ...p, step: xOf(i)(p.step) })) });
      }
    });
    const main = data.findIndex((d) => d.runId === ctx.runId);
    const mainTimeline = derived.find((x) => x.runId === ctx.runId)?.timeline;
    const timeline = main >= 0 && mainTimeline ? mainTimeline.entries.map((e) => ({ ...e, step: xOf(main)(e.step) })) : [];
    const drawn = withTrajectoryOverlays(base, { stepScale: ctx.stepScale, yLog: yLog && yAxis.log, blocks: lines.map((l) => l.block), changes, forecasts, timeline, learningRate });
    return compared?.bands.length ? { ...drawn, series: [...(drawn.series as object[]), ...bandSeries(compared.bands, ctx.stepScale, yLog && yAxis.log)] } : drawn;
  }, [data, derived, chosen, ctx.stepScale, yLog, smoothing, showChanges, showForecast, byTokens, tokenMaps, yAxis.log, byRun, block, ctx.band, ctx.runs]);

  return (
    <div className="curves">
      <div className="controls" role="group" aria-label="Curve settings">
        <label htmlFor="cv-metric">Metric</label>
        <MetricSelect id="cv-metric" value={ctx.metric} onChange={ctx.setMetric} available={ctx.metrics} />
        <label htmlFor="cv-component">Component</label>
        <select id="cv-component" value={chosen} onChange={(e) => setPanelKey(e.target.value)} data-testid="component-select">
          {panelKeys.map((k) => (
            <option key={k.key} value={k.key}>
              {k.label}
            </option>
          ))}
        </select>
        <label htmlFor="cv-block">Block</label>
        <select id="cv-block" value={block} onChange={(e) => setBlockPick(e.target.value)} data-testid="block-select">
          <option value="">all</option>
          {blockChoices.map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </select>
        {ctx.runs.length > 1 && (
          <>
            <label htmlFor="cv-colour">Colour by</label>
            <select id="cv-colour" value={colourBy} onChange={(e) => setColourBy(e.target.value as 'run' | 'block')} data-testid="colour-by">
              <option value="run">run (fixed colours{ctx.band !== 'none' ? ', seed bands' : ''})</option>
              <option value="block">block (runs by line style)</option>
            </select>
          </>
        )}
        <label htmlFor="cv-steps">Steps</label>
        <select id="cv-steps" value={ctx.stepScale} onChange={(e) => ctx.setStepScale(e.target.value as 'log' | 'linear')}>
          <option value="log">log</option>
          <option value="linear">linear</option>
        </select>
        <label htmlFor="cv-x">Axis</label>
        <select id="cv-x" value={byTokens ? 'tokens' : 'step'} onChange={(e) => setXAxis(e.target.value as 'step' | 'tokens')} data-testid="x-axis" title={tokensAvailable ? 'Plot against training step or tokens seen' : 'Tokens seen are unknown for this run (no trainer_state.json counts): give tokens per step on the run page'}>
          <option value="step">step</option>
          <option value="tokens" disabled={!tokensAvailable}>tokens seen</option>
        </select>
        <label className="check" title="Checkpoints where a line's regime changes (PELT in log-step; docs/ARCHITECTURE.md)">
          <input type="checkbox" checked={showChanges} onChange={(e) => setShowChanges(e.target.checked)} data-testid="show-change-points" /> change points
          {showChanges && derived.length > 0 && <span className="muted" data-testid="change-point-count"> ({derived.reduce((n, d) => n + (d.trajectories?.changePoints.length ?? 0), 0)} in this metric)</span>}
        </label>
        <label className="check" title="Fit saturating / power-law / rise-and-decay forms (chosen by held-out error) and extrapolate to twice the last step with a 95% band">
          <input type="checkbox" checked={showForecast} onChange={(e) => setShowForecast(e.target.checked)} data-testid="show-forecast" /> forecast
        </label>
        <label className="check" title={yAxis.why && !yAxis.log && yLog ? yAxis.why : undefined}>
          <input type="checkbox" checked={yLog && yAxis.log} disabled={yLog && !yAxis.log} onChange={(e) => setYLog(e.target.checked)} data-testid="log-y" /> log y
          {yLog && !yAxis.log && <span className="muted"> ({yAxis.why})</span>}
        </label>
        <label htmlFor="cv-smoothing">Smoothing</label>
        <input
          id="cv-smoothing"
          type="range"
          min={0}
          max={0.95}
          step={0.05}
          value={smoothing}
          onChange={(e) => setSmoothing(Number(e.target.value))}
          aria-valuetext={smoothing > 0 ? `EMA weight ${smoothing}` : 'off'}
          data-testid="smoothing"
        />
        <output htmlFor="cv-smoothing" className="muted">
          {smoothing > 0 ? smoothing.toFixed(2) : 'off'}
        </output>
        <button type="button" onClick={() => chart.current?.instance()?.dispatchAction({ type: 'dataZoom', start: 0, end: 100 })} title="Wheel zooms the step axis, drag pans it" data-testid="reset-zoom">
          Reset zoom
        </button>
        <ExportMenu
          formats={['png', 'svg', 'csv']}
          request={
            chosen
              ? {
                  runId: ctx.runId,
                  view: 'curves',
                  metric: ctx.metric,
                  component: chosen.split('|')[0],
                  kind: chosen.split('|')[1] || undefined,
                  yLog,
                  ...(byRun ? { compare: ctx.runs.slice(1).map((r) => r.id), ...(block ? { block } : {}), ...(ctx.band !== 'none' ? { band: ctx.band } : {}) } : {}),
                }
              : null
          }
          what={`${metric.label} curves of ${panelKeys.find((k) => k.key === chosen)?.label ?? 'the component'} in ${ctx.runs.map((r) => r.name).join(', ') || ctx.run.name}`}
          testId="export-curves"
        />
      </div>
      {data.map((d) => d.error && (
        <p key={d.runId} className="notice error" role="alert">
          {d.runName}: {d.error}
        </p>
      ))}
      {panelKeys.length === 0 && data.length > 0 ? (
        <p className="notice warn">No values of {metric.label} in the cache yet: run an analysis above.</p>
      ) : (
        derivedReady && <Chart ref={chart} option={option} height={560} ariaLabel={`${metric.label} against training step, one line per block; hover for values, wheel to zoom, drag to pan`} testId="curves-chart" dataAttributes={{ 'y-scale': yLog && yAxis.log ? 'log' : 'linear', bands: String((option.series as Array<{ type?: string }>).filter((x) => x.type === 'custom').length), runs: String(ctx.runs.length) }} />
      )}
    </div>
  );
}
