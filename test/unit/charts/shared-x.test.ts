// common/charts/shared-x.ts: two runs side by side on tokens seen (different tokens per step) get
// one x range, the union of their column extents (closed form from the cell edges), so both
// heatmaps' axes are identical; one run alone, or the step axis, keeps each panel's own range.
import { describe, expect, it } from 'vitest';
import { alignRunsOnX, heatmapOption, sharedXExtent, type HeatmapPanel } from '../../../common/charts';

const colour = { mode: 'sequential' as const, log: false, min: 0, max: 1 };
function panel(runId: string, steps: number[], tokensPerStep: number | null): HeatmapPanel {
  return {
    runId, runName: runId, component: 'mlp.out', kind: 'weight', metric: { id: 'frobenius_norm', label: 'Frobenius norm', unit: '' },
    steps, checkpointIds: steps.map((s) => `c${s}`), rows: [{ tensor: 't', block: 0, values: steps.map(() => 0.5) }],
    ...(tokensPerStep ? { x: { unit: 'tokens' as const, values: steps.map((s) => s * tokensPerStep) } } : {}),
  };
}
const axis = (p: HeatmapPanel, scale: 'log' | 'linear') => heatmapOption(p, { stepScale: scale, colour }).xAxis as { min: number; max: number };

describe('runs side by side share one tokens range', () => {
  const a = panel('a', [0, 100, 200], 1000); // tokens 0 .. 200k
  const b = panel('b', [0, 100, 200, 300], 4000); // tokens 0 .. 1.2M

  it('linear: the union of the cell edges, the same on both panels', () => {
    // a's columns 0, 1e5, 2e5: edges -5e4 .. 2.5e5; b's 0, 4e5, 8e5, 1.2e6: edges -2e5 .. 1.4e6.
    expect(sharedXExtent([a, b], 'linear')).toEqual([-2e5, 1.4e6]);
    const m = alignRunsOnX([a, b], 'linear');
    expect(axis(m.get(a)!, 'linear')).toMatchObject({ min: -2e5, max: 1.4e6 });
    expect(axis(m.get(b)!, 'linear')).toMatchObject({ min: -2e5, max: 1.4e6 });
    expect(axis(a, 'linear')).toMatchObject({ min: -5e4, max: 2.5e5 }); // alone: its own columns only
  });

  it('log: both panels on one range', () => {
    const m = alignRunsOnX([a, b], 'log');
    const [ea, eb] = [axis(m.get(a)!, 'log'), axis(m.get(b)!, 'log')];
    // right edge: b's last column log10(1.2e6) plus half its gap to log10(8e5).
    const right = Math.log10(1.2e6) + (Math.log10(1.2e6) - Math.log10(8e5)) / 2;
    expect(ea.max).toBeCloseTo(right, 12);
    expect(eb.max).toBeCloseTo(right, 12);
    expect(ea.min).toBeCloseTo(eb.min, 12);
    expect(ea.min).toBeLessThanOrEqual(axis(a, 'log').min);
  });

  it('one run, or steps, keep their own range', () => {
    expect(alignRunsOnX([a, panel('a', [0, 100, 200], 1000)], 'linear').get(a)).toBe(a);
    const s1 = panel('a', [0, 100], null);
    const s2 = panel('b', [0, 500], null);
    expect(alignRunsOnX([s1, s2], 'linear').get(s1)).toBe(s1);
  });
});
