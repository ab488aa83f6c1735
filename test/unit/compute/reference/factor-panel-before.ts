// The JavaScript panel factorisation of stage 1 (main/compute/eigen/band.ts) as it was before the
// WebAssembly kernel (main/compute/eigen/kernels.wat `factor`) replaced it, kept as the reference it
// must match bit for bit (test/unit/compute/eigen-kernels.test.ts).
import { householder } from '../../../../main/compute/eigen/common';

/** Scratch of one panel's factorisation (sized for the first panel, the largest). */
export interface PanelWork {
  panel: Float64Array; // column-major m x b
  vt: Float64Array; // b x m row-major (reflectors as rows)
  v: Float64Array;
  tauAll: Float64Array;
  T: Float64Array;
  dots: Float64Array;
}

/**
 * Householder QR of the m x b panel (dgeqr2) into work.vt, R into the band (rows k+b.., columns
 * k..k+b-1), and T of the block reflector Q = H_0 ... H_{b-1} = I - V T V^T (dlarft).
 */
export function factorPanel(work: PanelWork, m: number, b: number, band: Float64Array, ld: number, k: number): void {
  const { panel, vt, v, tauAll, T, dots } = work;
  // Householder QR of the panel (dgeqr2); reflector c lives in rows c..m-1 of column c.
  const reflectors = Math.min(m, b);
  vt.fill(0, 0, b * m);
  for (let c = 0; c < reflectors; c++) {
    const colOff = c * m;
    const len = m - c;
    const tau = householder(panel, colOff + c, len, v);
    tauAll[c] = tau;
    const vrow = c * m;
    for (let i = 0; i < len; i++) vt[vrow + c + i] = v[i];
    if (tau === 0) continue;
    for (let cc = c + 1; cc < b; cc++) {
      const off = cc * m + c;
      let dot0 = 0;
      let dot1 = 0;
      let i = 0;
      for (; i + 1 < len; i += 2) {
        dot0 += v[i] * panel[off + i];
        dot1 += v[i + 1] * panel[off + i + 1];
      }
      if (i < len) dot0 += v[i] * panel[off + i];
      const f = (dot0 + dot1) * tau;
      i = 0;
      for (; i + 3 < len; i += 4) {
        panel[off + i] -= f * v[i];
        panel[off + i + 1] -= f * v[i + 1];
        panel[off + i + 2] -= f * v[i + 2];
        panel[off + i + 3] -= f * v[i + 3];
      }
      for (; i < len; i++) panel[off + i] -= f * v[i];
    }
  }
  for (let c = reflectors; c < b; c++) tauAll[c] = 0;
  // R (upper triangle of the reduced panel) into the band: row k+b+i, column k+c, i <= c.
  for (let c = 0; c < b; c++) {
    const col = (k + c) * ld;
    const last = Math.min(c, m - 1);
    for (let i = 0; i <= last; i++) band[col + (b + i - c)] = panel[c * m + i];
  }
  // T of the block reflector Q = H_0 ... H_{b-1} = I - V T V^T (dlarft, forward, columnwise).
  T.fill(0);
  for (let i = 0; i < b; i++) {
    const tau = tauAll[i];
    T[i * b + i] = tau;
    if (tau === 0 || i === 0) continue;
    // dots[j] = V[:, j]^T v_i for j < i (v_i is zero above row i).
    const vi = i * m;
    for (let j = 0; j < i; j++) {
      const vj = j * m;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      let r = i;
      for (; r + 3 < m; r += 4) {
        d0 += vt[vj + r] * vt[vi + r];
        d1 += vt[vj + r + 1] * vt[vi + r + 1];
        d2 += vt[vj + r + 2] * vt[vi + r + 2];
        d3 += vt[vj + r + 3] * vt[vi + r + 3];
      }
      for (; r < m; r++) d0 += vt[vj + r] * vt[vi + r];
      dots[j] = d0 + d1 + (d2 + d3);
    }
    // T[0:i, i] = -tau T[0:i, 0:i] dots
    for (let j = 0; j < i; j++) {
      let acc = 0;
      for (let l = j; l < i; l++) acc += T[j * b + l] * dots[l];
      T[j * b + i] = -tau * acc;
    }
  }
}
