// Scaling: one metric of several runs against model size (parameters counted from config.json,
// main/architectures/params.ts) at a matched step or token count, one line per depth fraction of
// a component (0, 0.25, 0.5, 0.75, 1 of depth: nearest block) or per component, on log-log axes
// with each line's slope: "do outlier norms scale with model size?" (the study). The numbers
// come from the engine (API `scaling`, main/store/scaling.ts states the matching rules); the chart
// from common/charts/scaling.ts, the same builder the PNG/SVG/GIF exporter draws with.
// The runs: those compared on the run page, else every run of the same family; any run of the
// library can be ticked. The matched point moves with a slider (keyboard: arrows, Home/End).
import { useEffect, useMemo, useState } from 'react';
import type { ScalingRequest, ScalingResult } from '../../../common/api';
import { METRIC_BY_ID } from '../../../common/catalogue';
import { formatParams, formatStep, formatValue, runStyles, scalingOption, scalingWhen } from '../../../common/charts';
import { Chart } from '../components/Chart';
import { ExportMenu } from '../components/ExportMenu';
import { MetricSelect } from '../components/MetricSelect';
import { errorMessage, useAppState } from '../context';
import { replaceRouteParams } from '../routes';
import type { RunContext } from '../run-context';

/** Components with per-block tensors in the run (the depth lines' choices). */
function blockComponents(ctx: RunContext, metricAppliesTo: string | undefined): string[] {
  const activation = metricAppliesTo === 'activation';
  const list = ctx.tensors.filter((t) => (typeof t.block === 'number' || t.block === 'embed') && (activation ? t.kind === 'other' : t.kind === 'weight')).map((t) => t.component);
  return [...new Set(list)];
}

export function Scaling({ ctx }: { ctx: RunContext }) {
  const { client, runs } = useAppState();
  // The user's choice, else the study's example (residual max |x|) once the run's metrics are known.
  const [picked, setMetric] = useState<string | null>(() => ctx.params.get('smetric'));
  const metric = picked ?? (ctx.metrics.includes('max_abs') ? 'max_abs' : ctx.metrics.includes(ctx.metric) ? ctx.metric : (ctx.metrics[0] ?? 'max_abs'));
  const [lines, setLines] = useState<'depth' | 'component'>(() => (ctx.params.get('lines') === 'component' ? 'component' : 'depth'));
  const [component, setComponent] = useState<string>('');
  const [reduce, setReduce] = useState<'at' | 'max-ever'>(() => (ctx.params.get('reduce') === 'at' ? 'at' : 'max-ever'));
  // Matched by the run page's shared step/tokens choice (common/charts/step-axis.ts, views/x-axis.tsx).
  const align = ctx.xUnit;
  const setAlign = ctx.setXUnit;
  const [paramsKind, setParamsKind] = useState<'total' | 'non-embedding'>('total');
  const [at, setAt] = useState<number | undefined>(undefined);
  const family = ctx.run.family;
  const defaultRuns = useMemo(() => (ctx.runs.length > 1 ? ctx.runs.map((r) => r.id) : (runs ?? []).filter((r) => r.family === family).map((r) => r.id)), [ctx.runs, runs, family]);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const runIds = chosen ?? (defaultRuns.length ? defaultRuns : [ctx.runId]);
  const def = METRIC_BY_ID.get(metric);
  const components = blockComponents(ctx, def?.appliesTo);
  const kind = def?.appliesTo === 'activation' || def?.appliesTo === 'probe' ? undefined : 'weight';

  useEffect(() => replaceRouteParams({ smetric: picked, lines: lines === 'depth' ? null : lines, reduce: reduce === 'max-ever' ? null : reduce }), [picked, lines, reduce]);

  const request: ScalingRequest = useMemo(
    () => ({ runIds, metric, lines, reduce, align, params: paramsKind, ...(kind ? { kind } : {}), ...(lines === 'depth' && component && components.includes(component) ? { component } : {}), ...(at !== undefined ? { at } : {}) }),
    [runIds.join(','), metric, lines, reduce, align, paramsKind, kind, component, components.join(','), at],
  );
  const [result, setResult] = useState<{ data: ScalingResult | null; error: string | null }>({ data: null, error: null });
  useEffect(() => {
    let live = true;
    if (request.runIds.length === 0) {
      setResult({ data: null, error: 'Tick at least one run.' });
      return;
    }
    client.api.scaling(request).then(
      (data) => live && setResult({ data, error: null }),
      (e) => live && setResult({ data: null, error: errorMessage(e) }),
    );
    return () => {
      live = false;
    };
  }, [client, request, ctx.dataVersion]);
  const data = result.data;
  const option = useMemo(() => (data ? scalingOption(data, { interactive: true }) : null), [data]);
  // The runs' own colours, as the chart rings their points (scalingOption computes the same).
  const tableStyles = useMemo(() => runStyles((data?.runs ?? []).map((r) => ({ id: r.runId, colourSlot: r.colourSlot }))), [data]);
  const axis = data?.axis ?? [];
  const atIndex = data && data.at !== null ? Math.max(0, axis.findIndex((v) => v >= data.at!)) : axis.length - 1;
  const drawn = data?.runs.filter((r) => r.params !== null && r.values.some((v) => v !== null && v > 0)).length ?? 0;
  const toggleRun = (id: string, on: boolean) => setChosen(on ? [...new Set([...runIds, id])] : runIds.filter((x) => x !== id));

  return (
    <div className="scaling" data-testid="scaling-view">
      <div className="controls" role="group" aria-label="Scaling settings">
        <label htmlFor="sc-metric">Metric</label>
        <MetricSelect id="sc-metric" value={metric} onChange={(m) => { setMetric(m); setComponent(''); }} available={ctx.metrics} filter={(m) => METRIC_BY_ID.get(m)?.appliesTo !== 'probe'} />
        <label htmlFor="sc-lines">Lines</label>
        <select id="sc-lines" value={lines} onChange={(e) => setLines(e.target.value as 'depth' | 'component')} data-testid="scaling-lines">
          <option value="depth">per depth fraction</option>
          <option value="component">per component (max over blocks)</option>
        </select>
        {lines === 'depth' && (
          <>
            <label htmlFor="sc-component">Component</label>
            <select id="sc-component" value={data?.component ?? component} onChange={(e) => setComponent(e.target.value)} data-testid="scaling-component">
              {components.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </>
        )}
        <label htmlFor="sc-reduce">Value</label>
        <select id="sc-reduce" value={reduce} onChange={(e) => setReduce(e.target.value as 'at' | 'max-ever')} data-testid="scaling-reduce">
          <option value="max-ever">max ever (up to the matched point)</option>
          <option value="at">at the matched point</option>
        </select>
        <label htmlFor="sc-align">Match by</label>
        <select id="sc-align" value={align} onChange={(e) => { setAlign(e.target.value as 'step' | 'tokens'); setAt(undefined); }} data-testid="scaling-align">
          <option value="step">step</option>
          <option value="tokens">tokens seen</option>
        </select>
        <label htmlFor="sc-params">x axis</label>
        <select id="sc-params" value={paramsKind} onChange={(e) => setParamsKind(e.target.value as 'total' | 'non-embedding')}>
          <option value="total">all parameters</option>
          <option value="non-embedding">non-embedding parameters</option>
        </select>
        <ExportMenu
          formats={['png', 'svg', 'gif', 'csv']}
          request={null}
          render={(format) => client.api.scalingExport({ ...request, ...(data?.at !== null && data?.at !== undefined ? { at: data.at } : {}), format })}
          what={`scaling of ${def?.label ?? metric} over ${runIds.length} runs`}
          testId="export-scaling"
        />
      </div>
      <fieldset className="controls" data-testid="scaling-runs">
        <legend>Runs ({runIds.length} chosen)</legend>
        {(runs ?? []).map((r) => (
          <label key={r.id} className="check" title={r.summary}>
            <input type="checkbox" value={r.id} data-testid="run-choice" checked={runIds.includes(r.id)} onChange={(e) => toggleRun(r.id, e.target.checked)} /> {r.name}
          </label>
        ))}
      </fieldset>
      {axis.length > 0 && (
        <div className="controls" role="group" aria-label="Matched point">
          <label htmlFor="sc-at">Matched {align === 'tokens' ? 'tokens' : 'step'}</label>
          <input
            id="sc-at"
            type="range"
            min={0}
            max={axis.length - 1}
            step={1}
            value={atIndex}
            onChange={(e) => setAt(axis[Number(e.target.value)])}
            aria-valuetext={data ? scalingWhen(data) : ''}
            data-testid="scaling-at"
          />
          <output htmlFor="sc-at" data-testid="scaling-at-label">
            {data ? scalingWhen(data) : ''}
          </output>
          <button type="button" onClick={() => setAt(undefined)} title="The furthest point every chosen run reached">
            Latest common
          </button>
        </div>
      )}
      {result.error && (
        <p className="notice error" role="alert">
          {result.error}
        </p>
      )}
      {data && drawn === 0 && <p className="notice warn">Nothing to draw: no chosen run has both a parameter count and a positive value (see the table; run the {def?.analysis ?? ''} analysis on each run).</p>}
      {option && drawn > 0 && <Chart option={option} height={480} ariaLabel={`${data!.label} against parameters on log-log axes, ${data!.series.length} lines, ${drawn} runs, ${scalingWhen(data!)}`} testId="scaling-chart" dataAttributes={{ runs: String(drawn) }} />}
      {data && (
        <table className="table" data-testid="scaling-table" data-colours={data.runs.map((r) => tableStyles.get(r.runId)?.colour).join(',')}>
          <caption>
            {data.label} ({data.unit}) {scalingWhen(data)}; parameters counted in closed form from each run's config.json (every trainable parameter, a tied head once; non-embedding leaves out embeddings and an untied head)
          </caption>
          <thead>
            <tr>
              <th scope="col">run</th>
              <th scope="col">parameters</th>
              <th scope="col">matched checkpoint</th>
              {data.series.map((s) => (
                <th key={s.id} scope="col" title={s.slope === null ? undefined : `log-log slope ${s.slope.toFixed(3)}`}>
                  {s.label}
                </th>
              ))}
              <th scope="col">note</th>
            </tr>
          </thead>
          <tbody>
            {data.runs.map((r) => (
              <tr key={r.runId}>
                <th scope="row">
                  <span className="swatch" style={{ background: tableStyles.get(r.runId)?.colour }} aria-hidden="true" /> {r.name}
                </th>
                <td title={r.paramsMethod}>{r.params === null ? '–' : `${formatParams(r.params)} (${r.params.toLocaleString('en')})`}</td>
                <td>{r.checkpointId ? `${r.checkpointId}${r.tokens !== null ? ` · ${formatStep(r.tokens)} tokens` : ''}` : '–'}</td>
                {r.values.map((v, i) => (
                  <td key={i} title={r.tensors[i] ?? undefined}>
                    {formatValue(v)}
                  </td>
                ))}
                <td className="muted">{r.note ?? ''}</td>
              </tr>
            ))}
            <tr>
              <th scope="row">log-log slope</th>
              <td colSpan={2} className="muted">
                value ∝ parameters^slope
              </td>
              {data.series.map((s) => (
                <td key={s.id} data-testid="scaling-slope">
                  {s.slope === null ? '–' : s.slope.toFixed(3)}
                </td>
              ))}
              <td />
            </tr>
          </tbody>
        </table>
      )}
    </div>
  );
}
