// A run's frame at a point of a comparison's shared timeline (timeline.ts: the union of the shown
// runs' steps, or tokens seen): its frame at that position, or its latest computed one before it.
// The single-point form of common/charts/compare-timeline.ts framesOnTimeline, for panels that show one run each
// (the embedding correlation side by side, CompareCorrelation.tsx).
import { framesOnTimeline } from '../../../../common/charts/compare-timeline';

export interface TimelinePoint {
  /** The timeline's position (a step, or tokens seen). */
  x: number;
  /** This run's step -> timeline position. */
  xOf: (step: number) => number;
}

/**
 * Index of the latest frame present at or before the point (steps ascending as the API returns them;
 * null steps skipped); -1: none. The rule itself is framesOnTimeline's, shared with the views and
 * the exporter.
 */
export function frameAtPoint(steps: ReadonlyArray<number | null>, frames: ReadonlyArray<unknown>, at: TimelinePoint): number {
  const withStep = steps.flatMap((s, i) => (s === null ? [] : [{ i, x: at.xOf(s) }]));
  const k = framesOnTimeline([at.x], withStep.map((f) => f.x), withStep.map((f) => frames[f.i] !== null && frames[f.i] !== undefined))[0] ?? -1;
  return withStep[k]?.i ?? -1;
}
