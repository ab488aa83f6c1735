// The shared timeline of a comparison of runs, one rule for every place that shows runs on one
// timeline: the Animations view (renderer/src/views/animations/timeline.ts, ComparePanel.tsx), the
// SVD directions side by side (renderer/src/views/svd/CompareSvd.tsx), the comparison exporter
// (main/export/compare.ts: GIF frames and PNG/SVG stills) and the GIF dialog's frame count
// (renderer/src/components/GifOptions.tsx). Runs align by step, or by tokens seen when asked and
// every run's tokens are known (DOMAIN.md: runs with different batch sizes compare by tokens):
// each run's own step -> tokens map (step-axis.ts tokensOfSteps). At a timeline position every run
// shows its frame at that position or its latest one before it.
import { formatStep } from './format';
import { tokensOfSteps, type AxisUnit } from './step-axis';

type StepMap = (step: number) => number;
type Checkpoints = ReadonlyArray<{ step: number | null; tokens?: number | null; missing?: boolean }>;

export interface Alignment {
  /** True when the timeline's positions are tokens seen, false when they are steps. */
  byTokens: boolean;
  /** Each run's step -> timeline position. */
  xOf: ReadonlyMap<string, StepMap>;
}

const identity: StepMap = (s) => s;

/**
 * The alignment of a comparison: by tokens when `unit` is tokens and every run's tokens are known
 * (step -> tokens of its own checkpoints), else by step. `runs` lists each run's checkpoints.
 */
export function alignRuns(unit: AxisUnit, runs: ReadonlyArray<{ id: string; checkpoints: Checkpoints }>): Alignment {
  const maps = unit === 'tokens' ? runs.map((r) => [r.id, tokensOfSteps(r.checkpoints)] as const) : [];
  const byTokens = maps.length > 0 && maps.every(([, m]) => m !== null);
  return { byTokens, xOf: new Map(byTokens ? maps.map(([id, m]) => [id, m ?? identity]) : runs.map((r) => [r.id, identity])) };
}

/** Sorted distinct positions (x of each run's present checkpoints with a step): the view's timeline. */
export function unionPositions(runs: ReadonlyArray<{ checkpoints: Checkpoints; x: StepMap }>): number[] {
  const set = new Set<number>();
  for (const r of runs) for (const c of r.checkpoints) if (!c.missing && c.step !== null) set.add(r.x(c.step));
  return [...set].sort((a, b) => a - b);
}

/**
 * For each timeline position, the index of the run's frame at it or at its latest frame before it
 * (-1: none yet). `frameX` are the run's frame positions (its steps mapped to the timeline),
 * ascending; `present[i]` says whether frame i was computed.
 */
export function framesOnTimeline(positions: readonly number[], frameX: readonly number[], present: readonly boolean[]): number[] {
  const out: number[] = [];
  let j = -1;
  let best = -1;
  for (const s of positions) {
    while (j + 1 < frameX.length && frameX[j + 1] <= s) {
      j++;
      if (present[j]) best = j;
    }
    out.push(best);
  }
  return out;
}

export interface RunFrames {
  id: string;
  /** The run's frame steps, ascending, and whether each frame was computed. */
  steps: readonly number[];
  present: readonly boolean[];
}

export interface ComparisonFrames {
  /** Timeline positions that get a frame: where any run has a computed frame, within the range. */
  positions: number[];
  /** picks[k][i]: run k's frame index at positions[i] (-1: none yet). */
  picks: number[][];
}

/**
 * The frames an animation of a comparison is made of (the exporter writes these, the GIF dialog
 * counts them): one per position where some run has a computed frame, inside the inclusive range
 * of positions when one is given (steps, or tokens when aligned by tokens), each run at its frame
 * there or its latest before (framesOnTimeline, as the view).
 */
export function comparisonFrames(alignment: Alignment, runs: readonly RunFrames[], range?: readonly [number, number]): ComparisonFrames {
  const xs = runs.map((r) => r.steps.map(alignment.xOf.get(r.id) ?? identity));
  const set = new Set<number>();
  runs.forEach((r, k) => xs[k].forEach((x, i) => r.present[i] && (!range || (x >= range[0] && x <= range[1])) && set.add(x)));
  const positions = [...set].sort((a, b) => a - b);
  return { positions, picks: runs.map((r, k) => framesOnTimeline(positions, xs[k], r.present)) };
}

/** "1.05M tokens" or "step 512": a timeline position. */
export function positionLabel(byTokens: boolean, x: number): string {
  return byTokens ? `${formatStep(x)} tokens` : `step ${formatStep(x)}`;
}

/** Each run's frame index at one timeline position (a still of the view at that position). */
export function picksAt(alignment: Alignment, runs: readonly RunFrames[], position: number): number[] {
  return runs.map((r) => framesOnTimeline([position], r.steps.map(alignment.xOf.get(r.id) ?? identity), r.present)[0] ?? -1);
}

export interface GifFrameIndex {
  byTokens: boolean;
  /** The range choices: the view's timeline (every run's present checkpoints, aligned). */
  choices: number[];
  /** Frames the exporter writes for an inclusive range of positions (none: every frame). */
  count(range?: readonly [number, number]): number;
}

/**
 * The GIF dialog's frame index of a comparison: the same alignment and frames as the exporter
 * (comparisonFrames), so the dialog says how many frames the file will hold.
 */
export function comparisonGifIndex(unit: AxisUnit, runs: ReadonlyArray<RunFrames & { checkpoints: Checkpoints }>): GifFrameIndex {
  const alignment = alignRuns(unit, runs);
  return {
    byTokens: alignment.byTokens,
    choices: unionPositions(runs.map((r) => ({ checkpoints: r.checkpoints, x: alignment.xOf.get(r.id) ?? identity }))),
    count: (range) => comparisonFrames(alignment, runs, range).positions.length,
  };
}
