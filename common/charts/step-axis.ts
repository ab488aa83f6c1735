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
  if (n === 1) return [[positions[0] - 0.5, positions[0] + 0.5]];
  const spans: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const p = positions[i];
    const left = i > 0 ? (positions[i - 1] + p) / 2 : p - (positions[1] - p) / 2;
    const right = i < n - 1 ? (p + positions[i + 1]) / 2 : p + (p - positions[n - 2]) / 2;
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

/**
 * A log step axis under columns (positions) of steps with step 0 and few checkpoints: step 0's
 * column is wide (its neighbour is step 64, say), and the decade ticks inside it read "0.1" and
 * "1", steps that do not exist, under the init's cell. Those ticks give way to one "0" under the
 * column. Other axes are returned as they are.
 */
export function zeroStepTicks(axis: Record<string, unknown>, steps: readonly number[], positions: readonly number[], scale: StepScale): Record<string, unknown> {
  const i = steps.indexOf(0);
  if (scale !== 'log' || i < 0 || steps.length < 2) return axis;
  const zero = positions[i];
  const zeroEnd = columnSpans(positions)[i]?.[1] ?? zero;
  const label = axis.axisLabel as { customValues?: number[]; formatter: (v: number) => string };
  const ticks = [zero, ...(label.customValues ?? []).filter((t) => t >= zeroEnd)];
  return {
    ...axis,
    axisTick: { ...(axis.axisTick as object), customValues: ticks },
    axisLabel: { ...label, customValues: ticks, formatter: (v: number) => (v === zero ? '0' : label.formatter(v)) },
  };
}

// ---------------------------------------------------------------------------------------------
// Steps or tokens seen (DOMAIN.md: runs with different batch sizes compare by tokens): one choice
// per run page (renderer/src/run-context.ts `xUnit`) that every step axis follows: Curves, the
// Overview heatmap columns, the Animations timeline, SVD directions. A view maps each run's steps
// with `xOfRun` and names the axis with `axisName`; runs side by side then align by the same x.

export type AxisUnit = 'step' | 'tokens';

/**
 * Steps -> tokens for the tokens axis: exact at checkpoints with a count, linear between them,
 * and beyond the last (forecasts) at the last checkpoint's tokens per step. null when the run has
 * fewer than one checkpoint with both.
 */
export function tokensOfSteps(checkpoints: ReadonlyArray<{ step: number | null; tokens?: number | null }>): ((step: number) => number) | null {
  const known = checkpoints.filter((c) => c.step !== null && typeof c.tokens === 'number').map((c) => [c.step!, c.tokens!] as const).sort((a, b) => a[0] - b[0]);
  if (!known.length) return null;
  return (step: number) => {
    if (step <= known[0][0]) return known[0][0] > 0 ? (known[0][1] * step) / known[0][0] : known[0][1];
    for (let i = 1; i < known.length; i++) {
      const [s1, t1] = known[i];
      if (step <= s1) {
        const [s0, t0] = known[i - 1];
        return t0 + ((t1 - t0) * (step - s0)) / (s1 - s0);
      }
    }
    const [sl, tl] = known[known.length - 1];
    return sl > 0 ? (tl * step) / sl : tl;
  };
}

/** A run's step -> x of the chosen unit (identity for steps); null when its tokens are unknown. */
export function xOfRun(unit: AxisUnit, checkpoints: ReadonlyArray<{ step: number | null; tokens?: number | null }>): ((step: number) => number) | null {
  return unit === 'step' ? (s: number) => s : tokensOfSteps(checkpoints);
}

/** Whether every run shown can be drawn against tokens. */
export function tokensKnown(runs: ReadonlyArray<ReadonlyArray<{ step: number | null; tokens?: number | null }>>): boolean {
  return runs.length > 0 && runs.every((c) => tokensOfSteps(c) !== null);
}

export function axisName(unit: AxisUnit): string {
  return unit === 'tokens' ? 'tokens seen' : 'step';
}

/** "step 512" / "1.05M tokens": one checkpoint's position on the axis, as the timelines label it. */
export function axisLabel(unit: AxisUnit, step: number, x: number): string {
  return unit === 'tokens' ? `${formatStep(x)} tokens (step ${formatStep(step)})` : `step ${formatStep(step)}`;
}

/**
 * Log-axis positions of x values where 0 (the init) sits half of the smallest positive value
 * left of it, as step 0 sits at 0.5 next to step 1 (LOG_ZERO_STEP): 0 tokens next to 2048 is at
 * 1024, not at 0.5 three decades away (for steps that start 0, 1, 2, ... this is stepPosition).
 * Linear: the values themselves.
 */
export function xPositions(values: readonly number[], scale: StepScale): number[] {
  if (scale === 'linear') return [...values];
  const minPos = Math.min(...values.filter((v) => v > 0));
  const zero = Number.isFinite(minPos) ? minPos / 2 : LOG_ZERO_STEP;
  return values.map((v) => Math.log10(v > 0 ? v : zero));
}
