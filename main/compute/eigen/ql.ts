// Stage 3 of main/compute/eigen.ts: symmetric tridiagonal eigenvalues.
import { EigenError } from './common';

/**
 * Eigenvalues (ascending) of the symmetric tridiagonal matrix with diagonal d and sub-diagonal
 * e[0..n-2] by the root-free (Pal-Walker-Kahan) QL of EISPACK tqlrat, on the squared sub-diagonal;
 * LAPACK dsterf uses the same iteration. Why not the QL with square roots (tql1) used before:
 * its inner loop waits on a square root and two divisions per rotation, this one on two
 * divisions, which halved this stage's CPU (BENCHMARKS.md, "Measurements behind design choices");
 * against LAPACK's eigvalsh on the 50 Grams of a Pythia-160m-shaped checkpoint both are off by
 * <= 9e-13 s_max (test/unit/compute/ql-rootfree.test.ts compares it with tql1). d and e are
 * overwritten (e holds the squares).
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  if (e.length < n) throw new EigenError(`sub-diagonal has ${e.length} entries, expected ${n} (last one ignored)`);
  if (n === 0) return d;
  const e2 = e;
  for (let i = 0; i < n - 1; i++) e2[i] = e[i] * e[i];
  e2[n - 1] = 0;
  let f = 0;
  let t = 0; // largest |d_l| + |e_l| so far: the scale of the convergence test
  let tiny = 0; // eps * t, stands in for an exact zero pivot
  let c = 0; // tiny^2: a squared sub-diagonal at or below it is negligible
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let h = Math.abs(d[l]) + Math.sqrt(e2[l]);
    if (t <= h) {
      t = h;
      tiny = Number.EPSILON * t;
      c = tiny * tiny;
    }
    let m = l;
    while (e2[m] > c) m++; // e2[n - 1] = 0 stops it
    if (m > l) {
      for (;;) {
        if (++iter > 60) throw new EigenError(`QL did not converge for eigenvalue ${l} of ${n}`);
        // Shift from the leading 2 x 2 block.
        const l1 = l + 1;
        let s = Math.sqrt(e2[l]);
        let g = d[l];
        let p = (d[l1] - g) / (2 * s);
        let r = Math.sqrt(p * p + 1);
        d[l] = s / (p + (p >= 0 ? r : -r));
        h = g - d[l];
        for (let i = l1; i < n; i++) d[i] -= h;
        f += h;
        // Rational QL sweep from m up to l.
        g = d[m];
        if (g === 0) g = tiny;
        h = g;
        s = 0;
        for (let i = m - 1; i >= l; i--) {
          p = g * h;
          r = p + e2[i];
          e2[i + 1] = s * r;
          s = e2[i] / r;
          d[i + 1] = h + s * (h + d[i]);
          g = d[i] - e2[i] / g;
          if (g === 0) g = tiny;
          h = (g * p) / r;
        }
        e2[l] = s * g;
        d[l] = h;
        // Converged (the test guarded against underflow), else the next sweep on the same block.
        if (h === 0 || Math.abs(e2[l]) <= Math.abs(c / h)) break;
        e2[l] = h * e2[l];
        if (e2[l] === 0) break;
      }
    }
    // Insert d[l] + f into the sorted d[0..l-1].
    const p = d[l] + f;
    let i = l;
    while (i > 0 && p < d[i - 1]) {
      d[i] = d[i - 1];
      i--;
    }
    d[i] = p;
  }
  return d;
}
