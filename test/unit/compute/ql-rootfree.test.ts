/**
 * Stage 3's root-free QL (main/compute/eigen/ql.ts, EISPACK tqlrat) against the QL with square
 * roots it replaced (reference/ql-before.ts, EISPACK tql1) and against closed forms: random
 * tridiagonals of several orders and scales, graded ones (entries over 30 orders of magnitude),
 * split ones (zero sub-diagonals), repeated eigenvalues; and the Wilkinson matrix W21+, whose two
 * largest eigenvalues agree to 14 digits.
 */
import { describe, expect, it } from 'vitest';
import { tridiagonalEigenvalues } from '../../../main/compute/eigen/ql';
import { tridiagonalEigenvaluesTql1 } from './reference/ql-before';

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296 - 0.5;
  };
}

/** Both are backward stable: eigenvalues within a small multiple of n eps max|lambda| of each other. */
function compare(d: Float64Array, e: Float64Array, tolerance = 2 * d.length * Number.EPSILON): Float64Array {
  const got = tridiagonalEigenvalues(d.slice(), e.slice());
  const want = tridiagonalEigenvaluesTql1(d.slice(), e.slice());
  const scale = Math.max(...want.map(Math.abs));
  for (let i = 0; i < d.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tolerance * scale);
  for (let i = 1; i < d.length; i++) expect(got[i]).toBeGreaterThanOrEqual(got[i - 1]);
  return got;
}

describe('root-free QL', () => {
  for (const [n, scale, seed] of [
    [2, 1, 1],
    [7, 1e-3, 2],
    [100, 1, 3],
    [768, 40, 4],
    [300, 1e8, 5],
  ] as const) {
    it(`agrees with tql1 on a random tridiagonal (n = ${n}, scale ${scale})`, () => {
      const rnd = lcg(seed);
      const d = new Float64Array(n).map(() => scale * rnd());
      const e = new Float64Array(n).map(() => scale * rnd());
      compare(d, e);
    });
  }

  it('agrees on a graded tridiagonal and on one split by zero sub-diagonals', () => {
    const n = 60;
    const d = Float64Array.from({ length: n }, (_, i) => 10 ** (15 - i / 2));
    const e = Float64Array.from({ length: n }, (_, i) => 10 ** (14.5 - i / 2));
    compare(d, e, 1e-14);
    const rnd = lcg(9);
    const d2 = new Float64Array(50).map(() => rnd());
    const e2 = new Float64Array(50).map((_, i) => (i % 7 === 6 ? 0 : rnd()));
    compare(d2, e2, 1e-14);
  });

  it('finds repeated eigenvalues: the second-difference matrix and a constant diagonal', () => {
    const n = 40;
    const got = compare(new Float64Array(n).fill(2), new Float64Array(n).fill(-1), 1e-14);
    for (let k = 1; k <= n; k++) expect(got[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 13);
    expect([...tridiagonalEigenvalues(new Float64Array(5).fill(3), new Float64Array(5))]).toEqual([3, 3, 3, 3, 3]);
  });

  it('separates the nearly equal largest eigenvalues of Wilkinson W21+', () => {
    const d = Float64Array.from({ length: 21 }, (_, i) => Math.abs(10 - i));
    const e = new Float64Array(21).fill(1);
    const got = compare(d, e, 1e-14);
    // Known values (Wilkinson, The Algebraic Eigenvalue Problem): 10.746194182903393 and 10.746194182903322.
    expect(got[20]).toBeCloseTo(10.746194182903393, 13);
    expect(got[19]).toBeCloseTo(10.746194182903322, 13);
  });
});
