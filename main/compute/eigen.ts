/**
 * Eigenvalues of a dense symmetric float64 matrix (used on Gram matrices W W^T to get every
 * singular value of a weight), in three stages, all float64:
 *
 *   1. dense -> band of half-bandwidth b (successive band reduction, LAPACK dsytrd_sy2sb style):
 *      for each panel of b columns, a Householder QR of the part below the band (JS, O(m b^2)),
 *      then the two-sided trailing update Q^T A22 Q = A22 - X V^T - V X^T with
 *      X = A22 V T - 1/2 V (T^T V^T A22 V T), run as one onnxruntime graph of matrix products
 *      (all O(n^3) work lives there, none in JS matrix-vector products). The update runs in place
 *      in one n x n buffer: onnxruntime-node hands every output back in a fresh buffer, and a
 *      fresh (n-k)^2 buffer per panel cost more time and memory than the arithmetic;
 *   2. band -> tridiagonal by Householder bulge chasing (Lang's algorithm, the three kernels of
 *      LAPACK dsb2st: eliminate a column, chase the bulge block by block), O(n^2 b) in JS on a
 *      column-major band store whose inner loops run over contiguous memory (unrolled: ~20%
 *      less CPU than the plain loops in V8);
 *   3. eigenvalues of the tridiagonal by implicit QL with Wilkinson shifts (EISPACK tql1), O(n^2).
 *
 * Why hand-written: onnxruntime has no eigensolver op; pure-JS libraries (ml-matrix) were 10x
 * slower than torch on 2048 x 2048, an Eigen-to-WASM package crashed, and a plain one-stage
 * Householder tridiagonalisation in JS spends O(n^3) memory-bound matrix-vector products in JS
 * (4.8 s for n = 2048 vs LAPACK's 0.24 s). The two-stage scheme puts the O(n^3) part in
 * onnxruntime matrix products and leaves JS O(n^2 b) work. (A variant that rewrites the trailing
 * matrix only every 8 panels, dlatrd-style, was measured slower: its extra thin products and JS
 * bookkeeping cost more than the rewrites it saved.)
 *
 * Accuracy: backward stable (orthogonal transformations only), so each eigenvalue is within a
 * small multiple of eps * ||G||_2 of the exact one. For singular values from a Gram matrix this
 * means abs error ~ eps * s_max^2 / s_i on s_i: tiny singular values (s_i^2 below
 * ~eps * s_max^2, i.e. s_i < ~1e-8 s_max) are not resolved and come out as ~1e-8 s_max or 0;
 * every singular value is still within ~1e-8 * s_max of the true one, well inside the
 * 1e-5 * s_max tolerance the project uses.
 */
import { cachedSession, float64Tensor, OnnxType, type TinyGraph } from './ort';

export class EigenError extends Error {
  constructor(message: string) {
    super(`main/compute/eigen.ts: ${message}`);
    this.name = 'EigenError';
  }
}

export interface EigenOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  intraOpThreads?: number;
  /** Half-bandwidth of stage 1 (default 32): larger means fewer onnxruntime calls, more JS work. */
  bandwidth?: number;
  /** Use G itself as the working buffer (destroying it) instead of a copy: saves n^2 doubles. */
  overwrite?: boolean;
  /** When given, receives the milliseconds spent in each stage (band, of which bandOnnx in onnxruntime; tridiagonal; ql). */
  timings?: Record<string, number>;
}

const DEFAULT_BANDWIDTH = 32;

/**
 * Householder reflector (LAPACK dlarfg) for x = a[off .. off+len-1]: on return a[off] = beta,
 * a[off+1 ..] = 0, v[0] = 1, v[1..len-1] = the reflector's tail; returns tau with
 * (I - tau v v^T) x = beta e1. tau = 0 when x is already a multiple of e1.
 */
function householder(a: Float64Array, off: number, len: number, v: Float64Array): number {
  const alpha = a[off]!;
  let scale = 0;
  for (let i = 1; i < len; i++) {
    const t = Math.abs(a[off + i]!);
    if (t > scale) scale = t;
  }
  v[0] = 1;
  if (scale === 0) {
    for (let i = 1; i < len; i++) v[i] = 0;
    return 0;
  }
  // Scaled sum of squares: no overflow or underflow for any finite input.
  let ss = 0;
  for (let i = 1; i < len; i++) {
    const t = a[off + i]! / scale;
    ss += t * t;
  }
  const xnorm = scale * Math.sqrt(ss);
  const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let i = 1; i < len; i++) {
    v[i] = a[off + i]! * inv;
    a[off + i] = 0;
  }
  a[off] = beta;
  return tau;
}

// ---------------------------------------------------------------------------------------------
// Stage 1: dense -> band, trailing updates on onnxruntime.

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

/** Lower band store: A[i][c] (i >= c, i - c < ld) at band[c * ld + (i - c)]. */
interface BandStore {
  band: Float64Array;
  ld: number;
}

/**
 * Reduces symmetric S (n x n, row-major, both triangles) to a symmetric band of half-bandwidth b
 * with the same eigenvalues; S is used as the working buffer and destroyed. The band store has
 * room for 2b sub-diagonals (stage 2's bulges).
 */
async function denseToBand(S: Float64Array, n: number, b: number, opts: EigenOptions): Promise<BandStore> {
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
      for (let i = c; i < b; i++) band[col + (i - c)] = S[i * s + c]!;
    }
    // Panel S[b:s, 0:b] into column-major storage.
    for (let i = 0; i < m; i++) {
      const row = (b + i) * s;
      for (let c = 0; c < b; c++) panel[c * m + i] = S[row + c]!;
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
      for (let i = 0; i < len; i++) vt[vrow + c + i] = v[i]!;
      if (tau === 0) continue;
      for (let cc = c + 1; cc < b; cc++) {
        const off = cc * m + c;
        let dot0 = 0;
        let dot1 = 0;
        let i = 0;
        for (; i + 1 < len; i += 2) {
          dot0 += v[i]! * panel[off + i]!;
          dot1 += v[i + 1]! * panel[off + i + 1]!;
        }
        if (i < len) dot0 += v[i]! * panel[off + i]!;
        const f = (dot0 + dot1) * tau;
        i = 0;
        for (; i + 3 < len; i += 4) {
          panel[off + i] -= f * v[i]!;
          panel[off + i + 1] -= f * v[i + 1]!;
          panel[off + i + 2] -= f * v[i + 2]!;
          panel[off + i + 3] -= f * v[i + 3]!;
        }
        for (; i < len; i++) panel[off + i] -= f * v[i]!;
      }
    }
    for (let c = reflectors; c < b; c++) tauAll[c] = 0;
    // R (upper triangle of the reduced panel) into the band: row k+b+i, column k+c, i <= c.
    for (let c = 0; c < b; c++) {
      const col = (k + c) * ld;
      const last = Math.min(c, m - 1);
      for (let i = 0; i <= last; i++) band[col + (b + i - c)] = panel[c * m + i]!;
    }
    // T of the block reflector Q = H_0 ... H_{b-1} = I - V T V^T (dlarft, forward, columnwise).
    T.fill(0);
    for (let i = 0; i < b; i++) {
      const tau = tauAll[i]!;
      T[i * b + i] = tau;
      if (tau === 0 || i === 0) continue;
      // dots[j] = V[:, j]^T v_i for j < i (v_i is zero above row i).
      const vi = i * m;
      for (let j = 0; j < i; j++) {
        const vj = j * m;
        let d = 0;
        for (let r = i; r < m; r++) d += vt[vj + r]! * vt[vi + r]!;
        dots[j] = d;
      }
      // T[0:i, i] = -tau T[0:i, 0:i] dots
      for (let j = 0; j < i; j++) {
        let acc = 0;
        for (let l = j; l < i; l++) acc += T[j * b + l]! * dots[l]!;
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
    for (let i = c; i < s; i++) band[col + (i - c)] = S[i * s + c]!;
  }
  return { band, ld };
}

// ---------------------------------------------------------------------------------------------
// Stage 2: band -> tridiagonal by bulge chasing.

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
    const vc = v[c]!;
    let acc = band[base + c]! * vc;
    let acc1 = 0;
    let r = c + 1;
    for (; r + 1 < len; r += 2) {
      const a0 = band[base + r]!;
      const a1 = band[base + r + 1]!;
      w[r] += a0 * vc;
      w[r + 1] += a1 * vc;
      acc += a0 * v[r]!;
      acc1 += a1 * v[r + 1]!;
    }
    for (; r < len; r++) {
      const a = band[base + r]!;
      w[r] += a * vc;
      acc += a * v[r]!;
    }
    w[c] += acc + acc1;
  }
  let vw = 0;
  for (let r = 0; r < len; r++) {
    w[r] *= tau;
    vw += w[r]! * v[r]!;
  }
  const alpha = -0.5 * tau * vw;
  for (let r = 0; r < len; r++) w[r] += alpha * v[r]!;
  // D -= v w^T + w v^T (lower part).
  for (let c = 0; c < len; c++) {
    const base = (st + c) * ld - c;
    const vc = v[c]!;
    const wc = w[c]!;
    let r = c;
    for (; r + 3 < len; r += 4) {
      band[base + r] -= v[r]! * wc + w[r]! * vc;
      band[base + r + 1] -= v[r + 1]! * wc + w[r + 1]! * vc;
      band[base + r + 2] -= v[r + 2]! * wc + w[r + 2]! * vc;
      band[base + r + 3] -= v[r + 3]! * wc + w[r + 3]! * vc;
    }
    for (; r < len; r++) band[base + r] -= v[r]! * wc + w[r]! * vc;
  }
}

/** Reduces the band (half-bandwidth b, store with >= 2b sub-diagonals) to tridiagonal d, e. */
function bandToTridiagonal(store: BandStore, n: number, b: number): { d: Float64Array; e: Float64Array } {
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
            const vc = v[c]!;
            let r = 0;
            for (; r + 3 < len2; r += 4) {
              w[r] += band[base + r]! * vc;
              w[r + 1] += band[base + r + 1]! * vc;
              w[r + 2] += band[base + r + 2]! * vc;
              w[r + 3] += band[base + r + 3]! * vc;
            }
            for (; r < len2; r++) w[r] += band[base + r]! * vc;
          }
          const f0 = tau * v[0]!;
          for (let r = 0; r < len2; r++) band[base0 + r] -= w[r]! * f0;
        }
        const tau2 = len2 >= 2 ? householder(band, base0, len2, v2) : 0;
        if (tau !== 0 || tau2 !== 0) {
          for (let c = 1; c < len; c++) {
            const base = base0 + c * (ld - 1);
            const f = tau * v[c]!;
            if (tau2 === 0) {
              for (let r = 0; r < len2; r++) band[base + r] -= w[r]! * f;
              continue;
            }
            let dot = 0;
            if (tau !== 0) {
              let r = 0;
              let dot1 = 0;
              for (; r + 1 < len2; r += 2) {
                const x0 = band[base + r]! - w[r]! * f;
                const x1 = band[base + r + 1]! - w[r + 1]! * f;
                band[base + r] = x0;
                band[base + r + 1] = x1;
                dot += v2[r]! * x0;
                dot1 += v2[r + 1]! * x1;
              }
              for (; r < len2; r++) {
                const x = band[base + r]! - w[r]! * f;
                band[base + r] = x;
                dot += v2[r]! * x;
              }
              dot += dot1;
            } else {
              for (let r = 0; r < len2; r++) dot += v2[r]! * band[base + r]!;
            }
            dot *= tau2;
            let r = 0;
            for (; r + 3 < len2; r += 4) {
              band[base + r] -= dot * v2[r]!;
              band[base + r + 1] -= dot * v2[r + 1]!;
              band[base + r + 2] -= dot * v2[r + 2]!;
              band[base + r + 3] -= dot * v2[r + 3]!;
            }
            for (; r < len2; r++) band[base + r] -= dot * v2[r]!;
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
    d[i] = band[i * ld]!;
    if (i < n - 1) e[i] = band[i * ld + 1]!;
  }
  return { d, e };
}

// ---------------------------------------------------------------------------------------------
// Stage 3: symmetric tridiagonal eigenvalues.

/**
 * Eigenvalues (ascending) of the symmetric tridiagonal matrix with diagonal d and sub-diagonal
 * e[0..n-2] by implicit QL with Wilkinson shifts (EISPACK tql1). d and e are overwritten.
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  if (e.length < n) throw new EigenError(`sub-diagonal has ${e.length} entries, expected ${n} (last one ignored)`);
  if (n === 0) return d;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    const h0 = Math.abs(d[l]!) + Math.abs(e[l]!);
    if (tst1 < h0) tst1 = h0;
    let m = l;
    while (m < n) {
      if (tst1 + Math.abs(e[m]!) === tst1) break;
      m++;
    }
    if (m > l) {
      for (;;) {
        if (++iter > 60) throw new EigenError(`QL did not converge for eigenvalue ${l} of ${n}`);
        const l1 = l + 1;
        const g0 = d[l]!;
        let p = (d[l1]! - g0) / (2 * e[l]!);
        let r = Math.sqrt(p * p + 1);
        const pr = p + (p >= 0 ? r : -r);
        d[l] = e[l]! / pr;
        d[l1] = e[l]! * pr;
        const dl1 = d[l1]!;
        let h = g0 - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = e[i]!;
          const g = c * ei;
          h = c * p;
          r = Math.sqrt(p * p + ei * ei);
          e[i + 1] = s * r;
          s = ei / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(tst1 + Math.abs(e[l]!) > tst1)) break;
      }
    }
    // Insert d[l] + f into the sorted d[0..l-1].
    const p = d[l]! + f;
    let i = l;
    while (i > 0 && p < d[i - 1]!) {
      d[i] = d[i - 1]!;
      i--;
    }
    d[i] = p;
  }
  return d;
}

// ---------------------------------------------------------------------------------------------

/**
 * All eigenvalues of the symmetric matrix G (n x n, row-major; both triangles must hold the
 * matrix), in descending order. G is not modified unless opts.overwrite is set.
 */
export async function symmetricEigenvalues(G: Float64Array, n: number, opts: EigenOptions = {}): Promise<Float64Array> {
  if (!Number.isInteger(n) || n < 0) throw new EigenError(`matrix order ${n} is not a non-negative integer`);
  if (G.length !== n * n) throw new EigenError(`matrix has ${G.length} values, expected ${n} x ${n}`);
  for (let i = 0; i < G.length; i++) {
    if (!Number.isFinite(G[i]!)) throw new EigenError(`matrix entry ${i} is ${G[i]}`);
  }
  if (n === 0) return new Float64Array(0);
  const b = Math.max(1, Math.min(opts.bandwidth ?? DEFAULT_BANDWIDTH, n - 1 || 1));
  const t0 = performance.now();
  const store = await denseToBand(opts.overwrite ? G : G.slice(), n, b, opts);
  const t1 = performance.now();
  const { d, e } = bandToTridiagonal(store, n, b);
  const t2 = performance.now();
  const ascending = tridiagonalEigenvalues(d, e);
  if (opts.timings) {
    opts.timings.band = (opts.timings.band ?? 0) + (t1 - t0);
    opts.timings.tridiagonal = (opts.timings.tridiagonal ?? 0) + (t2 - t1);
    opts.timings.ql = (opts.timings.ql ?? 0) + (performance.now() - t2);
  }
  return ascending.reverse();
}

/**
 * Singular values (descending) from the eigenvalues of the Gram matrix: sqrt(max(lambda, 0)).
 * Negative eigenvalues are rounding noise around zero.
 */
export function singularValuesFromGramEigenvalues(eigs: Float64Array): Float64Array {
  const out = new Float64Array(eigs.length);
  for (let i = 0; i < eigs.length; i++) out[i] = Math.sqrt(Math.max(eigs[i]!, 0));
  out.sort().reverse();
  return out;
}
