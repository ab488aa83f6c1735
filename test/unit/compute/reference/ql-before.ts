// Stage 3 of main/compute/eigen.ts as it was before the root-free QL replaced it (EISPACK tql1,
// implicit QL with Wilkinson shifts), kept as the reference test/unit/compute/ql-rootfree.test.ts
// compares the new one with.
import { EigenError } from '../../../../main/compute/eigen/common';

/**
 * Eigenvalues (ascending) of the symmetric tridiagonal matrix with diagonal d and sub-diagonal
 * e[0..n-2] by implicit QL with Wilkinson shifts (EISPACK tql1). d and e are overwritten.
 */
export function tridiagonalEigenvaluesTql1(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  if (e.length < n) throw new EigenError(`sub-diagonal has ${e.length} entries, expected ${n} (last one ignored)`);
  if (n === 0) return d;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    const h0 = Math.abs(d[l]) + Math.abs(e[l]);
    if (tst1 < h0) tst1 = h0;
    let m = l;
    while (m < n) {
      if (tst1 + Math.abs(e[m]) === tst1) break;
      m++;
    }
    if (m > l) {
      for (;;) {
        if (++iter > 60) throw new EigenError(`QL did not converge for eigenvalue ${l} of ${n}`);
        const l1 = l + 1;
        const g0 = d[l];
        let p = (d[l1] - g0) / (2 * e[l]);
        let r = Math.sqrt(p * p + 1);
        const pr = p + (p >= 0 ? r : -r);
        d[l] = e[l] / pr;
        d[l1] = e[l] * pr;
        const dl1 = d[l1];
        let h = g0 - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = e[i];
          const g = c * ei;
          h = c * p;
          r = Math.sqrt(p * p + ei * ei);
          e[i + 1] = s * r;
          s = ei / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(tst1 + Math.abs(e[l]) > tst1)) break;
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
