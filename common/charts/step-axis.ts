// The checkpoint (step) axis shared by heatmaps, curves and the loss strip: position of a step on
// a linear or log axis, cell boundaries for heatmap columns, and tick labels. Step 0 (the init)
// has no logarithm; on a log axis it sits at log10(0.5), as far left of step 1 as step 2 is right
// of it, which keeps Pythia's 0, 1, 2, 4, ... evenly spaced.
import { formatStep } from './format';

export type StepScale = 'log' | 'linear';

/** Where step 0 is drawn on a log axis. */
export const LOG_ZERO_STEP = 0.5;

export function stepPosition(step: number, scale: StepScale): number {
  if (scale === 'linear') return step;
  return Math.log10(Math.max(step, LOG_ZERO_STEP));
}

/** Inverse of stepPosition (for tick labels). */
export function positionToStep(position: number, scale: StepScale): number {
  return scale === 'linear' ? position : 10 ** position;
}

/**
 * Left/right boundaries of each column given its centre positions (sorted ascending): cells meet
 * half-way between neighbours; the outer cells extend by half of their only neighbour gap.
 */
export function columnSpans(positions: readonly number[]): Array<[number, number]> {
  const n = positions.length;
  if (n === 0) return [];
  if (n === 1) return [[positions[0]! - 0.5, positions[0]! + 0.5]];
  const spans: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const p = positions[i]!;
    const left = i > 0 ? (positions[i - 1]! + p) / 2 : p - (positions[1]! - p) / 2;
    const right = i < n - 1 ? (p + positions[i + 1]!) / 2 : p + (p - positions[n - 2]!) / 2;
    spans.push([left, right]);
  }
  return spans;
}

/** "Nice" linear tick step (1, 2 or 5 x 10^k) giving about `target` ticks over `span`. */
export function niceStep(span: number, target = 6): number {
  if (!(span > 0)) return 1;
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/**
 * Tick positions inside [lo, hi]: integer decades on a log axis (1, 10, 100, 1k ...), nice round
 * steps on a linear one. Explicit because the axis extent is set to the outer cell edges, which
 * are not round numbers, and echarts would otherwise start its ticks there.
 */
export function stepTicks(scale: StepScale, extent: [number, number]): number[] {
  const [lo, hi] = extent;
  const ticks: number[] = [];
  if (scale === 'log') {
    for (let k = Math.ceil(lo); k <= Math.floor(hi); k++) ticks.push(k + 0); // + 0 turns -0 into 0
    return ticks;
  }
  const step = niceStep(hi - lo);
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) ticks.push(Math.round(v / step) * step + 0);
  return ticks;
}

/** ECharts value-axis settings for a step axis whose data are already stepPosition()s. */
export function stepAxis(scale: StepScale, extent: [number, number], name = 'step'): Record<string, unknown> {
  const ticks = stepTicks(scale, extent);
  return {
    type: 'value',
    name,
    nameLocation: 'middle',
    nameGap: 22,
    min: extent[0],
    max: extent[1],
    splitLine: { show: false },
    axisLine: { onZero: false },
    axisTick: { customValues: ticks },
    axisLabel: {
      customValues: ticks,
      hideOverlap: true,
      fontSize: 10,
      formatter: (v: number) => formatStep(positionToStep(v, scale)),
    },
  };
}
