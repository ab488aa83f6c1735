/**
 * Stage 1's deferred trailing updates (main/compute/eigen/band.ts: the updates of up to 8 panels
 * are kept as factors and written into the trailing matrix together) across many rewrite frames
 * and uneven last frames, against an independent solver: cyclic Jacobi on the same matrix
 * (main/metrics/linear-algebra.ts symmetricEigen, no band reduction, no onnxruntime).
 */
import { describe, expect, it } from 'vitest';
import { symmetricEigenvalues } from '../../../main/compute/eigen';
import { symmetricEigen } from '../../../main/metrics/linear-algebra';

/** A Gram matrix W^T W of a deterministic pseudo-random rows x n W (LCG), both triangles. */
function randomGram(rows: number, n: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const W = new Float64Array(rows * n).map(() => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296 - 0.5;
  });
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < rows; k++) s += W[k * n + i] * W[k * n + j];
      G[i * n + j] = s;
      G[j * n + i] = s;
    }
  }
  return G;
}

describe('deferred band reduction', () => {
  // (order, half-bandwidth): 200 / 3 = 66 panels = 8 full frames and a short one; 131 / 4 ends in
  // a frame of 2 panels; 90 / 11 ends with a remainder block of b + 1.
  for (const [n, b, rows] of [
    [200, 3, 260],
    [131, 4, 131],
    [90, 11, 60],
  ] as const) {
    it(`matches cyclic Jacobi for n = ${n}, half-bandwidth ${b} (Gram of ${rows} x ${n}${rows < n ? ', rank-deficient' : ''})`, async () => {
      const G = randomGram(rows, n, n * 31 + b);
      const reference = symmetricEigen(G, n).values; // descending
      const got = await symmetricEigenvalues(G, n, { bandwidth: b, intraOpThreads: 1 });
      const scale = Math.abs(reference[0]);
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - reference[i]));
      expect(worst).toBeLessThan(1e-12 * scale);
      for (let i = 1; i < n; i++) expect(got[i]).toBeLessThanOrEqual(got[i - 1]);
    });
  }
});
