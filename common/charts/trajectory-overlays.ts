// What the curves chart shows beyond the cached values (DOMAIN.md "What goes beyond the study"):
// change points as diamonds on their lines, each forecast as a dashed fitted line with its 95%
// band (dotted bounds, shaded on a linear y axis) up to twice the last step, the run's regime
// timeline as bars hanging from the top of the loss strip (the share of trajectories changing at
// each checkpoint), and the learning rate on its own axis in that strip. Added to a
// curvesOption() result so that curves.ts stays the one layout of the chart.
import type { Block } from '../domain';
import { blockLabel, blockOrder, formatStep, formatValue } from './format';
import { RUN_DASHES, orderedLineColour } from './palette';
import { stepAxis, stepPosition, type StepScale } from './step-axis';
import type { ChartOption } from './types';

export interface ChangeMark {
  runName: string;
  tensor: string;
  block: Block | null;
  step: number;
  value: number;
  strength: number;
}

export interface ForecastBand {
  runName: string;
  runIndex: number;
  tensor: string;
  block: Block | null;
  form: string;
  points: { step: number; value: number; lower: number; upper: number }[];
}

export interface TimelineBar {
  step: number;
  fraction: number;
  count: number;
}

export interface OverlayInput {
  stepScale: StepScale;
  /** Whether the metric's y axis is logarithmic (bands are then not shaded). */
  yLog: boolean;
  /** Blocks drawn (sets the colours, as curvesOption does). */
  blocks: Array<Block | null>;
  changes?: ChangeMark[];
  forecasts?: ForecastBand[];
  timeline?: TimelineBar[];
  learningRate?: { runName: string; steps: number[]; values: number[] }[];
}

export const CHANGE_COLOUR = '#CC79A7';
const LR_COLOUR = '#0072B2';
const TIMELINE_COLOUR = 'rgba(204, 121, 167, 0.55)';

export function withTrajectoryOverlays(option: ChartOption, input: OverlayInput): ChartOption {
  const series = [...((option.series as Record<string, unknown>[]) ?? [])];
  const orders = [...new Set(input.blocks.map(blockOrder))].sort((a, b) => a - b);
  const colour = (b: Block | null): string => orderedLineColour(orders.indexOf(blockOrder(b)), orders.length);
  const pos = (s: number): number => stepPosition(s, input.stepScale);
  const ok = (v: number): boolean => Number.isFinite(v) && (!input.yLog || v > 0);

  if (input.changes?.length) {
    series.push({
      type: 'scatter',
      name: 'change points',
      xAxisIndex: 0,
      yAxisIndex: 0,
      symbol: 'diamond',
      symbolSize: (v: number[]) => 7 + Math.min(8, 2 * (v[3] ?? 0)),
      itemStyle: { color: CHANGE_COLOUR, borderColor: '#ffffff', borderWidth: 1 },
      z: 5,
      tooltip: { trigger: 'item', formatter: (p: { data: unknown[] }) => `change point: ${p.data[4]}<br>step ${formatStep(p.data[2] as number)}, strength ${formatValue(p.data[3] as number)}` },
      data: input.changes.filter((c) => ok(c.value)).map((c) => [pos(c.step), c.value, c.step, c.strength, `${c.runName} · ${blockLabel(c.block)}`]),
    });
  }
  for (const f of input.forecasts ?? []) {
    const name = `${f.runName} · ${blockLabel(f.block)} forecast`;
    const color = colour(f.block);
    const pts = f.points.filter((p) => ok(p.value));
    const line = (key: 'value' | 'lower' | 'upper'): number[][] => pts.filter((p) => ok(p[key])).map((p) => [pos(p.step), p[key], p.step]);
    series.push({ type: 'line', name, xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, silent: true, color, lineStyle: { width: 1, type: 'dashed', opacity: 0.9 }, z: 3, data: line('value'), tooltip: { show: false } });
    for (const key of ['lower', 'upper'] as const) {
      series.push({ type: 'line', name, xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, silent: true, color, lineStyle: { width: 0.75, type: 'dotted', opacity: 0.8 }, z: 3, data: line(key), tooltip: { show: false } });
    }
    if (!input.yLog) {
      // Shaded band: the lower bound (invisible) and the width stacked on it.
      const stack = `band-${f.runIndex}-${f.tensor}`;
      series.push({ type: 'line', name, xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, silent: true, stack, lineStyle: { opacity: 0 }, z: 1, data: pts.map((p) => [pos(p.step), p.lower]), tooltip: { show: false } });
      series.push({ type: 'line', name, xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, silent: true, stack, lineStyle: { opacity: 0 }, areaStyle: { color, opacity: 0.12 }, z: 1, data: pts.map((p) => [pos(p.step), p.upper - p.lower]), tooltip: { show: false } });
    }
  }
  const yAxes = [...((option.yAxis as Record<string, unknown>[]) ?? [])];
  const hasLossGrid = yAxes.length > 1;
  if (hasLossGrid && input.timeline?.length) {
    yAxes.push({ type: 'value', gridIndex: 1, min: 0, max: 1, inverse: true, show: false });
    series.push({
      type: 'bar',
      name: 'regime timeline',
      xAxisIndex: 1,
      yAxisIndex: yAxes.length - 1,
      barWidth: 6,
      itemStyle: { color: TIMELINE_COLOUR },
      z: 0,
      tooltip: { trigger: 'item', formatter: (p: { data: number[] }) => `step ${formatStep(p.data[2])}: ${p.data[3]} trajectories change (${Math.round(100 * p.data[1])}%)` },
      data: input.timeline.map((t) => [pos(t.step), Math.min(1, 4 * t.fraction), t.step, t.count]),
    });
  }
  if (hasLossGrid && input.learningRate?.some((l) => l.values.length)) {
    yAxes.push({ type: 'value', gridIndex: 1, position: 'right', name: 'LR', nameGap: 8, scale: true, axisLine: { show: true, lineStyle: { color: LR_COLOUR } }, axisLabel: { fontSize: 9, color: LR_COLOUR, formatter: (v: number) => v.toExponential(0) }, splitLine: { show: false } });
    input.learningRate.forEach((l, i) => {
      series.push({
        type: 'line',
        name: `${l.runName} · learning rate`,
        xAxisIndex: 1,
        yAxisIndex: yAxes.length - 1,
        showSymbol: false,
        color: LR_COLOUR,
        lineStyle: { width: 1, type: RUN_DASHES[i % RUN_DASHES.length] },
        data: l.steps.map((s, j) => [pos(s), l.values[j], s]).filter((p) => Number.isFinite(p[1])),
      });
    });
  }
  const legend = option.legend as { data?: string[] } | undefined;
  const extra = [
    ...(input.changes?.length ? ['change points'] : []),
    ...(hasLossGrid && input.timeline?.length ? ['regime timeline'] : []),
    ...(hasLossGrid ? (input.learningRate ?? []).filter((l) => l.values.length).map((l) => `${l.runName} · learning rate`) : []),
  ];
  // Forecasts reach beyond the last checkpoint: widen every step axis to show them.
  let xAxes = option.xAxis as Array<Record<string, unknown>> | undefined;
  const far = Math.max(-Infinity, ...(input.forecasts ?? []).flatMap((f) => f.points.map((p) => pos(p.step))));
  if (xAxes && Number.isFinite(far)) {
    xAxes = xAxes.map((a) => {
      const lo = a.min as number;
      const hi = Math.max(a.max as number, far + 0.02 * (far - lo));
      return { ...a, ...stepAxis(input.stepScale, [lo, hi], a.name as string) };
    });
  }
  return { ...option, ...(xAxes ? { xAxis: xAxes } : {}), yAxis: yAxes, series, ...(legend ? { legend: { ...legend, data: [...(legend.data ?? []), ...extra] } } : {}) };
}

/** Value of a line at a step (null when absent): where a change point's diamond sits. */
export function valueAt(steps: readonly number[], values: ReadonlyArray<number | null>, step: number): number | null {
  const i = steps.indexOf(step);
  return i >= 0 ? (values[i] ?? null) : null;
}

/** Moved to step-axis.ts (the shared step/tokens axis module); re-exported for old importers. */
export { tokensOfSteps } from './step-axis';
