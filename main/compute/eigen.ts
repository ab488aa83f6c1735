/**
 * Eigenvalues of a dense symmetric float64 matrix (used on Gram matrices W W^T to get every
 * singular value of a weight), in three stages, all float64:
 *
 *   1. dense -> band of half-bandwidth b (successive band reduction, LAPACK dsytrd_sy2sb style):
 *      for each panel of b columns, a Householder QR of the part below the band (WebAssembly,
 *      eigen/kernels.wat `factor`, O(m b^2)),
 *      then the two-sided trailing update Q^T A22 Q = A22 - X V^T - V X^T with
 *      X = A22 V T - 1/2 V (T^T V^T A22 V T), all matrix products on onnxruntime (all O(n^3)
 *      work lives there, none in JS matrix-vector products). The updates of up to 8 panels are
 *      kept as factors (dlatrd + dsyr2k style): each panel's graph returns only X and the next
 *      block column, and every 8th panel rewrites the trailing matrix in place in the one n x n
 *      buffer. onnxruntime-node hands back a fresh copy of every output, even an in-place one,
 *      and an m x m copy per panel cost more in garbage collection than the arithmetic;
 *   2. band -> tridiagonal by Householder bulge chasing (Lang's algorithm, the three kernels of
 *      LAPACK dsb2st: eliminate a column, chase the bulge block by block), O(n^2 b) in
 *      WebAssembly with f64x2 SIMD (eigen/kernels.wat `chase`) on a column-major band store whose
 *      inner loops run over contiguous memory;
 *   3. eigenvalues of the tridiagonal by root-free implicit QL (EISPACK tqlrat, as LAPACK dsterf), O(n^2).
 *
 * Why hand-written: onnxruntime has no eigensolver op; pure-JS libraries (ml-matrix) were 10x
 * slower than torch on 2048 x 2048, an Eigen-to-WASM package crashed, and a plain one-stage
 * Householder tridiagonalisation in JS spends O(n^3) memory-bound matrix-vector products in JS
 * (far slower than LAPACK at n = 2048: BENCHMARKS.md, "Measurements behind design choices"). The two-stage scheme puts the O(n^3) part in
 * onnxruntime matrix products and leaves O(n^2 b) work (WebAssembly). (Rewriting the trailing matrix only
 * every 8 panels was first measured slower in a plain process; in the sweep's worker threads,
 * where each m x m copy costs a share of a full mark-compact, it is faster: BENCHMARKS.md,
 * "Measurements behind design choices".)
 *
 * Accuracy: backward stable (orthogonal transformations only), so each eigenvalue is within a
 * small multiple of eps * ||G||_2 of the exact one. For singular values from a Gram matrix this
 * means abs error ~ eps * s_max^2 / s_i on s_i: tiny singular values (s_i^2 below
 * ~eps * s_max^2, i.e. s_i < ~1e-8 s_max) are not resolved and come out as ~1e-8 s_max or 0;
 * every singular value is still within ~1e-8 * s_max of the true one, well inside the
 * 1e-5 * s_max tolerance the project uses.
 *
 * Parts: eigen/band.ts (stage 1), eigen/bulge.ts (stage 2), eigen/ql.ts (stage 3),
 * eigen/common.ts (errors, options, the Householder reflector, the band store), eigen/kernels.wat
 * (the WebAssembly kernels of stages 1 and 2, bit-identical to the JavaScript they replaced; why
 * WebAssembly: that file's header) and eigen/wasm.ts (their instances).
 */
import { denseToBand } from './eigen/band';
import { bandToTridiagonal } from './eigen/bulge';
import { EigenError, type EigenOptions } from './eigen/common';
import { tridiagonalEigenvalues } from './eigen/ql';

export { EigenError, type EigenOptions } from './eigen/common';
export { tridiagonalEigenvalues } from './eigen/ql';

const DEFAULT_BANDWIDTH = 16;

/**
 * All eigenvalues of the symmetric matrix G (n x n, row-major; both triangles must hold the
 * matrix), in descending order. G is not modified unless opts.overwrite is set.
 */
export async function symmetricEigenvalues(G: Float64Array, n: number, opts: EigenOptions = {}): Promise<Float64Array> {
  if (!Number.isInteger(n) || n < 0) throw new EigenError(`matrix order ${n} is not a non-negative integer`);
  if (G.length !== n * n) throw new EigenError(`matrix has ${G.length} values, expected ${n} x ${n}`);
  for (let i = 0; i < G.length && !opts.finiteChecked; i++) {
    if (!Number.isFinite(G[i])) throw new EigenError(`matrix entry ${i} is ${G[i]}`);
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
  for (let i = 0; i < eigs.length; i++) out[i] = Math.sqrt(Math.max(eigs[i], 0));
  out.sort().reverse();
  return out;
}
