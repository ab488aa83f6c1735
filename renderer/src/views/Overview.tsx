// Overview: for one metric, a grid of block x checkpoint heatmaps, one panel per component, one
// column per run when runs are compared side by side; colour scale shared (all panels), per
// component (across runs) or per panel. Hover shows the exact value (tooltip + a readout line),
// arrow keys move a cursor cell, click/Enter opens the tensor's animations at that checkpoint.
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { ScalarGrid } from '../../../common/api';
import { CELL, colourScaleFor, formatStep, formatValue, heatmapOption, panelTitle, panelsFromGrid, type HeatmapPanel } from '../../../common/charts';
import type { SequentialScale } from '../../../common/charts/palette';
import { runHref } from '../App';
import { Chart, type ChartHandle } from '../components/Chart';
import { MetricSelect, metricLike } from '../components/MetricSelect';
import { errorMessage, useAppState } from '../context';
import { loadGrid } from '../grid-cache';
import type { RunContext } from './RunPage';

type Normalise = 'shared' | 'component' | 'panel';

interface Readout {
  runId: string;
  runName: string;
  tensor: string;
  component: string;
  block: string;
  checkpointId: string;
  step: number;
  value: number;
}

export function Overview({ ctx }: { ctx: RunContext }) {
  const { client } = useAppState();
  const [grids, setGrids] = useState<Array<{ runId: string; runName: string; grid: ScalarGrid | null; error: string | null }>>([]);
  const [loading, setLoading] = useState(false);
  const [normalise, setNormalise] = useState<Normalise>('component');
  const [palette, setPalette] = useState<SequentialScale>('viridis');
  const [readout, setReadout] = useState<Readout | null>(null);
  const runKey = ctx.runs.map((r) => r.id).join(',');

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
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runKey, ctx.metric, ctx.dataVersion, client]);

  const metric = metricLike(ctx.metric);
  const layout = useMemo(() => {
    const perRun = grids.map((g) => (g.grid ? panelsFromGrid(g.grid, g.runName, metric) : []));
    const keys: string[] = [];
    for (const panels of perRun) for (const p of panels) if (!keys.includes(`${p.component}|${p.kind}`)) keys.push(`${p.component}|${p.kind}`);
    // Keep the catalogue order established by panelsFromGrid of the first run that has each key.
    const all = perRun.flat();
    const sharedScale = colourScaleFor(all);
    const rows = keys.map((key) => {
      const cells = perRun.map((panels) => panels.find((p) => `${p.component}|${p.kind}` === key) ?? null);
      const present = cells.filter((c): c is HeatmapPanel => c !== null);
      const componentScale = colourScaleFor(present);
      return { key, cells: cells.map((p) => (p ? { panel: p, scale: normalise === 'shared' ? sharedScale : normalise === 'component' ? componentScale : colourScaleFor([p]) } : null)) };
    });
    return rows;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [grids, normalise, ctx.metric]);

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

  const nRuns = Math.max(1, grids.length);
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
        {loading && <span className="muted">loading…</span>}
      </div>
      <output
        className="readout"
        data-testid="heatmap-readout"
        data-run-id={readout?.runId ?? ''}
        data-tensor={readout?.tensor ?? ''}
        data-checkpoint={readout?.checkpointId ?? ''}
        data-value={readout ? String(readout.value) : ''}
        aria-live="polite"
      >
        {readout ? (
          <>
            <b>{readout.runName}</b> · {readout.component} · {readout.block} <span className="muted">{readout.tensor}</span> · step {formatStep(readout.step)} ({readout.checkpointId}) ·{' '}
            {metric.label} = <b>{formatValue(readout.value)}</b> {metric.unit}
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
          No values of {metric.label} in the cache yet. Run the <b>{metric.id === 'loss' ? 'activations' : 'weights'}</b> analysis above (or pick another metric).
        </p>
      )}
      {nRuns > 1 && (
        <div className="panelgrid runheads" style={{ gridTemplateColumns: `repeat(${nRuns}, minmax(0, 1fr))` }}>
          {grids.map((g) => (
            <div key={g.runId} className="runhead-col">
              {g.runName}
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
              <HeatmapPanelView key={`${row.key}|${i}`} panel={cell.panel} scale={cell.scale} stepScale={ctx.stepScale} palette={palette} onReadout={setReadout} />
            ) : (
              <div key={`${row.key}|${i}`} className="panel missing">
                {row.key.replace('|', ' ')}: not in {grids[i]?.runName}
              </div>
            ),
          ),
        )}
      </div>
    </div>
  );
}

/** Placeholder of a panel not drawn yet: same size, watched for coming into view. */
function PanelSlot({ slot, height, observer }: { slot: number; height: number; observer: IntersectionObserver }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current!;
    observer.observe(el);
    return () => observer.unobserve(el);
  }, [observer]);
  return <div ref={ref} className="panel" data-slot={slot} style={{ height }} aria-busy="true" />;
}

function panelHeight(panel: HeatmapPanel): number {
  return Math.max(150, panel.rows.length * 9 + 84);
}

const HeatmapPanelView = memo(function HeatmapPanelView({
  panel,
  scale,
  stepScale,
  palette,
  onReadout,
}: {
  panel: HeatmapPanel;
  scale: ReturnType<typeof colourScaleFor>;
  stepScale: 'log' | 'linear';
  palette: SequentialScale;
  onReadout: (r: Readout | null) => void;
}) {
  const chart = useRef<ChartHandle>(null);
  const [cursor, setCursor] = useState<{ row: number; col: number }>({ row: 0, col: panel.steps.length - 1 });
  const height = panelHeight(panel);
  // Plot area = height - 74 (grid top 40 + bottom 34); the bar leaves room for its two end labels.
  const colourBarHeight = Math.max(24, height - 74 - 30);
  const option = useMemo(() => heatmapOption(panel, { stepScale, colour: scale, palette, colourBarHeight }), [panel, stepScale, scale, palette, colourBarHeight]);
  const data = (option.series as Array<{ data: number[][] }>)[0]!.data;

  const readoutOf = (d: number[]): Readout => {
    const row = panel.rows[d[CELL.row]!]!;
    return {
      runId: panel.runId,
      runName: panel.runName,
      tensor: row.tensor,
      component: panelTitle(panel),
      block: typeof row.block === 'number' ? `block ${row.block}` : String(row.block ?? '–'),
      checkpointId: panel.checkpointIds[d[CELL.column]!] ?? '',
      step: d[CELL.step]!,
      value: d[CELL.value]!,
    };
  };
  const openDetail = (d: number[]) => {
    const r = readoutOf(d);
    location.hash = runHref(panel.runId, 'animations', { tensor: r.tensor, checkpoint: r.checkpointId });
  };
  const moveCursor = (row: number, col: number) => {
    const r = Math.max(0, Math.min(panel.rows.length - 1, row));
    const c = Math.max(0, Math.min(panel.steps.length - 1, col));
    setCursor({ row: r, col: c });
    const index = data.findIndex((d) => d[CELL.row] === r && d[CELL.column] === c);
    const inst = chart.current?.instance();
    if (index >= 0) {
      inst?.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: index });
      onReadout(readoutOf(data[index]!));
    } else {
      inst?.dispatchAction({ type: 'hideTip' });
    }
  };
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const m = moves[e.key];
    if (m) {
      e.preventDefault();
      moveCursor(cursor.row + m[0], cursor.col + m[1]);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      moveCursor(cursor.row, e.key === 'Home' ? 0 : panel.steps.length - 1);
    } else if (e.key === 'Enter') {
      const d = data.find((x) => x[CELL.row] === cursor.row && x[CELL.column] === cursor.col);
      if (d) openDetail(d);
    }
  };
  return (
    <div className="panel" data-testid="heatmap-panel" data-run-id={panel.runId} data-component={panel.component} data-kind={panel.kind}>
      <Chart
        ref={chart}
        option={option}
        height={height}
        tabIndex={0}
        ariaLabel={`${panel.metric.label} heatmap of ${panelTitle(panel)} in ${panel.runName}: ${panel.rows.length} blocks by ${panel.steps.length} checkpoints. Arrow keys move, Enter opens animations.`}
        onKeyDown={onKeyDown}
        onHover={(p) => Array.isArray(p.value) && onReadout(readoutOf(p.value as number[]))}
        onClick={(p) => Array.isArray(p.value) && openDetail(p.value as number[])}
      />
    </div>
  );
});
