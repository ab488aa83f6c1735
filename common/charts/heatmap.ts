// Block x checkpoint heatmaps: one panel per (run, component, kind), rows = blocks (embed and the
// final/unembed pseudo-blocks included), columns = checkpoints placed on a true step axis (log or
// linear), so unevenly spaced checkpoints keep their real spacing. Drawn with a custom series of
// rectangles because the built-in heatmap series only knows evenly spaced category columns.
import type { ScalarGrid, TensorMeta } from '../api';
import { COMPONENT_ORDER } from '../catalogue';
import type { Block } from '../domain';
import { blockLabel, blockOrder, formatStep, formatTick, formatValue, rangeTicks } from './format';
import { BLUE_ORANGE, CIVIDIS, VIRIDIS, sampleScale, type SequentialScale } from './palette';
import { axisName, columnSpans, stepAxis, stepPosition, xPositions, zeroStepTicks, type AxisUnit, type StepScale } from './step-axis';
import { escapeHtml, type ChartOption, type MetricLike } from './types';
import { titleStyle } from './title';
import { parseInductionTensor } from '../analyses/probes';

/** Rows of per-head tensors (`attn.{b}.head.{h}`) are labelled `b.h` (the block alone repeats). */
function headRowLabel(tensor: string): { label?: string } {
  const h = parseInductionTensor(tensor);
  return h ? { label: `${h.block}.${h.head}` } : {};
}

export interface HeatmapRow {
  tensor: string;
  block: Block | null;
  values: Array<number | null>;
  /** y-axis label instead of the block's (e.g. a head: common/charts/probes.ts). */
  label?: string;
}

export interface HeatmapPanel {
  runId: string;
  runName: string;
  component: string;
  /** weight, bias, activation ... (a component can hold both a weight and a bias panel). */
  kind: string;
  metric: MetricLike;
  steps: number[];
  checkpointIds: string[];
  /** Columns on a tokens axis: tokens seen at each checkpoint (step-axis.ts xOfRun); absent = steps. */
  x?: { unit: AxisUnit; values: number[]; extent?: [number, number] };
  /** Sorted embed, 0..n-1, final, unembed. */
  rows: HeatmapRow[];
  /** computed[c]: the metric's analysis finished at column c (ScalarGrid.computed); absent: unknown. */
  computed?: boolean[];
  /** One block's rows only (per-block panels of per-head metrics: common/charts/probes.ts). */
  block?: number;
  /** What a row is (y-axis name; default block). */
  rowName?: string;
}

/** A colour scale in colour space: log10 of the value when `log`, else the value. */
export interface ColourScale {
  mode: 'sequential' | 'diverging';
  log: boolean;
  min: number;
  max: number;
  /** Log scale with values <= 0 present (a distance at init): drawn in the lowest colour. */
  floor?: boolean;
}

export interface HeatmapSettings {
  stepScale: StepScale;
  colour: ColourScale;
  palette?: SequentialScale;
  /** Draw the colour bar (off for small multiples that share one bar drawn elsewhere). */
  showColourBar?: boolean;
  /** Pixel length of the colour bar (it must fit the plot: the caller knows the panel height). */
  colourBarHeight?: number;
}

/**
 * Column order of a panel's data tuple (documented because tests and the app read it). `flag`:
 * CELL_FLAG.bound = the value sits at the metric's bound, CELL_FLAG.floor = <= 0 on a log scale.
 */
export const CELL = { x0: 0, x1: 1, row: 2, colour: 3, value: 4, column: 5, step: 6, flag: 7 } as const;
export const CELL_FLAG = { none: 0, bound: 1, floor: 2 } as const;

/** Colour-bar span at or above which a non-negative metric is drawn on a log colour scale. */
export const LOG_SPAN = 1e3;

function componentRank(component: string): number {
  const i = (COMPONENT_ORDER as readonly string[]).indexOf(component);
  return i < 0 ? COMPONENT_ORDER.length : i;
}

function kindRank(kind: string): number {
  return kind === 'weight' ? 0 : kind === 'bias' ? 1 : 2;
}

/**
 * The metric as named for a component: the activation metrics are labelled for the residual
 * stream ("Residual max |x|"); on MLP hidden activations (mlp.act) they say so instead.
 */
export function metricForComponent(metric: MetricLike, component: string): MetricLike {
  if (component === 'mlp.act' && metric.label.startsWith('Residual ')) return { ...metric, label: `MLP activation ${metric.label.slice('Residual '.length)}` };
  return metric;
}

/** Split a scalar grid into panels (component x kind), rows sorted by depth. */
export function panelsFromGrid(grid: ScalarGrid, runName: string, metric: MetricLike): HeatmapPanel[] {
  const groups = new Map<string, { meta: TensorMeta; values: Array<number | null> }[]>();
  grid.tensors.forEach((meta, t) => {
    const key = `${meta.component}\u0000${meta.kind}`;
    const list = groups.get(key) ?? [];
    list.push({ meta, values: grid.values[t] ?? [] });
    groups.set(key, list);
  });
  const panels: HeatmapPanel[] = [];
  for (const [key, list] of groups) {
    const [component, kind] = key.split('\u0000') as [string, string];
    list.sort((a, b) => blockOrder(a.meta.block) - blockOrder(b.meta.block) || a.meta.tensor.localeCompare(b.meta.tensor));
    panels.push({
      runId: grid.runId,
      runName,
      component,
      kind,
      metric: metricForComponent(metric, component),
      steps: grid.steps,
      checkpointIds: grid.checkpointIds,
      rows: list.map(({ meta, values }) => ({ tensor: meta.tensor, block: meta.block, values, ...headRowLabel(meta.tensor) })),
      ...(grid.computed ? { computed: grid.computed } : {}),
    });
  }
  panels.sort((a, b) => componentRank(a.component) - componentRank(b.component) || kindRank(a.kind) - kindRank(b.kind));
  return panels;
}

/**
 * One colour scale for a set of panels (pass one panel for per-panel normalisation). Diverging
 * (symmetric about 0) when values of both signs occur, unless a mode is forced. Otherwise log
 * colour when the metric asks for it or its positive values span LOG_SPAN (three decades) or
 * more, over the positive values: zeros (a distance to init at step 0) take the lowest colour
 * (`floor`) instead of turning the whole scale linear (issue 15 #10: Student-t ν up to its bound
 * 10^4, distances from 0 to 10).
 */
export function colourScaleFor(
  panels: readonly HeatmapPanel[],
  options: { mode?: 'auto' | 'sequential' | 'diverging'; log?: boolean } = {},
): ColourScale {
  let lo = Infinity;
  let hi = -Infinity;
  let minPos = Infinity;
  for (const p of panels) for (const r of p.rows) for (const v of r.values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v > 0 && v < minPos) minPos = v;
  }
  if (lo > hi) return { mode: 'sequential', log: false, min: 0, max: 1 };
  const mode = options.mode && options.mode !== 'auto' ? options.mode : lo < 0 && hi > 0 ? 'diverging' : 'sequential';
  if (mode === 'diverging') {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return { mode, log: false, min: -m, max: m };
  }
  const spansDecades = lo >= 0 && minPos < Infinity && hi / minPos >= LOG_SPAN;
  const wantLog = options.log ?? (panels.some((p) => p.metric.logScale === true) || spansDecades);
  const log = wantLog && minPos < Infinity && lo >= 0;
  let min = log ? Math.log10(minPos) : lo;
  let max = log ? Math.log10(hi) : hi;
  if (min === max) {
    const pad = Math.abs(min) * 0.05 || 0.5;
    min -= pad;
    max += pad;
  }
  return log && lo <= 0 ? { mode, log, min, max, floor: true } : { mode, log, min, max };
}

/** The value in colour space: log10 on a log scale (<= 0: the scale's lowest colour when `floor`). */
export function colourValue(v: number, scale: ColourScale): number | null {
  if (!scale.log) return v;
  if (v > 0) return Math.log10(v);
  return scale.floor ? scale.min : null;
}

/** Whether a value sits at its metric's bound (the computation clamps it there). */
export function atBound(v: number, metric: MetricLike): boolean {
  const b = metric.bound;
  if (!b) return false;
  return b.side === 'max' ? v >= b.value * (1 - 1e-9) : v <= b.value * (1 + 1e-9);
}

/** One entry of a heatmap's legend for what the colour bar cannot say. */
export interface HeatmapLegendEntry {
  kind: 'not-computed' | 'undefined' | 'bound' | 'floor';
  text: string;
}

/** Fill of cells with no value: not computed (the plot's background) and undefined (hatched). */
export const MISSING_FILL = { notComputed: '#d9d9d9', undefined: '#ffffff', hatch: '#8c8c8c' } as const;

/**
 * What a panel's legend lists (only what occurs in it; a log colour scale is said in the
 * subtitle): the lowest colour holding zeros, cells at the metric's bound, undefined cells (the analysis ran there, the value
 * is not defined: a constant tensor's fit, a NaN) and cells not computed.
 */
export function heatmapLegend(panel: HeatmapPanel, colour: ColourScale): HeatmapLegendEntry[] {
  let notComputed = false;
  let undef = false;
  let bound = false;
  let floor = false;
  for (const row of panel.rows) {
    for (let c = 0; c < panel.steps.length; c++) {
      const v = row.values[c];
      if (v === null || v === undefined || !Number.isFinite(v)) {
        if (panel.computed?.[c]) undef = true;
        else notComputed = true;
        continue;
      }
      if (atBound(v, panel.metric)) bound = true;
      if (colour.log && v <= 0) floor = true;
    }
  }
  const out: HeatmapLegendEntry[] = [];
  if (floor) out.push({ kind: 'floor', text: 'lowest colour = 0' });
  if (bound) out.push({ kind: 'bound', text: `at ${panel.metric.bound!.note} ${formatTick(panel.metric.bound!.value)}` });
  if (undef) out.push({ kind: 'undefined', text: 'undefined value' });
  if (notComputed) out.push({ kind: 'not-computed', text: 'not computed' });
  return out;
}

/** Height the legend line adds under a panel's plot (0 when there is nothing to say). */
export const LEGEND_LINE_HEIGHT = 14;
export function heatmapLegendHeight(panel: HeatmapPanel, colour: ColourScale): number {
  return heatmapLegend(panel, colour).length ? LEGEND_LINE_HEIGHT : 0;
}

/** Cells the analysis ran at but whose value is undefined: [x0, x1, row] tuples (drawn hatched). */
export function undefinedCells(panel: HeatmapPanel, stepScale: StepScale): number[][] {
  if (!panel.computed) return [];
  const spans = columnSpans(columnPositions(panel, stepScale));
  const out: number[][] = [];
  panel.rows.forEach((row, r) => {
    row.values.forEach((v, c) => {
      if ((v === null || !Number.isFinite(v)) && panel.computed![c]) out.push([spans[c][0], spans[c][1], r]);
    });
  });
  return out;
}

/** Row label on the y axis: `embed`, `0`, `1`, ..., `final`, `unembed`. */
export function rowLabel(block: Block | null, tensor: string): string {
  return block === null ? tensor : String(block);
}

export function panelTitle(panel: HeatmapPanel): string {
  // 'other' (activations, pseudo tensors) adds nothing to the component's name.
  const name = panel.kind === 'weight' || panel.kind === 'other' ? panel.component : `${panel.component} (${panel.kind})`;
  return panel.block === undefined ? name : `${name} · block ${panel.block}`;
}

/** The cells of a panel as [x0, x1, row, colour, value, column, step, flag] tuples (see CELL), nulls skipped. */
export function heatmapCells(panel: HeatmapPanel, stepScale: StepScale, colour: ColourScale): number[][] {
  const spans = columnSpans(columnPositions(panel, stepScale));
  const data: number[][] = [];
  panel.rows.forEach((row, r) => {
    row.values.forEach((v, c) => {
      if (v === null || !Number.isFinite(v)) return;
      const cv = colourValue(v, colour);
      if (cv === null) return;
      const [x0, x1] = spans[c];
      const flag = atBound(v, panel.metric) ? CELL_FLAG.bound : colour.log && v <= 0 ? CELL_FLAG.floor : CELL_FLAG.none;
      data.push([x0, x1, r, cv, v, c, panel.steps[c], flag]);
    });
  });
  return data;
}

/** The colour stops a panel uses (the visual map's inRange colours). */
export function heatmapStops(colour: ColourScale, palette?: SequentialScale): readonly string[] {
  return colour.mode === 'diverging' ? BLUE_ORANGE : palette === 'cividis' ? CIVIDIS : VIRIDIS;
}

/**
 * RGB of a colour-space value under the scale, as echarts' continuous visual map computes it:
 * clamp to [min, max], then linear interpolation between evenly spaced stops. Lets a renderer
 * paint cells itself (the app's canvas fast path) with exactly the colour bar's colours.
 */
export function heatmapColour(value: number, colour: ColourScale, palette?: SequentialScale): [number, number, number] {
  const t = colour.max > colour.min ? (value - colour.min) / (colour.max - colour.min) : 0.5;
  return sampleScale(heatmapStops(colour, palette), t);
}

/** Axis positions of a panel's columns: its steps, or its tokens when `x` says so (step-axis.ts). */
export function columnPositions(panel: HeatmapPanel, stepScale: StepScale): number[] {
  return panel.x && panel.x.unit !== 'step' ? xPositions(panel.x.values, stepScale) : panel.steps.map((s) => stepPosition(s, stepScale));
}

export function heatmapOption(panel: HeatmapPanel, settings: HeatmapSettings): ChartOption {
  const { stepScale, colour } = settings;
  const spans = columnSpans(columnPositions(panel, stepScale));
  const data = heatmapCells(panel, stepScale, colour);
  const own: [number, number] = spans.length ? [spans[0][0], spans[spans.length - 1][1]] : [0, 1];
  // x.extent: the axis range shared with runs side by side (shared-x.ts), never narrower than the panel's.
  const shared = panel.x?.extent;
  const extent: [number, number] = shared ? [Math.min(own[0], shared[0]), Math.max(own[1], shared[1])] : own;
  const stops = heatmapStops(colour, settings.palette);
  const unit = panel.metric.unit ? ` [${panel.metric.unit}]` : '';
  const showBar = settings.showColourBar !== false;
  const rows = panel.rows;
  const legend = heatmapLegend(panel, colour);
  const undef = undefinedCells(panel, stepScale);
  return {
    animation: false,
    title: {
      text: panelTitle(panel),
      subtext: `${panel.runName} · ${panel.metric.label}${unit}${colour.log ? ' · log colour' : ''}`,
      ...titleStyle(12, 10),
    },
    grid: { left: 52, right: showBar ? 64 : 10, top: 40, bottom: 34 + (legend.length ? LEGEND_LINE_HEIGHT : 0), show: true, backgroundColor: MISSING_FILL.notComputed, borderWidth: 0 },
    ...(legend.length ? { graphic: [legendGraphic(legend, stops)] } : {}),
    xAxis: panel.x && panel.x.unit !== 'step' ? stepAxis(stepScale, extent, axisName(panel.x.unit)) : zeroStepTicks(stepAxis(stepScale, extent, 'step'), panel.steps, columnPositions(panel, stepScale), stepScale),
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => r.label ?? rowLabel(r.block, r.tensor)),
      name: panel.rowName ?? 'block',
      nameLocation: 'middle',
      nameGap: 38,
      axisTick: { show: false },
      axisLabel: { fontSize: 9, interval: 'auto' },
      splitLine: { show: false },
    },
    visualMap: {
      type: 'continuous',
      show: showBar,
      dimension: CELL.colour,
      seriesIndex: 0,
      min: colour.min,
      max: colour.max,
      calculable: false,
      realtime: false,
      orient: 'vertical',
      right: 4,
      top: 38,
      itemWidth: 10,
      itemHeight: settings.colourBarHeight ?? 120,
      textStyle: { fontSize: 9 },
      inRange: { color: [...stops] },
      // The bar's ends, told apart however narrow the range (rangeTicks).
      text: rangeTicks(colour.log ? 10 ** colour.min : colour.min, colour.log ? 10 ** colour.max : colour.max).reverse(),
      formatter: (v: number) => formatTick(colour.log ? 10 ** v : v),
    },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p: { value: number[] }) => {
        const d = p.value;
        const row = rows[d[CELL.row]];
        const c = d[CELL.column];
        return [
          `<b>${escapeHtml(panel.runName)}</b>`,
          `${escapeHtml(panelTitle(panel))} · ${escapeHtml(blockLabel(row.block))} <span style="opacity:.7">${escapeHtml(row.tensor)}</span>`,
          `step ${formatStep(d[CELL.step])} (${escapeHtml(panel.checkpointIds[c] ?? '')})${panel.x && panel.x.unit !== 'step' ? ` · ${formatStep(panel.x.values[c])} tokens` : ''}`,
          `${escapeHtml(panel.metric.label)}: <b>${formatValue(d[CELL.value])}</b> ${escapeHtml(panel.metric.unit)}`,
        ].join('<br>');
      },
    },
    series: [
      {
        type: 'custom',
        name: panelTitle(panel),
        coordinateSystem: 'cartesian2d',
        dimensions: ['x0', 'x1', 'row', 'colour', 'value', 'column', 'step', 'flag'],
        encode: { x: [CELL.x0, CELL.x1], y: CELL.row, tooltip: [CELL.value] },
        renderItem: renderCell,
        data,
        progressive: 0,
      },
      // undefined cells (hatched), only when there are some: series 0 stays the cells, 1 what follows
      ...(undef.length
        ? [
            {
              type: 'custom',
              name: 'undefined',
              coordinateSystem: 'cartesian2d',
              silent: true,
              encode: { x: [0, 1], y: 2 },
              renderItem: renderUndefinedCell,
              data: undef,
              progressive: 0,
            },
          ]
        : []),
    ],
  };
}

/** The legend line under the plot: a swatch and a word per entry, left to right. */
function legendGraphic(entries: readonly HeatmapLegendEntry[], stops: readonly string[]): Record<string, unknown> {
  const children: Record<string, unknown>[] = [];
  let x = 0;
  const box = { width: 9, height: 9 };
  for (const e of entries) {
    if (e.kind === 'not-computed') children.push({ type: 'rect', shape: { x, y: 0, ...box }, style: { fill: MISSING_FILL.notComputed } });
    else if (e.kind === 'undefined') {
      children.push({ type: 'rect', shape: { x, y: 0, ...box }, style: { fill: MISSING_FILL.undefined, stroke: MISSING_FILL.hatch, lineWidth: 1 } });
      children.push({ type: 'line', shape: { x1: x, y1: 9, x2: x + 9, y2: 0 }, style: { stroke: MISSING_FILL.hatch, lineWidth: 1 } });
    } else if (e.kind === 'bound') {
      children.push({ type: 'rect', shape: { x, y: 0, ...box }, style: { fill: stops[stops.length - 1] } });
      children.push({ type: 'circle', shape: { cx: x + 4.5, cy: 4.5, r: 2 }, style: { fill: BOUND_MARK } });
    } else children.push({ type: 'rect', shape: { x, y: 0, ...box }, style: { fill: stops[0] } });
    children.push({ type: 'text', x: x + 12, y: 1, style: { text: e.text, fontSize: 9, fill: '#444444', textVerticalAlign: 'top' } });
    x += 12 + e.text.length * 5.4 + 12;
  }
  return { type: 'group', left: 52, bottom: 4, silent: true, children };
}

/** Mark drawn on cells at the metric's bound. */
export const BOUND_MARK = 'rgba(0, 0, 0, 0.75)';

function renderUndefinedCell(_params: unknown, api: RenderApi): Record<string, unknown> {
  const row = api.value(2);
  const a = api.coord([api.value(0), row]);
  const b = api.coord([api.value(1), row]);
  const h = api.size([0, 1])[1];
  const x = Math.floor(a[0]);
  const y = Math.floor(a[1] - h / 2);
  const w = Math.max(1, Math.ceil(b[0]) - x);
  const hh = Math.ceil(h);
  return {
    type: 'group',
    children: [
      { type: 'rect', shape: { x, y, width: w, height: hh }, style: { fill: MISSING_FILL.undefined } },
      { type: 'line', shape: { x1: x, y1: y + hh, x2: x + w, y2: y }, style: { stroke: MISSING_FILL.hatch, lineWidth: 1 } },
    ],
  };
}

interface RenderApi {
  value(dim: number): number;
  coord(p: number[]): number[];
  size(p: number[]): number[];
  visual(name: string): unknown;
}

function renderCell(_params: unknown, api: RenderApi): Record<string, unknown> {
  const row = api.value(CELL.row);
  const a = api.coord([api.value(CELL.x0), row]);
  const b = api.coord([api.value(CELL.x1), row]);
  const h = api.size([0, 1])[1];
  const rect = {
    type: 'rect',
    // Whole-pixel edges: adjacent cells share a pixel column instead of leaving an antialiased seam.
    shape: { x: Math.floor(a[0]), y: Math.floor(a[1] - h / 2), width: Math.max(1, Math.ceil(b[0]) - Math.floor(a[0])), height: Math.ceil(h) + 1 },
    style: { fill: api.visual('color') as string },
  };
  if (api.value(CELL.flag) !== CELL_FLAG.bound) return rect;
  const r = Math.max(1, Math.min(2.5, h / 3, (b[0] - a[0]) / 3));
  return { type: 'group', children: [rect, { type: 'circle', shape: { cx: (a[0] + b[0]) / 2, cy: a[1], r }, style: { fill: BOUND_MARK } }] };
}
