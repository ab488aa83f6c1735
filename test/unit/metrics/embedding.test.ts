import { describe, expect, it } from 'vitest';
import { averageLinkage, clusterOrder, embeddingCorrelation } from '../../../main/metrics/embedding';
import { MetricInputError } from '../../../main/metrics/moments';
import { expected, loadArray } from './fixtures';

const e = expected.embedding;

describe('embeddingCorrelation', () => {
  it('equals numpy.corrcoef (abs 1e-12), NaN for a constant row', () => {
    const corr = embeddingCorrelation(loadArray(e.array), e.rows, e.cols, e.r0, e.r1);
    const want = loadArray(e.corr);
    const n = e.r1 - e.r0;
    expect(corr.length).toBe(n * n);
    let maxDiff = 0;
    for (let i = 0; i < n * n; i++) {
      if (Number.isNaN(want[i])) expect(corr[i]).toBeNaN();
      else maxDiff = Math.max(maxDiff, Math.abs(corr[i] - want[i]));
    }
    expect(maxDiff).toBeLessThan(1e-12);
    expect(corr[e.constantRow * n + e.constantRow]).toBeNaN();
    expect(corr[0]).toBe(1);
  });

  it('closed form and input checks', () => {
    // Rows: x, 2x+1, -x, constant.
    const x = [1, 2, 4, 7];
    const emb = new Float64Array([...x, ...x.map((v) => 2 * v + 1), ...x.map((v) => -v), 3, 3, 3, 3]);
    const c = embeddingCorrelation(emb, 4, 4, 0, 4);
    expect(c[1]).toBeCloseTo(1, 15);
    expect(c[2]).toBeCloseTo(-1, 15);
    expect(c[3]).toBeNaN();
    expect(() => embeddingCorrelation(emb, 4, 5)).toThrow(MetricInputError);
    expect(() => embeddingCorrelation(emb, 4, 4, 0, 5)).toThrow(MetricInputError);
  });
});

describe('clusterOrder', () => {
  it('average-linkage merge heights equal scipy.cluster.hierarchy.linkage(method="average")', () => {
    const corr = loadArray(e.corr);
    const n = e.r1 - e.r0;
    const { merges, order } = averageLinkage(corr, n);
    expect(merges.length).toBe(n - 1);
    const heights = merges.map((m) => m.height).sort((a, b) => a - b);
    heights.forEach((h, i) => expect(Math.abs(h - e.linkageHeights[i])).toBeLessThan(1e-12));
    expect([...order].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  });

  it('puts the members of each planted group next to each other', () => {
    const corr = embeddingCorrelation(loadArray(e.array), e.rows, e.cols, e.r0, e.r1);
    const n = e.r1 - e.r0;
    const order = clusterOrder(corr, n).filter((i) => i !== e.constantRow);
    const groups: number[] = order.map((i) => e.groups[i]);
    // Contiguous: the group label changes exactly (number of groups - 1) times.
    let changes = 0;
    for (let i = 1; i < groups.length; i++) if (groups[i] !== groups[i - 1]) changes++;
    expect(changes).toBe(new Set(groups).size - 1);
    // Deterministic.
    expect(clusterOrder(corr, n)).toEqual(clusterOrder(corr, n));
  });

  it('small cases', () => {
    expect(clusterOrder(new Float64Array(0), 0)).toEqual([]);
    expect(clusterOrder(new Float64Array([1]), 1)).toEqual([0]);
    // 0 and 2 correlate, 1 and 3 correlate.
    const m = new Float64Array([1, 0, 0.9, 0, 0, 1, 0, 0.8, 0.9, 0, 1, 0, 0, 0.8, 0, 1]);
    const o = clusterOrder(m, 4);
    expect(Math.abs(o.indexOf(0) - o.indexOf(2))).toBe(1);
    expect(Math.abs(o.indexOf(1) - o.indexOf(3))).toBe(1);
  });
});
