// The shared timeline of a comparison (common/charts/compare-timeline.ts) against a naive
// implementation: at a position T every run shows its computed frame with the largest position
// <= T; aligned by tokens, a run's positions are its own tokens seen (step x its tokens per step).
import { describe, expect, it } from 'vitest';
import { alignRuns, comparisonFrames, comparisonGifIndex, framesOnTimeline, picksAt, unionPositions } from '../../../common/charts/compare-timeline';

/** Run a: 2048 tokens per step, no frame at step 2; run b: 3000 tokens per step. */
const A = { id: 'a', steps: [0, 1, 2, 4, 8, 16, 32], tps: 2048, present: [true, true, false, true, true, true, true] };
const B = { id: 'b', steps: [0, 1, 2, 4, 8, 16], tps: 3000, present: [true, true, true, true, true, true] };
const checkpoints = (r: typeof A) => r.steps.map((step) => ({ step, tokens: step * r.tps, missing: false }));
const runs = [A, B].map((r) => ({ id: r.id, checkpoints: checkpoints(r), steps: r.steps, present: r.present }));

/** Naive pick: the index of the last computed frame whose position is <= x, by a full scan. */
function naivePick(positions: number[], present: boolean[], x: number): number {
  let best = -1;
  positions.forEach((p, i) => {
    if (present[i] && p <= x && (best < 0 || p >= positions[best])) best = i;
  });
  return best;
}

describe('compare timeline', () => {
  it('aligns by tokens only when every run has tokens', () => {
    const byTokens = alignRuns('tokens', runs);
    expect(byTokens.byTokens).toBe(true);
    expect(byTokens.xOf.get('a')?.(8)).toBe(8 * 2048);
    expect(byTokens.xOf.get('b')?.(8)).toBe(8 * 3000);
    const noTokens = alignRuns('tokens', [runs[0], { ...runs[1], checkpoints: B.steps.map((step) => ({ step, tokens: null })) }]);
    expect(noTokens.byTokens).toBe(false);
    expect(noTokens.xOf.get('a')?.(8)).toBe(8);
    expect(alignRuns('step', runs).byTokens).toBe(false);
  });

  it('frames by tokens: one per position where a run has a frame; each run at its latest frame at or before it', () => {
    const alignment = alignRuns('tokens', runs);
    const { positions, picks } = comparisonFrames(alignment, runs);
    const xa = A.steps.map((s) => s * A.tps);
    const xb = B.steps.map((s) => s * B.tps);
    const want = [...new Set([...xa.filter((_, i) => A.present[i]), ...xb])].sort((p, q) => p - q);
    expect(positions).toEqual(want);
    expect(positions.length).toBe(11);
    positions.forEach((x, i) => {
      expect(picks[0][i]).toBe(naivePick(xa, A.present, x));
      expect(picks[1][i]).toBe(naivePick(xb, B.present, x));
    });
    // At 6000 tokens: a is at step 2's position (4096) but has no frame there, so it shows step 1; b is at step 2.
    const at6000 = positions.indexOf(6000);
    expect(A.steps[picks[0][at6000]]).toBe(1);
    expect(B.steps[picks[1][at6000]]).toBe(2);
    // A still at any position (also between frames) follows the same rule.
    for (const x of [0, 1, 2047, 2048, 5000, 12000, 70000]) expect(picksAt(alignment, runs, x)).toEqual([naivePick(xa, A.present, x), naivePick(xb, B.present, x)]);
  });

  it('frames by step, and a range of positions', () => {
    const step = comparisonFrames(alignRuns('step', runs), runs);
    expect(step.positions).toEqual([0, 1, 2, 4, 8, 16, 32]);
    expect(step.picks[0]).toEqual([0, 1, 1, 3, 4, 5, 6]);
    expect(step.picks[1]).toEqual([0, 1, 2, 3, 4, 5, 5]);
    const ranged = comparisonFrames(alignRuns('tokens', runs), runs, [3000, 20000]);
    expect(ranged.positions).toEqual([3000, 6000, 8192, 12000, 16384]);
    // At the range's start, a run shows its latest frame before it (a: step 1 at 2048 tokens).
    expect(ranged.picks[0][0]).toBe(1);
  });

  it('the GIF dialog counts what comparisonFrames writes and offers the view timeline as choices', () => {
    for (const unit of ['step', 'tokens'] as const) {
      const index = comparisonGifIndex(unit, runs);
      const alignment = alignRuns(unit, runs);
      expect(index.byTokens).toBe(unit === 'tokens');
      expect(index.choices).toEqual(unionPositions(runs.map((r) => ({ checkpoints: r.checkpoints, x: alignment.xOf.get(r.id) ?? ((s) => s) }))));
      expect(index.count()).toBe(comparisonFrames(alignment, runs).positions.length);
      expect(index.count([index.choices[2], index.choices[5]])).toBe(comparisonFrames(alignment, runs, [index.choices[2], index.choices[5]]).positions.length);
    }
    // Tokens: a's step 2 (4096 tokens) has no frame but is a checkpoint: a choice, not a frame.
    const tokens = comparisonGifIndex('tokens', runs);
    expect(tokens.choices.length).toBe(12);
    expect(tokens.count()).toBe(11);
    expect(tokens.count([3000, 20000])).toBe(5);
    expect(comparisonGifIndex('step', runs).count()).toBe(7);
  });

  it('framesOnTimeline skips frames not computed', () => {
    expect(framesOnTimeline([0, 1, 2, 3], [0, 1, 2], [false, true, false])).toEqual([-1, 1, 1, 1]);
  });
});
