// A run's frame at a point of a comparison's shared timeline (timeline.ts: the union of the shown
// runs' steps, or tokens seen): its frame at that position, or its latest computed one before it.
// The single-point form of ComparePanel.tsx framesOnTimeline, for panels that show one run each
// (the embedding correlation side by side, CompareCorrelation.tsx).

export interface TimelinePoint {
  /** The timeline's position (a step, or tokens seen). */
  x: number;
  /** This run's step -> timeline position. */
  xOf: (step: number) => number;
}

/** Index of the latest frame present at or before the point (steps ascending as the API returns them); -1: none. */
export function frameAtPoint(steps: ReadonlyArray<number | null>, frames: ReadonlyArray<unknown>, at: TimelinePoint): number {
  let best = -1;
  let bestX = -Infinity;
  steps.forEach((s, i) => {
    if (s === null || frames[i] === null || frames[i] === undefined) return;
    const x = at.xOf(s);
    if (x <= at.x && x >= bestX) {
      best = i;
      bestX = x;
    }
  });
  return best;
}
