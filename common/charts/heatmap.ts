// Block x checkpoint heatmaps: one panel per (run, component, kind), rows = blocks (embed and the
// final/unembed pseudo-blocks included), columns = checkpoints placed on a true step axis (log or
// linear), so unevenly spaced checkpoints keep their real spacing. Drawn with a custom series of
// rectangles because the built-in heatmap series only knows evenly spaced category columns.
import type { ScalarGrid, TensorMeta } from '../api';
import { COMPONENT_ORDER } from '../catalogue';
import type { Block } from '../domain';
import { blockLabel, blockOrder, formatStep, formatTick, formatValue } from './format';
import { BLUE_ORANGE, CIVIDIS, VIRIDIS, sampleScale, type SequentialScale } from './palette';
import { axisName, columnSpans, stepAxis, stepPosition, xPositions, type AxisUnit, type StepScale } from './step-axis';
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
  x?: { unit: AxisUnit; values: number[] };
  /** Sorted embed, 0..n-1, final, unembed. */
  rows: HeatmapRow[];
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

/** Column order of a panel's data tuple (documented because tests and the app read it). */
export const CELL = { x0: 0, x1: 1, row: 2, colour: 3, value: 4, column: 5, step: 6 } as const;

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
    });
  }
  panels.sort((a, b) => componentRank(a.component) - componentRank(b.component) || kindRank(a.kind) - kindRank(b.kind));
  return panels;
}

/**
 * One colour scale for a set of panels (pass one panel for per-panel normalisation). Log colour
 * only when the metric asks for it and every value is positive; diverging (symmetric about 0)
 * when values of both signs occur, unless a mode is forced.
 */
export function colourScaleFor(
  panels: readonly HeatmapPanel[],
  options: { mode?: 'auto' | 'sequential' | 'diverging'; log?: boolean } = {},
): ColourScale {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of panels) for (const r of p.rows) for (const v of r.values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return { mode: 'sequential', log: false, min: 0, max: 1 };
  const wantLog = options.log ?? panels.some((p) => p.metric.logScale === true);
  const mode = options.mode && options.mode !== 'auto' ? options.mode : lo < 0 && hi > 0 ? 'diverging' : 'sequential';
  if (mode === 'diverging') {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return { mode, log: false, min: -m, max: m };
  }
  const log = wantLog && lo > 0;
  let min = log ? Math.log10(lo) : lo;
  let max = log ? Math.log10(hi) : hi;
  if (min === max) {
    const pad = Math.abs(min) * 0.05 || 0.5;
    min -= pad;
    max += pad;
  }
  return { mode, log, min, max };
}

export function colourValue(v: number, scale: ColourScale): number | null {
  if (!scale.log) return v;
  return v > 0 ? Math.log10(v) : null;
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

/** The cells of a panel as [x0, x1, row, colour, value, column, step] tuples (see CELL), nulls skipped. */
export function heatmapCells(panel: HeatmapPanel, stepScale: StepScale, colour: ColourScale): number[][] {
  const spans = columnSpans(columnPositions(panel, stepScale));
  const data: number[][] = [];
  panel.rows.forEach((row, r) => {
    row.values.forEach((v, c) => {
      if (v === null || !Number.isFinite(v)) return;
      const cv = colourValue(v, colour);
      if (cv === null) return;
      const [x0, x1] = spans[c]!;
      data.push([x0, x1, r, cv, v, c, panel.steps[c]!]);
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
  const extent: [number, number] = spans.length ? [spans[0]![0], spans[spans.length - 1]![1]] : [0, 1];
  const stops = heatmapStops(colour, settings.palette);
  const unit = panel.metric.unit ? ` [${panel.metric.unit}]` : '';
  const showBar = settings.showColourBar !== false;
  const rows = panel.rows;
  return {
    animation: false,
    title: {
      text: panelTitle(panel),
      subtext: `${panel.runName} · ${panel.metric.label}${unit}`,
      ...titleStyle(12, 10),
    },
    grid: { left: 52, right: showBar ? 64 : 10, top: 40, bottom: 34, show: true, backgroundColor: '#d9d9d9', borderWidth: 0 },
    xAxis: stepAxis(stepScale, extent, axisName(panel.x?.unit ?? 'step')),
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
      text: [formatTick(colour.log ? 10 ** colour.max : colour.max), formatTick(colour.log ? 10 ** colour.min : colour.min)],
      formatter: (v: number) => formatTick(colour.log ? 10 ** v : v),
    },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p: { value: number[] }) => {
        const d = p.value;
        const row = rows[d[CELL.row]!]!;
        const c = d[CELL.column]!;
        return [
          `<b>${escapeHtml(panel.runName)}</b>`,
          `${escapeHtml(panelTitle(panel))} · ${escapeHtml(blockLabel(row.block))} <span style="opacity:.7">${escapeHtml(row.tensor)}</span>`,
          `step ${formatStep(d[CELL.step]!)} (${escapeHtml(panel.checkpointIds[c] ?? '')})${panel.x && panel.x.unit !== 'step' ? ` · ${formatStep(panel.x.values[c]!)} tokens` : ''}`,
          `${escapeHtml(panel.metric.label)}: <b>${formatValue(d[CELL.value])}</b> ${escapeHtml(panel.metric.unit)}`,
        ].join('<br>');
      },
    },
    series: [
      {
        type: 'custom',
        name: panelTitle(panel),
        coordinateSystem: 'cartesian2d',
        dimensions: ['x0', 'x1', 'row', 'colour', 'value', 'column', 'step'],
        encode: { x: [CELL.x0, CELL.x1], y: CELL.row, tooltip: [CELL.value] },
        renderItem: renderCell,
        data,
        progressive: 0,
      },
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
  const h = api.size([0, 1])[1]!;
  return {
    type: 'rect',
    // Whole-pixel edges: adjacent cells share a pixel column instead of leaving an antialiased seam.
    shape: { x: Math.floor(a[0]!), y: Math.floor(a[1]! - h / 2), width: Math.max(1, Math.ceil(b[0]!) - Math.floor(a[0]!)), height: Math.ceil(h) + 1 },
    style: { fill: api.visual('color') as string },
  };
}
