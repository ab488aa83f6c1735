// Overview: for one metric, a grid of block x checkpoint heatmaps, one panel per component, one
// column per run when runs are compared side by side; colour scale shared (all panels), per
// component (across runs) or per panel. Hover shows the exact value (tooltip + a readout line),
// arrow keys move a cursor cell, click/Enter opens the tensor's animations at that checkpoint.
import { useEffect, useMemo, useState } from 'react';
import { METRIC_BY_ID } from '../../../common/catalogue';
import { alignRunsOnX, formatStep, formatValue, type BandKind, type SeedGroupGrids } from '../../../common/charts';
import type { SequentialScale } from '../../../common/charts/palette';
import { ExportMenu } from '../components/ExportMenu';
import { MetricSelect, metricLike } from '../components/MetricSelect';
import { errorMessage, useAppState } from '../context';
import { loadGrid } from '../grid-cache';
import { colourOfRun, type RunContext } from '../run-context';
import { HeatmapPanelView, PanelSlot, panelHeight, type Readout } from './overview/HeatmapPanel';
import { overviewLayout, type LoadedGrid, type Normalise } from './overview/layout';
import { replaceRouteParams } from '../routes';
import { useChangePoints } from './overview/use-change-points';
import { changePointsSwitch } from './overview/change-marks';
import { XAxisSelect, tokensAvailable, usePanelsOnAxis, useTokenMaps } from './x-axis';
import { ScheduleStrip, ScheduleToggle, useScheduleToggle } from '../components/ScheduleStrip';

export function Overview({ ctx }: { ctx: RunContext }) {
  const { client } = useAppState();
  const [grids, setGrids] = useState<LoadedGrid[]>([]);
  const [loading, setLoading] = useState(false);
  const [normalise, setNormalise] = useState<Normalise>('component');
  const [palette, setPalette] = useState<SequentialScale>('viridis');
  const [readout, setReadout] = useState<Readout | null>(null);
  const runKey = ctx.runs.map((r) => r.id).join(',');
  const [showChanges, setShowChanges] = useState(true);
  const changes = useChangePoints(ctx.runs.length ? ctx.runs.map((r) => r.id) : [ctx.runId], ctx.metric, ctx.dataVersion, showChanges);
  const tokenMaps = useTokenMaps(ctx);
  const onAxis = usePanelsOnAxis(ctx.xUnit, tokenMaps);
  const [showSchedule, setShowSchedule] = useScheduleToggle(ctx);

  useEffect(() => {
    let live = true;
    setLoading(true);
    const runs = ctx.runs.length ? ctx.runs : [{ id: ctx.runId, name: ctx.run.name }];
    Promise.all(
      runs.map((r) =>
        loadGrid(client, r.id, ctx.metric, ctx.dataVersion).then(
          (grid) => ({ runId: r.id, runName: r.name, grid, error: null }),
          (e) => ({ runId: r.id, runName: r.name, grid: null, error: errorMessage(e) }),
        ),
      ),
    ).then((res) => {
      if (!live) return;
      setGrids(res);
      setLoading(false);
    });
    return () => {
      live = false;
    };
  }, [runKey, ctx.metric, ctx.dataVersion, client]);

  const metric = metricLike(ctx.metric);
  // A − B: each compared run minus the page's run, on a diverging scale (in the address: diff=1).
  const [difference, setDifference] = useState(() => ctx.params.get('diff') === '1');
  useEffect(() => replaceRouteParams({ diff: difference ? '1' : null }), [difference]);
  const { columns, rows: layout } = useMemo(
    () => overviewLayout(grids, metric, normalise, difference, ctx.band),
    [grids, normalise, ctx.metric, difference, ctx.band],
  );
  // A seed group's panels export the group (one object per column: the panels are memoised).
  const groupRequests = useMemo(() => columns.map((c) => groupExport(c.group)), [columns]);
  // Runs side by side on tokens share one x range (common/charts/shared-x.ts), so columns line up.
  const aligned = useMemo(
    () => alignRunsOnX(layout.flatMap((row) => row.cells.flatMap((c) => (c ? [onAxis(c.panel)] : []))), ctx.stepScale),
    [layout, onAxis, ctx.stepScale],
  );

  // The loss & learning-rate strips under them take the same shared range (one per run: on tokens
  // each would otherwise fit its own run's tokens, and the runs would not line up).
  const stripExtent = useMemo(() => {
    for (const p of aligned.values()) if (p.x?.extent && p.x.unit !== 'step') return p.x.extent;
    return null;
  }, [aligned]);

  // Panels mount one per animation frame, and only once they come near the viewport: the first
  // is on screen as soon as it is drawn instead of after all of them (a 24-block run has ~15
  // panels of ~7,000 cells each).
  const [revealed, setRevealed] = useState(1);
  const [nearView, setNearView] = useState<Set<number>>(new Set());
  const panelCount = layout.reduce((n, row) => n + row.cells.length, 0);
  useEffect(() => {
    // One loop per layout, counting on its own: a reset followed by an increment in the same
    // batch would otherwise leave the state unchanged and stall a render-driven loop.
    let shown = 1;
    let raf = 0;
    setRevealed(1);
    const step = () => {
      shown += 1;
      setRevealed(shown);
      if (shown < panelCount) raf = requestAnimationFrame(step);
    };
    if (panelCount > 1) raf = requestAnimationFrame(step);
    return () => cancelAnimationFrame(raf);
  }, [layout, panelCount]);
  const observer = useMemo(
    () =>
      new IntersectionObserver(
        (entries) => {
          const seen = entries.filter((e) => e.isIntersecting).map((e) => Number((e.target as HTMLElement).dataset.slot));
          if (seen.length) setNearView((prev) => new Set([...prev, ...seen]));
        },
        { rootMargin: '300px 0px' },
      ),
    [],
  );
  useEffect(() => () => observer.disconnect(), [observer]);

  // The readout names a cell; its value is always read from the grid now shown for the metric now
  // chosen, so it can never keep the previous metric's value under the new metric's name (a cell
  // the new grid lacks, or a grid still loading, shows no value).
  const readoutNow = useMemo(() => {
    if (!readout) return null;
    // A seed group's column reads its mean and the band's bounds (common/charts/seed-bands.ts).
    const group = columns.find((c) => c.runId === readout.runId && !c.minus)?.group;
    const grid = group ? group.mean : grids.find((g) => g.runId === readout.runId)?.grid;
    if (!grid || grid.metric !== ctx.metric) return null;
    const t = grid.tensors.findIndex((x) => x.tensor === readout.tensor);
    const c = grid.checkpointIds.indexOf(readout.checkpointId);
    const value = t >= 0 && c >= 0 ? grid.values[t]?.[c] : null;
    if (value === null || value === undefined) return null;
    const band = group ? { kind: group.band, lower: group.lower.values[t][c], upper: group.upper.values[t][c], count: group.count[t][c] } : null;
    return { ...readout, value, band };
  }, [readout, grids, columns, ctx.metric]);

  const nRuns = Math.max(1, columns.length);
  const empty = !loading && grids.every((g) => g.grid && g.grid.tensors.length === 0);
  return (
    <div className="overview">
      <div className="controls" role="group" aria-label="Overview settings">
        <label htmlFor="ov-metric">Metric</label>
        <MetricSelect id="ov-metric" value={ctx.metric} onChange={ctx.setMetric} available={ctx.metrics} />
        <label htmlFor="ov-steps">Steps</label>
        <select id="ov-steps" value={ctx.stepScale} onChange={(e) => ctx.setStepScale(e.target.value as 'log' | 'linear')}>
          <option value="log">log</option>
          <option value="linear">linear</option>
        </select>
        <XAxisSelect ctx={ctx} available={tokensAvailable(tokenMaps)} id="ov-x" />
        <label htmlFor="ov-norm">Colour scale</label>
        <select id="ov-norm" value={normalise} onChange={(e) => setNormalise(e.target.value as Normalise)}>
          <option value="component">shared per component</option>
          <option value="shared">shared by all panels</option>
          <option value="panel">per panel</option>
        </select>
        <label htmlFor="ov-palette">Palette</label>
        <select id="ov-palette" value={palette} onChange={(e) => setPalette(e.target.value as SequentialScale)}>
          <option value="viridis">viridis</option>
          <option value="cividis">cividis</option>
        </select>
        <label className="check" title="Diamonds where a row's trajectory changes regime, ticks above such columns; ] and [ jump between them in a focused panel">
          <input type="checkbox" checked={showChanges} onChange={(e) => setShowChanges(e.target.checked)} data-testid="ov-changes" /> change points
        </label>
        <ScheduleToggle on={showSchedule} setOn={setShowSchedule} />
        <ExportMenu
          formats={grids.length > 1 ? ['png', 'svg', 'csv'] : ['csv']}
          request={grids.some((g) => g.grid && g.grid.tensors.length > 0) ? { runId: ctx.runId, view: 'heatmap', metric: ctx.metric, ...compareFields(ctx.runs.map((r) => r.id), difference), ...(ctx.band !== 'none' && !difference && grids.length > 1 ? { band: ctx.band } : {}) } : null}
          what={`${metric.label} of every component in ${ctx.runs.map((r) => r.name).join(', ') || ctx.run.name}${difference && grids.length > 1 ? ' (A − B)' : ''}`}
          testId="export-overview"
          switches={difference && grids.length > 1 ? [] : [changePointsSwitch(showChanges)]}
        />
        {grids.length > 1 && (
          <label className="check" title={`Each compared run minus ${ctx.run.name}, at the steps both have, on a diverging colour scale symmetric about 0`}>
            <input type="checkbox" checked={difference} onChange={(e) => setDifference(e.target.checked)} data-testid="difference-mode" /> A − B (minus {ctx.run.name})
          </label>
        )}
        {loading && <span className="muted">loading…</span>}
      </div>
      <output
        className="readout"
        data-testid="heatmap-readout"
        data-run-id={readoutNow?.runId ?? ''}
        data-tensor={readoutNow?.tensor ?? ''}
        data-checkpoint={readoutNow?.checkpointId ?? ''}
        data-metric={readoutNow ? ctx.metric : ''}
        data-value={readoutNow ? String(readoutNow.value) : ''}
        data-lower={readoutNow?.band ? String(readoutNow.band.lower) : ''}
        data-upper={readoutNow?.band ? String(readoutNow.band.upper) : ''}
        aria-live="polite"
      >
        {readoutNow ? (
          <>
            <b>{readoutNow.runName}</b> · {readoutNow.component} · {readoutNow.block} <span className="muted">{readoutNow.tensor}</span> · step {formatStep(readoutNow.step)} ({readoutNow.checkpointId}) ·{' '}
            {readoutNow.band ? 'mean ' : ''}
            {metric.label} = <b>{formatValue(readoutNow.value)}</b> {metric.unit}
            {readoutNow.band && (
              <>
                {' '}
                · {readoutNow.band.kind === 'std' ? 'mean ± 1 sd' : 'min–max'} <b>{formatValue(readoutNow.band.lower ?? NaN)}</b> … <b>{formatValue(readoutNow.band.upper ?? NaN)}</b> over {readoutNow.band.count} seeds
              </>
            )}
          </>
        ) : (
          <span className="muted">Hover a cell (or focus a panel and use the arrow keys) to read its exact value; click or press Enter to open its animations.</span>
        )}
      </output>
      {grids.map((g) => g.error && (
        <p key={g.runId} className="notice error" role="alert">
          {g.runName}: {g.error}
        </p>
      ))}
      {empty && (
        <p className="notice warn">
          No values of {metric.label} in the cache yet. Run the <b>{METRIC_BY_ID.get(metric.id)?.analysis ?? 'weights'}</b> analysis above (or pick another metric).
        </p>
      )}
      {nRuns > 1 && (
        <div className="panelgrid runheads" style={{ gridTemplateColumns: `repeat(${nRuns}, minmax(0, 1fr))` }}>
          {columns.map((c) => (
            <div key={c.label} className="runhead-col" data-testid="overview-column" data-run-id={c.runId} data-minus={c.minus ?? ''} data-members={c.group ? c.group.members.join(',') : c.runId}>
              <span className="swatch" style={{ background: colourOfRun(ctx, c.runId) }} aria-hidden="true" /> {c.label}
            </div>
          ))}
        </div>
      )}
      <div className={nRuns > 1 ? 'panelgrid' : 'panelgrid auto'} style={nRuns > 1 ? { gridTemplateColumns: `repeat(${nRuns}, minmax(0, 1fr))` } : undefined}>
        {layout.flatMap((row, r) =>
          row.cells.map((cell, i) =>
            cell && (r * row.cells.length + i >= revealed || !nearView.has(r * row.cells.length + i)) ? (
              <PanelSlot key={`${row.key}|${i}`} slot={r * row.cells.length + i} height={panelHeight(cell.panel) + 10} observer={observer} />
            ) : cell ? (
              <HeatmapPanelView key={`${row.key}|${i}`} minus={columns[i]?.minus} group={groupRequests[i]} panel={aligned.get(onAxis(cell.panel)) ?? onAxis(cell.panel)} scale={cell.scale} stepScale={ctx.stepScale} palette={palette} onReadout={setReadout} changes={changes.get(cell.panel.runId)} changesShown={showChanges} band={cell.band} />
            ) : (
              <div key={`${row.key}|${i}`} className="panel missing">
                {row.key.replace('|', ' ')}: not in {columns[i]?.label}
              </div>
            ),
          ),
        )}
      </div>
      {showSchedule && (
        <div className="panelgrid" style={{ gridTemplateColumns: `repeat(${Math.max(1, nRuns)}, minmax(0, 1fr))` }}>
          {(ctx.runs.length ? ctx.runs : [{ id: ctx.runId }]).map((r) => <ScheduleStrip key={r.id} ctx={ctx} runId={r.id} colour={colourOfRun(ctx, r.id)} sharedExtent={stripExtent} />)}
        </div>
      )}
    </div>
  );
}

/** The export request's comparison: the other shown runs, or (difference mode) B of A − B. */
function compareFields(ids: string[], difference: boolean): { compare?: string[]; minus?: string } {
  if (ids.length < 2) return {};
  return difference ? { compare: ids.slice(1), minus: ids[0] } : { compare: ids.slice(1) };
}

/** A seed group's panel exports the group (its members with the band), as the toolbar's export does. */
function groupExport(group: SeedGroupGrids | undefined): { compare: string[]; band: BandKind } | undefined {
  return group ? { compare: group.members.slice(1), band: group.band } : undefined;
}
