import { describe, expect, it } from 'vitest';
import { histogram, histogramEdges, histogramRangeForRun } from '../../../main/metrics/histogram';
import { moments } from '../../../main/metrics/moments';
import { expected, loadArray, type Json } from './fixtures';

describe('histogram', () => {
  const e = expected.histogram;

  it('run range from per-checkpoint moments is the symmetric max |x|', () => {
    const extents = [0, 1, 2].map((k) => moments(loadArray(`hist_cp${k}`)));
    const r = histogramRangeForRun(extents);
    expect(r).toEqual({ lo: -e.symmetricR, hi: e.symmetricR });
    const tight = histogramRangeForRun(extents, { symmetric: false });
    expect(tight.lo).toBe(Math.min(...extents.map((m) => m.min!)));
    expect(tight.hi).toBe(Math.max(...extents.map((m) => m.max!)));
    expect(histogramRangeForRun([{ min: null, max: null }])).toEqual({ lo: 0, hi: 1 });
    expect(histogramRangeForRun([{ min: 2, max: 2 }], { symmetric: false })).toEqual({ lo: 1.5, hi: 2.5 });
  });

  for (const c of e.cases as Json[]) {
    it(`matches numpy.histogram: ${c.array}, ${c.bins} bins on [${c.range[0].toFixed(4)}, ${c.range[1].toFixed(4)}]`, () => {
      const edges = histogramEdges({ lo: c.range[0], hi: c.range[1] }, c.bins);
      expect(Array.from(edges)).toEqual(c.edges);
      const h = histogram(loadArray(c.array), edges);
      expect(h.counts).toEqual(c.counts);
      expect(h.underflow).toBe(c.underflow ?? 0);
      expect(h.overflow).toBe(c.overflow ?? 0);
    });
  }

  it('bin boundaries: [lo, hi) except the closed last bin; non-finite counted apart', () => {
    const edges = histogramEdges({ lo: 0, hi: 4 }, 4);
    const h = histogram(new Float64Array([0, 1, 1.5, 2, 3.999, 4, -1e-9, 4.0000001, NaN, Infinity, -Infinity]), edges);
    expect(h.counts).toEqual([1, 2, 1, 2]);
    expect(h.underflow).toBe(1);
    expect(h.overflow).toBe(1);
    expect(h.nonFinite).toEqual({ nan: 1, posInf: 1, negInf: 1 });
    // Non-uniform edges fall back to the corrected search and stay exact.
    const g = histogram(new Float64Array([0.5, 1.5, 9, 10, 99]), [0, 1, 9, 10, 100]);
    expect(g.counts).toEqual([1, 1, 1, 2]);
  });
});
