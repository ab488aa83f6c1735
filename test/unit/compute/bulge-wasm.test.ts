/**
 * Stage 2 of the eigensolver in WebAssembly (main/compute/eigen/kernels.wat `chase`, via bulge.ts) against
 * the JavaScript bulge chasing it replaced (reference/bulge-before.ts): the same tridiagonal bit
 * for bit on random symmetric bands of several orders and half-bandwidths (odd and even lengths,
 * the short last blocks, b = 1 and 2), bands with zero columns (tau = 0 branches), and the band
 * store left unchanged; and the eigenvalues of the tridiagonal against cyclic Jacobi on the band.
 */
import { describe, expect, it } from 'vitest';
import { bandToTridiagonal } from '../../../main/compute/eigen/bulge';
import { tridiagonalEigenvalues } from '../../../main/compute/eigen/ql';
import { symmetricEigen } from '../../../main/metrics/linear-algebra';
import { bandToTridiagonal as bandToTridiagonalBefore } from './reference/bulge-before';

/** A symmetric band of half-bandwidth b in the lower band store (ld = 2b + 1), LCG entries. */
function randomBand(n: number, b: number, seed: number, zeroColumns: number[] = []): { band: Float64Array; ld: number } {
  const ld = 2 * b + 1;
  const band = new Float64Array(n * ld);
  let state = seed >>> 0;
  for (let c = 0; c < n; c++) {
    for (let r = 0; r <= b && c + r < n; r++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      band[c * ld + r] = zeroColumns.includes(c) && r > 0 ? 0 : state / 4294967296 - 0.5;
    }
  }
  return { band, ld };
}

function dense(store: { band: Float64Array; ld: number }, n: number, b: number): Float64Array {
  const A = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let r = 0; r <= b && c + r < n; r++) {
      A[(c + r) * n + c] = store.band[c * store.ld + r];
      A[c * n + c + r] = store.band[c * store.ld + r];
    }
  }
  return A;
}

describe('bulge chasing in WebAssembly', () => {
  for (const [n, b, zeros] of [
    [3, 1, []],
    [40, 2, []],
    [97, 16, []],
    [130, 7, [0, 5, 64]],
    [200, 16, [10, 11, 12]],
    [64, 32, []],
    [33, 15, [32]],
  ] as const) {
    it(`equals the JavaScript version bit for bit (n = ${n}, b = ${b}${zeros.length ? ', zero columns' : ''})`, () => {
      const store = randomBand(n, b, n * 131 + b, [...zeros]);
      const copy = store.band.slice();
      const got = bandToTridiagonal(store, n, b);
      expect(store.band).toEqual(copy);
      const want = bandToTridiagonalBefore({ band: copy.slice(), ld: store.ld }, n, b);
      expect(got.d).toEqual(want.d);
      expect(got.e).toEqual(want.e);
    });
  }

  it('keeps the eigenvalues (cyclic Jacobi on the dense band)', () => {
    const [n, b] = [150, 16];
    const store = randomBand(n, b, 5);
    const reference = symmetricEigen(dense(store, n, b), n).values; // descending
    const { d, e } = bandToTridiagonal(store, n, b);
    const got = tridiagonalEigenvalues(d, e).reverse();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - reference[i]));
    expect(worst).toBeLessThan(1e-12 * Math.abs(reference[0]));
  });

  it('grows its memory for a larger band after a smaller one', () => {
    for (const n of [20, 1500]) {
      const store = randomBand(n, 8, n);
      const want = bandToTridiagonalBefore({ band: store.band.slice(), ld: store.ld }, n, 8);
      expect(bandToTridiagonal(store, n, 8).d).toEqual(want.d);
    }
  });

  it('refuses a store without room for the bulges', () => {
    expect(() => bandToTridiagonal({ band: new Float64Array(10 * 5), ld: 5 }, 10, 3)).toThrow(/bulge chasing needs 6/);
  });
});
