// Stage 1 of main/compute/eigen.ts: dense -> band, trailing updates on onnxruntime, deferred; the
// panels' Householder QR in WebAssembly (./kernels.wat `factor`).
import { cachedSession, float64Tensor, OnnxType, ort, type TinyGraph } from '../ort';
import { EigenError, type BandStore, type EigenOptions } from './common';
import { borrowKernels, releaseKernels, type EigenKernels } from './wasm';

/**
 * Panels whose two-sided updates are kept as factors and written into the trailing matrix
 * together (dsytrd's dlatrd + dsyr2k split, with onnxruntime doing the products). Why: onnxruntime-node
 * hands back a fresh copy of every output, even of a preallocated in-place one, so an m x m
 * rewrite per panel made ~3.7 GB of garbage per Pythia-160m-shaped checkpoint, which V8 freed
 * by full mark-compacts (BENCHMARKS.md, "Weight sweep with fits and spectra"); deferring makes
 * one rewrite per DEFER panels. The price is thin products with the pending factors.
 */
const DEFER = 8;

const f64 = OnnxType.float64;
const gemm = (inputs: string[], output: string, attrs: { transA?: 1; transB?: 1; alpha?: number; beta?: number } = {}) => ({
  opType: 'Gemm',
  inputs,
  outputs: [output],
  attributes: [
    ...(attrs.transA ? [{ name: 'transA', int: 1 }] : []),
    ...(attrs.transB ? [{ name: 'transB', int: 1 }] : []),
    ...(attrs.alpha !== undefined ? [{ name: 'alpha', float: attrs.alpha }] : []),
    ...(attrs.beta !== undefined ? [{ name: 'beta', float: attrs.beta }] : []),
  ],
});

/**
 * X of the block reflector (V, T) on the true trailing matrix A22 = stale - P Q^T:
 * AV = A22 V, W0 = AV T, X = W0 - 1/2 V (T^T V^T W0), so that Q^T A22 Q = A22 - X V^T - V X^T.
 * `av0` names the product of the stale matrix with V.
 */
const xNodes = (av0: string) => [
  gemm(['Q', 'Vt'], 'QtV', { transA: 1, transB: 1 }), // Q^T V (w x b)
  gemm(['P', 'QtV', av0], 'AV', { alpha: -1, beta: 1 }), // A22 V (m x b)
  { opType: 'MatMul', inputs: ['AV', 'T'], outputs: ['W0'] },
  { opType: 'MatMul', inputs: ['Vt', 'W0'], outputs: ['M'] },
  gemm(['T', 'M'], 'M2', { transA: 1 }),
  gemm(['Vt', 'M2', 'W0'], 'X', { transA: 1, alpha: -0.5, beta: 1 }),
];

/**
 * One deferred panel. Inputs: Ar (m x M: the stale matrix's rows below the panel, all M columns),
 * Vp (b x M: V^T with zeros left of the panel's rows), Vt (b x m), T (b x b), P = [V's | X's] and
 * Q = [X's | V's] of the pending panels (m x w, zero-padded), Qtop (b x w: Q's first b rows),
 * Cs (m x b: the stale next block column), VtTop (b x b: Vt's first b columns), and the int64
 * Slice bounds 0, b, axis 0. Outputs: X (m x b) and Cn (m x b), the true next block column after
 * this panel's update: Cs - P Qtop^T - V Xtop^T - X Vtop^T.
 */
const PANEL_GRAPH: TinyGraph = {
  name: 'eigen.sy2sb.deferred-panel.f64',
  inputs: [
    { name: 'Ar', elemType: f64, dims: ['m', 'M'] },
    { name: 'Vp', elemType: f64, dims: ['b', 'M'] },
    { name: 'Vt', elemType: f64, dims: ['b', 'm'] },
    { name: 'T', elemType: f64, dims: ['b', 'b'] },
    { name: 'P', elemType: f64, dims: ['m', 'w'] },
    { name: 'Q', elemType: f64, dims: ['m', 'w'] },
    { name: 'Qtop', elemType: f64, dims: ['b', 'w'] },
    { name: 'Cs', elemType: f64, dims: ['m', 'b'] },
    { name: 'VtTop', elemType: f64, dims: ['b', 'b'] },
    { name: 'S0', elemType: OnnxType.int64, dims: [1] },
    { name: 'S1', elemType: OnnxType.int64, dims: [1] },
    { name: 'Ax', elemType: OnnxType.int64, dims: [1] },
  ],
  outputs: [
    { name: 'X', elemType: f64, dims: ['m', 'b'] },
    { name: 'Cn', elemType: f64, dims: ['m', 'b'] },
  ],
  nodes: [
    gemm(['Ar', 'Vp'], 'AV0', { transB: 1 }),
    ...xNodes('AV0'),
    { opType: 'Slice', inputs: ['X', 'S0', 'S1', 'Ax'], outputs: ['Xtop'] },
    gemm(['P', 'Qtop', 'Cs'], 'C1', { transB: 1, alpha: -1, beta: 1 }),
    gemm(['Vt', 'Xtop', 'C1'], 'C2', { transA: 1, transB: 1, alpha: -1, beta: 1 }),
    gemm(['X', 'VtTop', 'C2'], 'Cn', { alpha: -1, beta: 1 }),
  ],
};

/**
 * The rewrite: Y = Q^T A22 Q - (pending updates) = A22 - [P | X | V] [Q | V | X]^T for the stale,
 * compacted A22 (m x m). The caller passes A22's own buffer as the preallocated output (in place:
 * Y depends on A22 only through the last Gemm's C, which onnxruntime copies into Y first, after
 * every other read of A22), so the reduction needs one n x n buffer in all.
 */
const REWRITE_GRAPH: TinyGraph = {
  name: 'eigen.sy2sb.deferred-rewrite-inplace.f64',
  inputs: [
    { name: 'A22', elemType: f64, dims: ['m', 'm'] },
    { name: 'Vt', elemType: f64, dims: ['b', 'm'] },
    { name: 'T', elemType: f64, dims: ['b', 'b'] },
    { name: 'P', elemType: f64, dims: ['m', 'w'] },
    { name: 'Q', elemType: f64, dims: ['m', 'w'] },
  ],
  outputs: [{ name: 'Y', elemType: f64, dims: ['m', 'm'] }],
  nodes: [
    gemm(['A22', 'Vt'], 'AV0', { transB: 1 }),
    ...xNodes('AV0'),
    { opType: 'Transpose', inputs: ['Vt'], outputs: ['V'], attributes: [{ name: 'perm', ints: [1, 0] }] },
    // Row-major m x (w + 2b) operands: Gemm with transB ran ~25% faster than the transA form.
    { opType: 'Concat', inputs: ['P', 'X', 'V'], outputs: ['L'], attributes: [{ name: 'axis', int: 1 }] },
    { opType: 'Concat', inputs: ['Q', 'V', 'X'], outputs: ['R'], attributes: [{ name: 'axis', int: 1 }] },
    gemm(['L', 'R', 'A22'], 'Y', { transB: 1, alpha: -1, beta: 1 }),
  ],
};

const int64 = (x: number): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from([BigInt(x)]), [1]);

/**
 * Reduces symmetric S (n x n, row-major, both triangles) to a symmetric band of half-bandwidth b
 * with the same eigenvalues; S is used as the working buffer and destroyed. The band store has
 * room for 2b sub-diagonals (stage 2's bulges).
 *
 * S holds the "stale" trailing matrix of M x M (compact at its front) as of the last rewrite; the
 * updates of up to DEFER panels since then are kept as factors P = [V_j | X_j], Q = [X_j | V_j]
 * (rows in the stale matrix's frame, zero above each panel), so the true trailing matrix is
 * stale - P Q^T. Each panel needs only its true block column (computed by the previous panel's
 * graph) and X; the last panel before a rewrite, and the last panel of all, rewrite S instead.
 */
export async function denseToBand(S: Float64Array, n: number, b: number, opts: EigenOptions): Promise<BandStore> {
  if (n <= b + 1) {
    const ld = 2 * b + 1;
    const band = new Float64Array(n * ld);
    copyBlock(band, ld, S, n, 0);
    return { band, ld };
  }
  // The panel factorisation runs in WebAssembly (./kernels.wat `factor`) on an instance of its
  // own (reductions awaiting onnxruntime may interleave): the panel's rows (`cur` below its
  // diagonal block) go in; R, the reflectors V^T (b x m) and T are read from its memory (views:
  // onnxruntime reads V^T and T in place).
  const at = { cur: 0, panel: (n - b) * b, vt: 2 * (n - b) * b, v: 3 * (n - b) * b, tau: 3 * (n - b) * b + n, T: 3 * (n - b) * b + n + b };
  const dotsAt = at.T + b * b;
  const kernels = borrowKernels(dotsAt + b);
  try {
    return await reduce(kernels, S, n, b, opts, at, dotsAt);
  } finally {
    releaseKernels(kernels);
  }
}

/** denseToBand's reduction, on a borrowed WebAssembly instance for the panels. */
async function reduce(
  kernels: EigenKernels,
  S: Float64Array,
  n: number,
  b: number,
  opts: EigenOptions,
  at: { cur: number; panel: number; vt: number; v: number; tau: number; T: number },
  dotsAt: number,
): Promise<BandStore> {
  const ld = 2 * b + 1;
  const band = new Float64Array(n * ld);
  const w = 2 * DEFER * b;
  const cap = DEFER * b;
  let M = n; // order of the stale matrix at the front of S
  let k = 0; // global index of the stale matrix's [0][0]
  let i = 0; // panels since the last rewrite
  const sessionOpts = { intraOpThreads: opts.intraOpThreads };
  const [panelSession, rewriteSession] = await Promise.all([cachedSession(PANEL_GRAPH, sessionOpts), cachedSession(REWRITE_GRAPH, sessionOpts)]);
  const mem = new Float64Array(kernels.memory.buffer, 0, dotsAt + b);
  const panelView = mem.subarray(at.panel, at.vt);
  const work = { vt: mem.subarray(at.vt, at.v), T: mem.subarray(at.T, dotsAt) };
  let cur = new Float64Array(n * b); // true block column of the current panel (s x b, row-major)
  let next = new Float64Array(n * b);
  const cs = new Float64Array(n * b);
  const vp = new Float64Array(b * n);
  const vtTop = new Float64Array(b * b);
  const Pst = new Float64Array(n * w);
  const Qst = new Float64Array(n * w);
  const [s0, s1, ax] = [int64(0), int64(b), int64(0)];
  const gather = (into: Float64Array, row0: number, rows: number, col0: number): void => {
    for (let r = 0; r < rows; r++) {
      const src = (row0 + r) * M + col0;
      for (let c = 0; c < b; c++) into[r * b + c] = S[src + c];
    }
  };
  gather(cur, 0, M, 0);
  let onnxMs = 0;
  for (;;) {
    const s = M - i * b; // order of the true trailing matrix whose block column is `cur`
    const m = s - b;
    // Diagonal block (lower part) into the band, the panel below it into column-major storage.
    for (let c = 0; c < b; c++) {
      const col = (k + c) * ld;
      for (let r = c; r < b; r++) band[col + (r - c)] = cur[r * b + c];
    }
    mem.set(cur.subarray(b * b, s * b), at.cur);
    kernels.factor(m, b, at.cur, at.panel, at.vt, at.v, at.tau, at.T, dotsAt);
    // R (upper triangle of the reduced panel) into the band: row k+b+i, column k+c, i <= c.
    for (let c = 0; c < b; c++) {
      const col = (k + c) * ld;
      const last = Math.min(c, m - 1);
      for (let r = 0; r <= last; r++) band[col + (b + r - c)] = panelView[c * m + r];
    }
    const { vt, T } = work;
    const row0 = (i + 1) * b; // first row of A22 in the stale frame
    const tRun = performance.now();
    const vtT = float64Tensor(vt.subarray(0, b * m), [b, m]);
    const P = float64Tensor(Pst.subarray(row0 * w, M * w), [m, w]);
    const Q = float64Tensor(Qst.subarray(row0 * w, M * w), [m, w]);
    if (m <= b + 1 || i + 1 === DEFER) {
      // Rewrite: compact the stale A22 to the front (rows move forward: memmove-safe), apply
      // every pending update and this panel's in place.
      for (let r = 0; r < m; r++) S.copyWithin(r * m, (row0 + r) * M + row0, (row0 + r) * M + row0 + m);
      const a22 = S.subarray(0, m * m);
      const result = await rewriteSession.run({ A22: float64Tensor(a22, [m, m]), Vt: vtT, T: float64Tensor(T, [b, b]), P, Q }, { Y: float64Tensor(a22, [m, m]) });
      onnxMs += performance.now() - tRun;
      // onnxruntime-node also returns a copy of a preallocated output; the result is already in a22.
      if (!result.Y || result.Y.dims[0] !== m) throw new EigenError(`trailing update returned no ${m} x ${m} output`);
      k += b;
      M = m;
      i = 0;
      if (M <= b + 1) break;
      Pst.fill(0, 0, M * w);
      Qst.fill(0, 0, M * w);
      gather(cur, 0, M, 0);
      continue;
    }
    vp.fill(0, 0, b * M);
    for (let c = 0; c < b; c++) vp.set(vt.subarray(c * m, (c + 1) * m), c * M + row0);
    for (let c = 0; c < b; c++) for (let r = 0; r < b; r++) vtTop[c * b + r] = vt[c * m + r];
    gather(cs, row0, m, row0);
    const result = await panelSession.run({
      Ar: float64Tensor(S.subarray(row0 * M, M * M), [m, M]),
      Vp: float64Tensor(vp.subarray(0, b * M), [b, M]),
      Vt: vtT,
      T: float64Tensor(T, [b, b]),
      P,
      Q,
      Qtop: float64Tensor(Qst.subarray(row0 * w, (row0 + b) * w), [b, w]),
      Cs: float64Tensor(cs.subarray(0, m * b), [m, b]),
      VtTop: float64Tensor(vtTop, [b, b]),
      S0: s0,
      S1: s1,
      Ax: ax,
    });
    onnxMs += performance.now() - tRun;
    const X = result.X?.data as Float64Array | undefined;
    const Cn = result.Cn?.data as Float64Array | undefined;
    if (!X || !Cn || X.length !== m * b || Cn.length !== m * b) throw new EigenError(`deferred panel returned no ${m} x ${b} outputs`);
    // This panel's V and X into the pending factors (slot i), rows row0.. of the frame.
    const vSlot = i * b;
    for (let r = 0; r < m; r++) {
      const p = (row0 + r) * w;
      for (let c = 0; c < b; c++) {
        const vv = vt[c * m + r];
        const xx = X[r * b + c];
        Pst[p + vSlot + c] = vv;
        Pst[p + cap + vSlot + c] = xx;
        Qst[p + vSlot + c] = xx;
        Qst[p + cap + vSlot + c] = vv;
      }
    }
    next.set(Cn);
    [cur, next] = [next, cur];
    k += b;
    i++;
  }
  if (opts.timings) opts.timings.bandOnnx = (opts.timings.bandOnnx ?? 0) + onnxMs;
  // The remaining M x M block (M <= b + 1), rewritten in full, is already a band.
  copyBlock(band, ld, S, M, k);
  return { band, ld };
}

/** The lower part of the s x s block at S's front into the band at global index k. */
function copyBlock(band: Float64Array, ld: number, S: Float64Array, s: number, k: number): void {
  for (let c = 0; c < s; c++) {
    const col = (k + c) * ld;
    for (let r = c; r < s; r++) band[col + (r - c)] = S[r * s + c];
  }
}
