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

  it('equals a naive binary search per element (numpy convention) on values at, beside and between edges', () => {
    // Independent of the affine map: bin i holds e_i <= v < e_{i+1}, the last bin also v = e_n.
    const naive = (x: Float32Array | Float64Array, edges: ArrayLike<number>): { counts: number[]; under: number; over: number; nf: number[] } => {
      const bins = edges.length - 1;
      const counts = new Array<number>(bins).fill(0);
      let under = 0;
      let over = 0;
      const nf = [0, 0, 0];
      for (const v of x) {
        if (Number.isNaN(v)) nf[0]++;
        else if (v === Infinity) nf[1]++;
        else if (v === -Infinity) nf[2]++;
        else if (v < edges[0]) under++;
        else if (v > edges[bins]) over++;
        else if (v === edges[bins]) counts[bins - 1]++;
        else {
          let a = 0;
          let b = bins;
          while (b - a > 1) {
            const mid = (a + b) >> 1;
            if (v >= edges[mid]) a = mid;
            else b = mid;
          }
          counts[a]++;
        }
      }
      return { counts, under, over, nf };
    };
    let seed = 5;
    const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
    const uniform = histogramEdges({ lo: -0.0731, hi: 0.0731 }, 97);
    const uneven = Float64Array.from([-1, -0.3, -0.29999999999999993, 0, 1e-300, 0.1, 0.7, 2]);
    for (const edges of [uniform, uneven]) {
      const lo = edges[0];
      const hi = edges[edges.length - 1];
      const values: number[] = [];
      for (const e of edges) values.push(e, e - Math.abs(e) * 1e-16 - 1e-300, e + Math.abs(e) * 2e-16 + 1e-300);
      for (let i = 0; i < 20_000; i++) values.push(lo - 0.1 * (hi - lo) + rnd() * 1.2 * (hi - lo));
      values.push(NaN, Infinity, -Infinity, -0, 0);
      for (const x of [Float64Array.from(values), Float32Array.from(values)]) {
        const h = histogram(x, edges);
        const want = naive(x, edges);
        expect(h.counts).toEqual(want.counts);
        expect([h.underflow, h.overflow]).toEqual([want.under, want.over]);
        expect([h.nonFinite.nan, h.nonFinite.posInf, h.nonFinite.negInf]).toEqual(want.nf);
      }
    }
  });
});
