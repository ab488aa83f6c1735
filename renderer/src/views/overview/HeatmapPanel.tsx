// One Overview heatmap panel (views/Overview.tsx lays them out): echarts draws the frame, a canvas
// over it the cells; hover, click and the keyboard cursor read the exact cell. Also the
// placeholder slot of a panel not drawn yet. Split out of Overview.tsx to keep files small.
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { CELL, colourScaleFor, heatmapColour, heatmapOption, panelTitle, type HeatmapPanel } from '../../../../common/charts';
import { BOUND_MARK, CELL_FLAG, MISSING_FILL, heatmapLegendHeight, undefinedCells } from '../../../../common/charts/heatmap';
import type { SequentialScale } from '../../../../common/charts/palette';
import { runHref } from '../../routes';
import { Chart, type ChartHandle } from '../../components/Chart';
import { ExportMenu } from '../../components/ExportMenu';
import type { EChartsInstance } from '../../echarts';
import { changeSummary, panelChangeMarks, withHeatmapChangeMarks, type ChangeIndex } from '../../../../common/charts';
import { changePointsSwitch, nextChangeCell, paintChangeMarks } from './change-marks';
import { BandKey, bandTip, paintBandCell, paintBandRowLines } from './band-cells';
import type { CellBand } from './layout';

/** The cell named by the Overview's readout line. */
export interface Readout {
  runId: string;
  runName: string;
  tensor: string;
  component: string;
  block: string;
  checkpointId: string;
  step: number;
  value: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Placeholder of a panel not drawn yet: same size, watched for coming into view. */
export function PanelSlot({ slot, height, observer }: { slot: number; height: number; observer: IntersectionObserver }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current!;
    observer.observe(el);
    return () => observer.unobserve(el);
  }, [observer]);
  return <div ref={ref} className="panel" data-slot={slot} style={{ height }} aria-busy="true" />;
}

export function panelHeight(panel: HeatmapPanel): number {
  return Math.max(150, panel.rows.length * 9 + 84);
}

/** Pixel rectangle of the plot (grid) of a chart, from echarts' own layout. */
function gridRect(inst: EChartsInstance): { x: number; y: number; width: number; height: number } | null {
  // getModel() is not in echarts' public typings but is its documented-by-use way to read the
  // laid-out grid; convertToPixel cannot give the band edges of a one-row category axis.
  const model = (inst as unknown as { getModel(): { getComponent(type: string, i: number): { coordinateSystem?: { getRect(): { x: number; y: number; width: number; height: number } } } | undefined } }).getModel();
  return model.getComponent('grid', 0)?.coordinateSystem?.getRect() ?? null;
}

/**
 * One heatmap panel. echarts draws the frame (title, axes, colour bar) from heatmapOption; the
 * cells themselves are painted on a canvas laid over the plot, with heatmapColour (the colour
 * bar's own mapping) and the same cell geometry: thousands of fillRects take milliseconds where
 * as many echarts custom-series elements take a third of a second per panel. Hover, click and
 * the keyboard cursor use the same cells and the option's own tooltip text.
 */
export const HeatmapPanelView = memo(function HeatmapPanelView({
  panel,
  scale,
  stepScale,
  palette,
  onReadout,
  minus,
  group,
  changes,
  changesShown = changes !== undefined && changes !== null,
  band: seedBand,
}: {
  /** A seed group's band (its bounds' panels): each cell drawn as max over mean over min (band-cells.ts). */
  band?: CellBand;
  /** A seed group's mean panel (the panel's run is its first member): the export asks for the group. */
  group?: { compare: string[]; band: 'minmax' | 'std' };
  /** Whether the Overview shows change points (the Export menu's change-point switch starts so). */
  changesShown?: boolean;
  /** Change points of the panel's metric (diamonds, column ticks; ] and [ jump between them). */
  changes?: ChangeIndex | null;
  panel: HeatmapPanel;
  /** B of an A − B panel (the panel's run is A). */
  minus?: string;
  scale: ReturnType<typeof colourScaleFor>;
  stepScale: 'log' | 'linear';
  palette: SequentialScale;
  onReadout: (r: Readout | null) => void;
}) {
  const chart = useRef<ChartHandle>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [cursor, setCursor] = useState<{ row: number; col: number }>({ row: 0, col: panel.steps.length - 1 });
  const height = panelHeight(panel);
  // Plot area = height - 74 (grid top 40 + bottom 34); the bar leaves room for its two end labels.
  const colourBarHeight = Math.max(24, height - 74 - 30 - heatmapLegendHeight(panel, scale));
  const marks = useMemo(() => panelChangeMarks(panel, changes, stepScale), [panel, changes, stepScale]);
  const full = useMemo(() => withHeatmapChangeMarks(heatmapOption(panel, { stepScale, colour: scale, palette, colourBarHeight }), marks), [panel, stepScale, scale, palette, colourBarHeight, marks]);
  const data = (full.series as Array<{ data: number[][] }>)[0].data;
  const tooltipText = (full.tooltip as { formatter: (p: { value: number[] }) => string }).formatter;
  const xExtent = [(full.xAxis as { min: number }).min, (full.xAxis as { max: number }).max] as const;
  // echarts gets the frame only: no cells, no tooltip of its own.
  const frame = useMemo(() => ({ ...full, tooltip: { show: false }, series: [{ ...(full.series as object[])[0], data: [], silent: true }] }), [full]);
  const byCell = useMemo(() => {
    const m = new Map<number, number[]>();
    for (const d of data) m.set(d[CELL.row] * panel.steps.length + d[CELL.column], d);
    return m;
  }, [data, panel.steps.length]);

  const paint = useCallback(() => {
    const inst = chart.current?.instance();
    const el = canvas.current;
    if (!inst || !el) return;
    const rect = gridRect(inst);
    const host = el.parentElement!;
    const dpr = window.devicePixelRatio || 1;
    const w = host.clientWidth;
    const h = host.clientHeight;
    if (el.width !== Math.round(w * dpr) || el.height !== Math.round(h * dpr)) {
      el.width = Math.round(w * dpr);
      el.height = Math.round(h * dpr);
      el.style.width = `${w}px`;
      el.style.height = `${h}px`;
    }
    const ctx = el.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, el.width, el.height);
    if (!rect) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const band = rect.height / Math.max(1, panel.rows.length);
    const px = (x: number) => rect.x + ((x - xExtent[0]) / (xExtent[1] - xExtent[0])) * rect.width;
    ctx.save();
    ctx.beginPath();
    ctx.rect(rect.x, rect.y, rect.width, rect.height);
    ctx.clip();
    for (const d of data) {
      const [r, g, b] = heatmapColour(d[CELL.colour], scale, palette);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      const x0 = Math.floor(px(d[CELL.x0]));
      const x1 = Math.ceil(px(d[CELL.x1]));
      const y0 = Math.floor(rect.y + d[CELL.row] * band);
      const y1 = Math.ceil(rect.y + (d[CELL.row] + 1) * band);
      ctx.fillRect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0));
      if (seedBand) paintBandCell(ctx, seedBand, d, [x0, y0, x1, y1], scale, palette);
      if (d[CELL.flag] === CELL_FLAG.bound) {
        // the metric's bound (Student-t ν = 10^4): a dot, as heatmapOption's renderCell draws it
        ctx.fillStyle = BOUND_MARK;
        ctx.beginPath();
        ctx.arc((px(d[CELL.x0]) + px(d[CELL.x1])) / 2, rect.y + (d[CELL.row] + 0.5) * band, Math.max(1, Math.min(2.5, band / 3, (x1 - x0) / 3)), 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    // Undefined cells (the analysis ran, the value is not defined): hatched, as in the legend.
    for (const [a, b2, row] of undefinedCells(panel, stepScale)) {
      const x0 = Math.floor(px(a));
      const x1 = Math.ceil(px(b2));
      const y0 = Math.floor(rect.y + row * band);
      const y1 = Math.ceil(rect.y + (row + 1) * band);
      ctx.fillStyle = MISSING_FILL.undefined;
      ctx.fillRect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0));
      ctx.strokeStyle = MISSING_FILL.hatch;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x0, y1);
      ctx.lineTo(x1, y0);
      ctx.stroke();
    }
    if (seedBand) paintBandRowLines(ctx, rect, panel.rows.length, band);
    ctx.restore();
    paintChangeMarks(ctx, marks, px, rect, band);
    el.dataset.cells = String(data.length);
  }, [data, scale, palette, panel, stepScale, xExtent[0], xExtent[1], marks, seedBand]);

  // After echarts has laid out the frame (the Chart child applies the option first).
  useEffect(() => paint(), [paint, frame]);
  // A tooltip of the previous metric's grid must not stay over the new one's cells.
  useEffect(() => {
    if (tip.current) tip.current.hidden = true;
  }, [full]);
  useEffect(() => {
    const el = box.current!;
    let raf = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(paint);
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(raf);
    };
  }, [paint]);

  /** The cell under a point in the chart's coordinates, if any. */
  const cellAtPoint = (x: number, y: number): number[] | null => {
    const inst = chart.current?.instance();
    const rect = inst ? gridRect(inst) : null;
    if (!rect || x < rect.x || x > rect.x + rect.width || y < rect.y || y > rect.y + rect.height) return null;
    const row = Math.min(panel.rows.length - 1, Math.floor(((y - rect.y) / rect.height) * panel.rows.length));
    const pos = xExtent[0] + ((x - rect.x) / rect.width) * (xExtent[1] - xExtent[0]);
    for (let c = 0; c < panel.steps.length; c++) {
      const d = byCell.get(row * panel.steps.length + c);
      if (d && pos >= d[CELL.x0] && pos < d[CELL.x1]) return d;
    }
    return null;
  };
  const showTip = (d: number[] | null, x = 0, y = 0) => {
    const el = tip.current!;
    if (!d) {
      el.hidden = true;
      return;
    }
    el.innerHTML = tooltipText({ value: d }) + (seedBand ? bandTip(seedBand, d) : '');
    el.hidden = false;
    const host = box.current!;
    const left = Math.min(x + 14, host.clientWidth - el.offsetWidth - 4);
    const top = y + 14 + el.offsetHeight > host.clientHeight ? Math.max(0, y - el.offsetHeight - 10) : y + 14;
    el.style.left = `${Math.max(0, left)}px`;
    el.style.top = `${top}px`;
  };
  const cellCentre = (d: number[]): [number, number] => {
    const inst = chart.current?.instance();
    const rect = inst ? gridRect(inst) : null;
    if (!rect) return [0, 0];
    const mid = (d[CELL.x0] + d[CELL.x1]) / 2;
    return [rect.x + ((mid - xExtent[0]) / (xExtent[1] - xExtent[0])) * rect.width, rect.y + ((d[CELL.row] + 0.5) / panel.rows.length) * rect.height];
  };

  /** A cell's rectangle as paint() fills it. */
  const cellRect = (d: number[]): [number, number, number, number] => {
    const inst = chart.current?.instance();
    const rect = inst ? gridRect(inst) : null;
    if (!rect) return [0, 0, 0, 0];
    const px = (x: number) => rect.x + ((x - xExtent[0]) / (xExtent[1] - xExtent[0])) * rect.width;
    const h = rect.height / Math.max(1, panel.rows.length);
    return [Math.floor(px(d[CELL.x0])), Math.floor(rect.y + d[CELL.row] * h), Math.ceil(px(d[CELL.x1])), Math.ceil(rect.y + (d[CELL.row] + 1) * h)];
  };
  const readoutOf = (d: number[]): Readout => {
    const row = panel.rows[d[CELL.row]];
    return {
      runId: panel.runId,
      runName: panel.runName,
      tensor: row.tensor,
      component: panelTitle(panel),
      block: typeof row.block === 'number' ? `block ${row.block}` : String(row.block ?? '–'),
      checkpointId: panel.checkpointIds[d[CELL.column]] ?? '',
      step: d[CELL.step],
      value: d[CELL.value],
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
    const d = byCell.get(r * panel.steps.length + c) ?? null;
    // The cursor cell's pixels (x0,y0,x1,y1 in the panel box) for tests that read what is drawn there.
    if (canvas.current) canvas.current.dataset.cursorRect = d ? cellRect(d).join(',') : '';
    if (d) {
      const [x, y] = cellCentre(d);
      showTip(d, x, y);
      onReadout(readoutOf(d));
    } else showTip(null);
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
      const d = byCell.get(cursor.row * panel.steps.length + cursor.col);
      if (d) openDetail(d);
    } else if (e.key === ']' || e.key === '[') {
      const next = nextChangeCell(marks, cursor.row, cursor.col, e.key === ']' ? 1 : -1);
      if (next) moveCursor(next.row, next.col);
    } else if (e.key === 'Escape') showTip(null);
  };
  const local = (e: React.MouseEvent): [number, number] => {
    const r = box.current!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  return (
    <div className="panel heatmap-panel" data-testid="heatmap-panel" data-run-id={panel.runId} data-minus={minus ?? ''} data-colour-mode={scale.mode} data-colour-min={scale.min} data-colour-max={scale.max} data-colour-log={String(scale.log)} data-component={panel.component} data-kind={panel.kind}>
      <div className="panel-export">
        <ExportMenu
          formats={['png', 'svg', 'csv']}
          request={{ runId: panel.runId, view: 'heatmap', metric: panel.metric.id, component: panel.component, kind: panel.kind, ...(minus ? { minus } : {}), ...(group ?? {}), ...(panel.block !== undefined ? { block: String(panel.block) } : {}) }}
          what={`${panel.metric.label} heatmap of ${panelTitle(panel)} in ${panel.runName}`}
          testId="export-panel"
          switches={minus ? [] : [changePointsSwitch(changesShown)]}
        />
      </div>
      <div
        className="heatmap-box"
        ref={box}
        onMouseMove={(e) => {
          const [x, y] = local(e);
          const d = cellAtPoint(x, y);
          showTip(d, x, y);
          if (d) onReadout(readoutOf(d));
        }}
        onMouseLeave={() => showTip(null)}
        onClick={(e) => {
          const d = cellAtPoint(...local(e));
          if (d) openDetail(d);
        }}
        onBlur={() => showTip(null)}
      >
        <Chart
          ref={chart}
          option={frame}
          height={height}
          tabIndex={0}
          ariaLabel={`${panel.metric.label} heatmap of ${panelTitle(panel)} in ${panel.runName}: ${plural(panel.rows.length, 'block')} by ${plural(panel.steps.length, 'checkpoint')}. Arrow keys move, Enter opens animations.${seedBand ? ` Each cell: ${seedBand.kind === 'std' ? 'mean + 1 sd' : 'max'} over mean over ${seedBand.kind === 'std' ? 'mean − 1 sd' : 'min'} of ${seedBand.seeds} seeds.` : ''}${marks.length ? ` ${changeSummary(marks)} ] and [ jump between them.` : ''}`}
          onKeyDown={onKeyDown}
          dataAttributes={{ 'change-marks': String(marks.length) }}
        />
        <canvas ref={canvas} className="heatmap-cells" aria-hidden="true" data-testid="heatmap-cells" />
        <div ref={tip} className="heatmap-tip" role="tooltip" data-testid="heatmap-tooltip" hidden />
      </div>
      {seedBand && <BandKey band={seedBand} />}
    </div>
  );
});
