// The JavaScript bulge chasing (stage 2 of main/compute/eigen.ts) as it was before the
// WebAssembly kernel (main/compute/eigen/kernels.wat `chase`) replaced it, kept as the reference they must
// match bit for bit (test/unit/compute/bulge-wasm.test.ts).
import { EigenError, householder, type BandStore } from '../../../../main/compute/eigen/common';

/** D <- H D H on the symmetric block D = A[st..st+len-1]^2 (lower part in the band). */
function twoSidedOnDiagonalBlock(
  band: Float64Array,
  ld: number,
  st: number,
  len: number,
  v: Float64Array,
  tau: number,
  w: Float64Array,
): void {
  if (tau === 0) return;
  for (let r = 0; r < len; r++) w[r] = 0;
  // w = D v (symmetric, lower storage, column by column).
  for (let c = 0; c < len; c++) {
    const base = (st + c) * ld - c;
    const vc = v[c];
    let acc = band[base + c] * vc;
    let acc1 = 0;
    let r = c + 1;
    for (; r + 1 < len; r += 2) {
      const a0 = band[base + r];
      const a1 = band[base + r + 1];
      w[r] += a0 * vc;
      w[r + 1] += a1 * vc;
      acc += a0 * v[r];
      acc1 += a1 * v[r + 1];
    }
    for (; r < len; r++) {
      const a = band[base + r];
      w[r] += a * vc;
      acc += a * v[r];
    }
    w[c] += acc + acc1;
  }
  let vw = 0;
  for (let r = 0; r < len; r++) {
    w[r] *= tau;
    vw += w[r] * v[r];
  }
  const alpha = -0.5 * tau * vw;
  for (let r = 0; r < len; r++) w[r] += alpha * v[r];
  // D -= v w^T + w v^T (lower part).
  for (let c = 0; c < len; c++) {
    const base = (st + c) * ld - c;
    const vc = v[c];
    const wc = w[c];
    let r = c;
    for (; r + 3 < len; r += 4) {
      band[base + r] -= v[r] * wc + w[r] * vc;
      band[base + r + 1] -= v[r + 1] * wc + w[r + 1] * vc;
      band[base + r + 2] -= v[r + 2] * wc + w[r + 2] * vc;
      band[base + r + 3] -= v[r + 3] * wc + w[r + 3] * vc;
    }
    for (; r < len; r++) band[base + r] -= v[r] * wc + w[r] * vc;
  }
}

/** Reduces the band (half-bandwidth b, store with >= 2b sub-diagonals) to tridiagonal d, e. */
export function bandToTridiagonal(store: BandStore, n: number, b: number): { d: Float64Array; e: Float64Array } {
  const { band, ld } = store;
  if (ld < 2 * b) throw new EigenError(`band store has ${ld} diagonals, bulge chasing needs ${2 * b}`);
  let v = new Float64Array(b);
  let v2 = new Float64Array(b);
  const w = new Float64Array(b);
  if (b >= 2) {
    for (let j = 0; j < n - 2; j++) {
      let st = j + 1;
      let ed = Math.min(j + b, n - 1);
      let len = ed - st + 1;
      if (len < 2) continue;
      // Type 1: eliminate column j below the sub-diagonal, then transform its diagonal block.
      let tau = householder(band, j * ld + 1, len, v);
      twoSidedOnDiagonalBlock(band, ld, st, len, v, tau, w);
      for (;;) {
        const nst = ed + 1;
        if (nst > n - 1) break;
        const ned = Math.min(ed + b, n - 1);
        const len2 = ned - nst + 1;
        // Type 2: block B = A[nst..ned, st..ed] <- B H (creates the bulge), then annihilate the
        // bulge's first column with H2 and apply H2 from the left to the rest of B. B's columns
        // are contiguous in the band store; the right update and H2 share one pass per column.
        const base0 = st * ld + (nst - st);
        if (tau !== 0) {
          for (let r = 0; r < len2; r++) w[r] = 0;
          for (let c = 0; c < len; c++) {
            const base = base0 + c * (ld - 1);
            const vc = v[c];
            let r = 0;
            for (; r + 3 < len2; r += 4) {
              w[r] += band[base + r] * vc;
              w[r + 1] += band[base + r + 1] * vc;
              w[r + 2] += band[base + r + 2] * vc;
              w[r + 3] += band[base + r + 3] * vc;
            }
            for (; r < len2; r++) w[r] += band[base + r] * vc;
          }
          const f0 = tau * v[0];
          for (let r = 0; r < len2; r++) band[base0 + r] -= w[r] * f0;
        }
        const tau2 = len2 >= 2 ? householder(band, base0, len2, v2) : 0;
        if (tau !== 0 || tau2 !== 0) {
          for (let c = 1; c < len; c++) {
            const base = base0 + c * (ld - 1);
            const f = tau * v[c];
            if (tau2 === 0) {
              for (let r = 0; r < len2; r++) band[base + r] -= w[r] * f;
              continue;
            }
            let dot = 0;
            if (tau !== 0) {
              let r = 0;
              let dot1 = 0;
              for (; r + 1 < len2; r += 2) {
                const x0 = band[base + r] - w[r] * f;
                const x1 = band[base + r + 1] - w[r + 1] * f;
                band[base + r] = x0;
                band[base + r + 1] = x1;
                dot += v2[r] * x0;
                dot1 += v2[r + 1] * x1;
              }
              for (; r < len2; r++) {
                const x = band[base + r] - w[r] * f;
                band[base + r] = x;
                dot += v2[r] * x;
              }
              dot += dot1;
            } else {
              for (let r = 0; r < len2; r++) dot += v2[r] * band[base + r];
            }
            dot *= tau2;
            let r = 0;
            for (; r + 3 < len2; r += 4) {
              band[base + r] -= dot * v2[r];
              band[base + r + 1] -= dot * v2[r + 1];
              band[base + r + 2] -= dot * v2[r + 2];
              band[base + r + 3] -= dot * v2[r + 3];
            }
            for (; r < len2; r++) band[base + r] -= dot * v2[r];
          }
        }
        // Type 3: H2's two-sided action on its diagonal block.
        if (tau2 !== 0) twoSidedOnDiagonalBlock(band, ld, nst, len2, v2, tau2, w);
        st = nst;
        ed = ned;
        len = len2;
        tau = tau2;
        const swap = v;
        v = v2;
        v2 = swap;
      }
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = band[i * ld];
    if (i < n - 1) e[i] = band[i * ld + 1];
  }
  return { d, e };
}
