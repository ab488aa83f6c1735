/**
 * Symmetric eigenvalues (two-stage band reduction on onnxruntime + bulge chasing + QL) against
 * closed forms: matrices Q diag(lambda) Q^T with Q a product of Householder reflections built
 * here, so the exact eigenvalues are known; plus the tridiagonal QL on its own.
 */
import { describe, expect, it } from 'vitest';
import { EigenError, symmetricEigenvalues, tridiagonalEigenvalues } from '../../../main/compute/eigen';

/** Deterministic uniform [0, 1) generator (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Q diag(lambda) Q^T with Q = H_1 ... H_k random Householder reflections (exactly orthogonal up to rounding). */
function withKnownEigenvalues(lambda: number[], seed: number): Float64Array {
  const n = lambda.length;
  const rand = rng(seed);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) A[i * n + i] = lambda[i];
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < 4; k++) {
    let norm = 0;
    for (let i = 0; i < n; i++) {
      v[i] = rand() - 0.5;
      norm += v[i] * v[i];
    }
    const scale = Math.sqrt(2 / norm); // H = I - u u^T with u = v * scale, ||u||^2 = 2
    for (let i = 0; i < n; i++) v[i] = v[i] * scale;
    // A <- H A H = A - u (A u)^T - (A u) u^T + u (u^T A u) u^T
    let uAu = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * v[j];
      w[i] = s;
      uAu += v[i] * s;
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        A[i * n + j] = A[i * n + j] - v[i] * w[j] - w[i] * v[j] + v[i] * uAu * v[j];
      }
    }
  }
  // Exact symmetry (the eigensolver reads both triangles).
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[j * n + i] = A[i * n + j];
  return A;
}

function expectEigenvalues(actual: Float64Array, lambda: number[], relToMax: number): void {
  const expected = [...lambda].sort((a, b) => b - a);
  const scale = Math.max(...expected.map(Math.abs)) || 1;
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / scale).toBeLessThanOrEqual(relToMax);
}

describe('tridiagonalEigenvalues', () => {
  it('matches the closed form of the second-difference matrix', () => {
    // tridiag(-1, 2, -1) of order n: eigenvalues 2 - 2 cos(k pi / (n + 1)).
    const n = 50;
    const d = new Float64Array(n).fill(2);
    const e = new Float64Array(n).fill(-1);
    const got = tridiagonalEigenvalues(d, e);
    for (let k = 1; k <= n; k++) expect(got[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 13);
  });

  it('handles diagonal input and order one', () => {
    expect([...tridiagonalEigenvalues(new Float64Array([3, -1, 2]), new Float64Array(3))]).toEqual([-1, 2, 3]);
    expect([...tridiagonalEigenvalues(new Float64Array([5]), new Float64Array(1))]).toEqual([5]);
  });
});

describe('symmetricEigenvalues', () => {
  const cases: { n: number; bandwidth?: number}[] = [
    { n: 1 },
    { n: 2 },
    { n: 3, bandwidth: 1 },
    { n: 7, bandwidth: 2 },
    { n: 33 },
    { n: 34 },
    { n: 70 },
    { n: 70, bandwidth: 5 },
    { n: 97, bandwidth: 8 },
    { n: 150, bandwidth: 16 },
    { n: 120, bandwidth: 6 },
    { n: 121, bandwidth: 7 },
  ];
  for (const { n, bandwidth } of cases) {
    it(`recovers known eigenvalues, n = ${n}, bandwidth ${bandwidth ?? 'default'}`, async () => {
      const rand = rng(1000 + n);
      const lambda = Array.from({ length: n }, () => (rand() - 0.3) * 10);
      const A = withKnownEigenvalues(lambda, n);
      const copy = A.slice();
      const got = await symmetricEigenvalues(A, n, { bandwidth, intraOpThreads: 1 });
      expectEigenvalues(got, lambda, 1e-12);
      expect(A).toEqual(copy); // input untouched
    });
  }

  it('resolves repeated and zero eigenvalues (a rank-deficient Gram)', async () => {
    const lambda = [4, 4, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2.5, 1e-3, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3];
    const A = withKnownEigenvalues(lambda, 7);
    const got = await symmetricEigenvalues(A, lambda.length, { bandwidth: 6, intraOpThreads: 1 });
    expectEigenvalues(got, lambda, 1e-13);
  });

  it('handles spectra spanning many orders of magnitude', async () => {
    const n = 80;
    const lambda = Array.from({ length: n }, (_, i) => 10 ** (4 - (8 * i) / (n - 1)));
    const A = withKnownEigenvalues(lambda, 3);
    const got = await symmetricEigenvalues(A, n, { bandwidth: 8, intraOpThreads: 1 });
    expectEigenvalues(got, lambda, 1e-13);
  });

  it('gives the same eigenvalues when allowed to overwrite its input', async () => {
    const n = 90;
    const rand = rng(99);
    const lambda = Array.from({ length: n }, () => rand() * 5);
    const A = withKnownEigenvalues(lambda, 11);
    const kept = await symmetricEigenvalues(A, n, { bandwidth: 8, intraOpThreads: 1 });
    const overwritten = await symmetricEigenvalues(A, n, { bandwidth: 8, intraOpThreads: 1, overwrite: true });
    expect(overwritten).toEqual(kept);
    expectEigenvalues(overwritten, lambda, 1e-13);
  });

  it('rejects bad shapes and non-finite entries', async () => {
    await expect(symmetricEigenvalues(new Float64Array(3), 2)).rejects.toThrow(EigenError);
    await expect(symmetricEigenvalues(new Float64Array([1, Number.NaN, Number.NaN, 1]), 2)).rejects.toThrow(EigenError);
  });
});
