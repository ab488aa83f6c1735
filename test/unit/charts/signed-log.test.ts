// Issue 15 #3: activation and gradient histograms are binned on sign-symmetric log edges. Their
// axis must say it is a signed-log scale and tick at decades (0, ±1e<k>), and a linear view must
// be offered: each log bin's count spread evenly over the linear bins it overlaps.
import { describe, expect, it } from 'vitest';
import { histogramOption } from '../../../common/charts/histogram';
import { isSignedLogEdges, linearRange, signedLogTicks, toLinearBins } from '../../../common/charts/signed-log';
import { ACTIVATION_EDGES, GRADIENT_EDGES, logSymmetricEdges } from '../../../main/metrics/log-histogram';

const label = { runName: 'r', tensor: 'resid.1', component: 'resid', block: 0, step: 100, checkpointId: 'step100', unit: 'value' };

describe('signed-log histogram axis', () => {
  it('recognises the activation and gradient edges, not linear ones', () => {
    expect(isSignedLogEdges(Array.from(ACTIVATION_EDGES))).toBe(true);
    expect(isSignedLogEdges(Array.from(GRADIENT_EDGES))).toBe(true);
    expect(isSignedLogEdges(Array.from({ length: 101 }, (_, i) => -1 + i / 50))).toBe(false);
  });

  it('ticks at 0 and at decades, mirrored, with labels naming the power of ten', () => {
    const edges = Array.from(logSymmetricEdges(1e-3, 1e2, 2)); // 10 bins per side + the centre
    const ticks = signedLogTicks(edges);
    const n = edges.length;
    expect(ticks.get(n / 2)).toBe('0'); // category of the central bin [-1e-3, 1e-3]
    const labels = [...ticks.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
    expect(labels).toEqual(['−1e1', '−1e0', '−1e-1', '−1e-2', '−1e-3', '0', '1e-3', '1e-2', '1e-1', '1e0', '1e1']);
    // Each positive decade tick sits on the bin that starts at that decade.
    for (const [cat, l] of ticks) if (/^1e/.test(l)) expect(edges[cat - 1]).toBeCloseTo(Number(l), 12);
    const option = histogramOption({ edges, counts: new Array(n - 1).fill(1), underflow: 0, overflow: 0 }, label, { yLog: false, xName: 'activation' });
    expect((option.xAxis as { name: string }).name).toBe('activation [value], signed log scale: decades either side of 0');
  });

  it('the linear view keeps every count and spreads a bin by overlap (naive check)', () => {
    const edges = Array.from(logSymmetricEdges(1e-2, 1e1, 1)); // [-10,-1,-0.1,-0.01,0.01,0.1,1,10]
    const counts = [5, 7, 11, 20, 13, 3, 2];
    const frame = { edges, counts, underflow: 1, overflow: 4 };
    const range = linearRange([frame], 0.5);
    expect(range).toBe(0.1);
    const lin = toLinearBins(frame, 1, 4); // bins [-1,-0.5), [-0.5,0), [0,0.5), [0.5,1]
    const total = (f: { counts: number[]; underflow: number; overflow: number }) => f.counts.reduce((a, b) => a + b, 0) + f.underflow + f.overflow;
    expect(total(lin)).toBeCloseTo(total(frame), 12);
    // Naive, bin by bin: [-10,-1) (5) is below the range; [-1,-0.1) (7) spreads 0.5/0.9 and
    // 0.4/0.9; [-0.1,-0.01) (11) is in [-0.5,0); [-0.01,0.01) (20) is split in half;
    // [0.01,0.1) (13) in [0,0.5); [0.1,1) (3) spreads 0.4/0.9 and 0.5/0.9; [1,10) (2) is above.
    expect(lin.counts[0]).toBeCloseTo((7 * 0.5) / 0.9, 12);
    expect(lin.counts[1]).toBeCloseTo((7 * 0.4) / 0.9 + 11 + 10, 12);
    expect(lin.counts[2]).toBeCloseTo(10 + 13 + (3 * 0.4) / 0.9, 12);
    expect(lin.counts[3]).toBeCloseTo((3 * 0.5) / 0.9, 12);
    expect(lin.underflow).toBe(1 + 5);
    expect(lin.overflow).toBe(4 + 2);
  });
});
