// Stage 1 of main/compute/eigen.ts: dense -> band, trailing updates on onnxruntime.
import { cachedSession, float64Tensor, OnnxType, type TinyGraph } from '../ort';
import { EigenError, householder, type BandStore, type EigenOptions } from './common';

/**
 * Graph of the two-sided block-reflector update. Inputs: A22 (m x m, the trailing matrix below and
 * right of the panel), Vt (b x m, reflectors as rows), T (b x b). Output: Y = Q^T A22 Q (m x m).
 * The caller passes A22's own buffer as the preallocated output (the update runs in place: Y
 * only depends on A22 through the last Gemm's C, which onnxruntime copies into Y first, and all
 * reads of A22 happen before that node), so the reduction needs one n x n buffer in all.
 */
const TRAILING_UPDATE_GRAPH: TinyGraph = {
  name: 'eigen.sy2sb.trailing-update-inplace-v2.f64',
  inputs: [
    { name: 'A22', elemType: OnnxType.float64, dims: ['m', 'm'] },
    { name: 'Vt', elemType: OnnxType.float64, dims: ['b', 'm'] },
    { name: 'T', elemType: OnnxType.float64, dims: ['b', 'b'] },
  ],
  outputs: [{ name: 'Y', elemType: OnnxType.float64, dims: ['m', 'm'] }],
  nodes: [
    // AV = A22 V (m x b)
    { opType: 'Gemm', inputs: ['A22', 'Vt'], outputs: ['AV'], attributes: [{ name: 'transB', int: 1 }] },
    // W0 = A22 V T
    { opType: 'MatMul', inputs: ['AV', 'T'], outputs: ['W0'] },
    // M = V^T W0 (b x b); M2 = T^T M
    { opType: 'MatMul', inputs: ['Vt', 'W0'], outputs: ['M'] },
    { opType: 'Gemm', inputs: ['T', 'M'], outputs: ['M2'], attributes: [{ name: 'transA', int: 1 }] },
    // X = W0 - 1/2 V M2
    {
      opType: 'Gemm',
      inputs: ['Vt', 'M2', 'W0'],
      outputs: ['X'],
      attributes: [
        { name: 'transA', int: 1 },
        { name: 'alpha', float: -0.5 },
        { name: 'beta', float: 1 },
      ],
    },
    // Y = A22 - [X V] [V X]^T (row-major m x 2b operands: Gemm with transB ran ~25% faster
    // than the transA form on onnxruntime's float64 Gemm)
    { opType: 'Transpose', inputs: ['Vt'], outputs: ['V'], attributes: [{ name: 'perm', ints: [1, 0] }] },
    { opType: 'Concat', inputs: ['X', 'V'], outputs: ['XV'], attributes: [{ name: 'axis', int: 1 }] },
    { opType: 'Concat', inputs: ['V', 'X'], outputs: ['VX'], attributes: [{ name: 'axis', int: 1 }] },
    {
      opType: 'Gemm',
      inputs: ['XV', 'VX', 'A22'],
      outputs: ['Y'],
      attributes: [
        { name: 'transB', int: 1 },
        { name: 'alpha', float: -1 },
        { name: 'beta', float: 1 },
      ],
    },
  ],
};

/**
 * Reduces symmetric S (n x n, row-major, both triangles) to a symmetric band of half-bandwidth b
 * with the same eigenvalues; S is used as the working buffer and destroyed. The band store has
 * room for 2b sub-diagonals (stage 2's bulges).
 */
export async function denseToBand(S: Float64Array, n: number, b: number, opts: EigenOptions): Promise<BandStore> {
  const ld = 2 * b + 1;
  const band = new Float64Array(n * ld);
  let s = n;
  let k = 0; // global index of S[0][0]
  const session = s > b + 1 ? await cachedSession(TRAILING_UPDATE_GRAPH, { intraOpThreads: opts.intraOpThreads }) : null;
  const panel = new Float64Array(Math.max(0, n - b) * b); // column-major m x b
  const vt = new Float64Array(Math.max(0, n - b) * b); // b x m row-major (reflectors as rows)
  const v = new Float64Array(n);
  const tauAll = new Float64Array(b);
  const T = new Float64Array(b * b);
  const dots = new Float64Array(b);
  while (s > b + 1) {
    const m = s - b;
    // Diagonal block S[0:b, 0:b] (lower part) goes to the band as it is.
    for (let c = 0; c < b; c++) {
      const col = (k + c) * ld;
      for (let i = c; i < b; i++) band[col + (i - c)] = S[i * s + c];
    }
    // Panel S[b:s, 0:b] into column-major storage.
    for (let i = 0; i < m; i++) {
      const row = (b + i) * s;
      for (let c = 0; c < b; c++) panel[c * m + i] = S[row + c];
    }
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
    // Compact A22 = S[b:, b:] to the front of the buffer (rows move forward: memmove-safe).
    for (let i = 0; i < m; i++) S.copyWithin(i * m, (b + i) * s + b, (b + i) * s + b + m);
    const a22 = S.subarray(0, m * m);
    const tRun = performance.now();
    const result = await session!.run(
      { A22: float64Tensor(a22, [m, m]), Vt: float64Tensor(vt.subarray(0, b * m), [b, m]), T: float64Tensor(T, [b, b]) },
      { Y: float64Tensor(a22, [m, m]) },
    );
    if (opts.timings) opts.timings.bandOnnx = (opts.timings.bandOnnx ?? 0) + (performance.now() - tRun);
    // onnxruntime-node also returns a copy of a preallocated output; the result is already in a22.
    if (!result.Y || result.Y.dims[0] !== m) throw new EigenError(`trailing update returned no ${m} x ${m} output`);
    s = m;
    k += b;
  }
  // The remaining s x s block (s <= b + 1) is already a band.
  for (let c = 0; c < s; c++) {
    const col = (k + c) * ld;
    for (let i = c; i < s; i++) band[col + (i - c)] = S[i * s + c];
  }
  return { band, ld };
}
