// main/metrics/co-update.ts against the naive implementation (co-update-naive.ts) on random update
// sizes with gaps, and its edge cases: rows that never move are dropped, fewer than 3 shared
// intervals give no correlation, the order is a permutation that puts identical rows side by side.
import { describe, expect, it } from 'vitest';
import { coUpdate } from '../../../main/metrics/co-update';
import { naiveCoUpdate } from './co-update-naive';

function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

describe('coUpdate', () => {
  for (const removeCommon of [false, true]) {
    it(`matches the naive definition on random sizes with missing intervals (removeCommon ${removeCommon})`, () => {
      const r = rng(removeCommon ? 5 : 9);
      const sizes = Array.from({ length: 9 }, () => Array.from({ length: 30 }, (_, k) => (k === 3 || (k === 7 && r() < 0.5) ? null : 10 ** (3 * r() - 4))));
      sizes.push(Array.from({ length: 30 }, () => 0)); // never moves: dropped
      const got = coUpdate({ sizes, removeCommon });
      expect(got.dropped).toEqual([9]);
      expect(got.units).toEqual([...Array(9).keys()]);
      expect(got.intervals).not.toContain(3);
      const naive = naiveCoUpdate(sizes, removeCommon);
      for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) expect(Math.abs(got.matrix[i * 9 + j] - naive[i][j])).toBeLessThan(1e-12);
      expect([...got.order].sort((a, b) => a - b)).toEqual([...Array(9).keys()]);
    });
  }

  it('puts rows equal up to a factor next to each other', () => {
    const base = [1, 4, 2, 8, 3, 9, 1, 5];
    const other = [7, 1, 6, 2, 9, 1, 3, 2];
    const sizes = [base, other, base.map((v) => v * 3), other.map((v) => v / 2), base.map((v) => v * 0.1)];
    const got = coUpdate({ sizes });
    expect(got.matrix[0 * 5 + 2]).toBeCloseTo(1, 12);
    const pos = (u: number): number => got.order.indexOf(u);
    const group = [0, 2, 4].map(pos).sort((a, b) => a - b);
    expect(group[2] - group[0]).toBe(2); // the three scaled copies are contiguous
  });

  it('fewer than 3 shared intervals: no correlation off the diagonal', () => {
    const got = coUpdate({ sizes: [[1, 2, null, 3], [2, 1, 5, null]] });
    expect(got.intervals).toEqual([0, 1]);
    expect(Number.isNaN(got.matrix[1])).toBe(true);
    expect(got.matrix[0]).toBe(1);
  });
});
