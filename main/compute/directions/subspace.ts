/**
 * SVD directions of mlp.out on onnxruntime (the method: main/compute/directions.ts):
 * - mlp.out W [d, d_ff]: block subspace iteration on C = W W^T with Rayleigh-Ritz each step, the
 *   same start (hash vectors, Gram-Schmidt), stopping test (every wanted Ritz pair's
 *   ||C u - lambda u|| / lambda_1 <= tolerance) and iteration cap. C comes from gram.ts (float64 on
 *   onnxruntime, when d <= d_ff and d <= 4096; otherwise C Q = W (W^T Q) is applied in the graph).
 *   One iteration is one onnxruntime call (Q = Y T, P = C Q, Q^T P, the residual Gram R^T R with
 *   R = P - Q (Q^T P), Q^T Q, P^T P) and Jacobi on the m x m projection in JS. The next basis is
 *   orth(Y) for Y = P V by Cholesky QR with Y's columns scaled to unit norm: Q = Y S R^-1 where
 *   R^T R = S Y^T Y S and Y^T Y = V^T (P^T P) V, so Y itself is never formed. QR with a positive
 *   diagonal is unique, so this is the same Q as the reference's Gram-Schmidt (Y's columns are
 *   nearly orthogonal, so Cholesky QR is accurate); Q^T Q is checked every step and a second pass
 *   (or JS Gram-Schmidt when Y is rank deficient) runs when it is not the identity to 1e-12.
 *   A W with NaN or Inf (or whose W W^T overflows) has undefined directions: NaN singular values
 *   and vectors, hence no tokens, as the reference gave.
 */
import { choleskyUpper, hashVector, invertUpper, orthonormalise, symmetricEigen } from '../../metrics/linear-algebra';
import type { LeftSingularVectors, SubspaceOptions } from '../../metrics/svd-directions';
import type { NumericArray } from '../../metrics/moments';
import { gram } from '../gram';
import { cachedSession, float32Tensor, float64Tensor, OnnxType, type TinyGraph } from '../ort';
import { allFinite, DirectionsError, identity, packColumns, run, unpackColumns, type ComputeOptions, type Tensor } from './common';

/** Above this many rows the d x d Gram matrix is not formed (memory); C Q is applied as W (W^T Q). */
const GRAM_MAX_ROWS = 4096;
const ORTHONORMAL_TOLERANCE = 1e-12;

const f64 = OnnxType.float64;

/**
 * One subspace iteration: Q = Y T, P = C Q (C given, or W (W^T Q) with W cast to float64 in the
 * graph), G = Q^T P (the Rayleigh-Ritz projection), R = P - Q G (whose columns combined by a Ritz
 * vector v give the residual C u - lambda u, so RR = R^T R yields every residual norm as
 * sqrt(v^T RR v) without cancellation), QQ = Q^T Q (orthonormality check) and PP = P^T P (the
 * next iterate is Y' = P V, so Y'^T Y' = V^T PP V for its Cholesky QR). One call per iteration.
 */
function stepGraph(operator: 'gram' | 'implicit.f32' | 'implicit.f64'): TinyGraph {
  const nodes: TinyGraph['nodes'] = [{ opType: 'MatMul', inputs: ['Y', 'T'], outputs: ['Q'] }];
  const inputs: TinyGraph['inputs'] = [];
  if (operator === 'gram') {
    inputs.push({ name: 'C', elemType: f64, dims: ['n', 'n'] });
    nodes.push({ opType: 'MatMul', inputs: ['C', 'Q'], outputs: ['P'] });
  } else {
    inputs.push({ name: 'W', elemType: operator === 'implicit.f32' ? OnnxType.float32 : f64, dims: ['n', 'c'] });
    let w = 'W';
    if (operator === 'implicit.f32') {
      nodes.push({ opType: 'Cast', inputs: ['W'], outputs: ['W64'], attributes: [{ name: 'to', int: f64 }] });
      w = 'W64';
    }
    nodes.push({ opType: 'Gemm', inputs: [w, 'Q'], outputs: ['Z'], attributes: [{ name: 'transA', int: 1 }] });
    nodes.push({ opType: 'MatMul', inputs: [w, 'Z'], outputs: ['P'] });
  }
  inputs.push({ name: 'Y', elemType: f64, dims: ['n', 'm'] }, { name: 'T', elemType: f64, dims: ['m', 'm'] });
  const gramOf = (a: string, b: string, out: string): TinyGraph['nodes'][number] => ({ opType: 'Gemm', inputs: [a, b], outputs: [out], attributes: [{ name: 'transA', int: 1 }] });
  nodes.push(
    gramOf('Q', 'P', 'G'),
    { opType: 'MatMul', inputs: ['Q', 'G'], outputs: ['QG'] },
    { opType: 'Sub', inputs: ['P', 'QG'], outputs: ['R'] },
    gramOf('R', 'R', 'RR'),
    gramOf('Q', 'Q', 'QQ'),
    gramOf('P', 'P', 'PP'),
  );
  const small = (name: string): TinyGraph['outputs'][number] => ({ name, elemType: f64, dims: ['m', 'm'] });
  return {
    name: `directions.subspace-iteration.${operator}`,
    inputs,
    outputs: [{ name: 'Q', elemType: f64, dims: ['n', 'm'] }, { name: 'P', elemType: f64, dims: ['n', 'm'] }, small('G'), small('RR'), small('QQ'), small('PP')],
    nodes,
  };
}

function notFiniteResult(want: number, rows: number): LeftSingularVectors {
  return {
    vectors: Array.from({ length: want }, () => new Float64Array(rows).fill(NaN)),
    singularValues: Array.from({ length: want }, () => NaN),
    converged: false,
    iterations: 0,
    residual: NaN,
  };
}

function orthonormalTo(qq: Float64Array, m: number, tol: number): boolean {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      const dev = Math.abs(qq[i * m + j] - (i === j ? 1 : 0));
      if (!(dev <= tol)) return false;
    }
  return true;
}

/**
 * T with Q = Y T orthonormal (Cholesky QR of Y with unit-norm columns), from Y^T Y; null when Y is
 * numerically rank deficient (the caller falls back to Gram-Schmidt).
 */
function choleskyQrFactor(yy: Float64Array, m: number): Float64Array | null {
  const scale = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const n2 = yy[j * m + j];
    if (!(n2 > 0) || !Number.isFinite(n2)) return null;
    scale[j] = 1 / Math.sqrt(n2);
  }
  const scaled = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) scaled[i * m + j] = scale[i] * yy[i * m + j] * scale[j];
  const r = choleskyUpper(scaled, m);
  if (!r) return null;
  for (let j = 0; j < m; j++) if (!(r[j * m + j] > 1e-6)) return null;
  const rinv = invertUpper(r, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) rinv[i * m + j] *= scale[i];
  return rinv;
}

/**
 * Top-k left singular vectors of a row-major [rows, cols] matrix by subspace iteration on
 * onnxruntime (see the header). A matrix with NaN or Inf has undefined directions: NaN values and
 * vectors (their token lists are empty).
 */
export async function topLeftSingularVectors(
  w: NumericArray,
  rows: number,
  cols: number,
  k: number,
  options: SubspaceOptions & ComputeOptions = {},
): Promise<LeftSingularVectors> {
  if (w.length !== rows * cols) throw new DirectionsError(`matrix has ${w.length} values, not ${rows} x ${cols}`);
  const rank = Math.min(rows, cols);
  const want = Math.min(k, rank);
  const m = Math.min(rank, want + (options.oversample ?? 10));
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-10;
  const useGram = (options.formGram ?? rows <= GRAM_MAX_ROWS) && rows <= cols;
  const sessionOpts = { intraOpThreads: options.intraOpThreads };
  const operator = useGram ? 'gram' : w instanceof Float32Array ? 'implicit.f32' : 'implicit.f64';
  const stepSession = await cachedSession(stepGraph(operator), sessionOpts);
  let operatorFeed: Record<string, Tensor>;
  if (useGram) {
    // NaN or Inf in W reaches W W^T (d^2 values to check instead of d d_ff).
    const c = await gram(w, rows, cols, sessionOpts);
    if (!allFinite(c)) return notFiniteResult(want, rows);
    operatorFeed = { C: float64Tensor(c, [rows, rows]) };
  } else {
    if (!allFinite(w)) return notFiniteResult(want, rows);
    operatorFeed = { W: w instanceof Float32Array ? float32Tensor(w, [rows, cols]) : float64Tensor(w, [rows, cols]) };
  }
  const step = (y: Float64Array, t: Float64Array): Promise<Record<string, Float64Array>> =>
    run(stepSession, { ...operatorFeed, Y: float64Tensor(y, [rows, m]), T: float64Tensor(t, [m, m]) });
  const gramSchmidt = (x: Float64Array): Float64Array => {
    const cols2 = unpackColumns(x, rows, m);
    orthonormalise(cols2);
    return packColumns(cols2, rows);
  };

  const start = Array.from({ length: m }, (_, j) => hashVector(rows, j));
  orthonormalise(start);
  let y = packColumns(start, rows);
  let t = identity(m);
  let values: Float64Array = new Float64Array(m);
  let q = y;
  let v = identity(m);
  let residual = Infinity;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let s = await step(y, t);
    if (!orthonormalTo(s['QQ'], m, ORTHONORMAL_TOLERANCE)) {
      // Cholesky QR once more on the computed Q; Gram-Schmidt if that is not enough either.
      const again = choleskyQrFactor(s['QQ'], m);
      if (again) s = await step(s['Q'], again);
      if (!again || !orthonormalTo(s['QQ'], m, ORTHONORMAL_TOLERANCE)) s = await step(gramSchmidt(s['Q']), identity(m));
    }
    q = s['Q'];
    const g = s['G'];
    const sym = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = i; j < m; j++) {
        const x = 0.5 * (g[i * m + j] + g[j * m + i]);
        sym[i * m + j] = x;
        sym[j * m + i] = x;
      }
    const eig = symmetricEigen(sym, m);
    values = eig.values;
    v = eig.vectors;
    // ||C u_j - lambda_j u_j|| = ||R v_j|| = sqrt(v_j^T RR v_j).
    const rr = s['RR'];
    const top = Math.max(values[0], Number.MIN_VALUE);
    residual = 0;
    for (let j = 0; j < want; j++) residual = Math.max(residual, Math.sqrt(Math.max(0, quadratic(rr, v, m, j))) / top);
    if (residual <= tolerance) {
      iterations++;
      break;
    }
    // Next iterate Y' = P V: its Gram V^T PP V gives the Cholesky QR factor; Q' = P (V T').
    const next = choleskyQrFactor(congruence(s['PP'], v, m), m);
    if (next) {
      y = s['P'];
      t = multiply(v, next, m);
    } else {
      y = gramSchmidt(multiplyTall(s['P'], v, rows, m, m));
      t = identity(m);
    }
  }
  return {
    vectors: unpackColumns(multiplyTall(q, v, rows, m, want), rows, want),
    singularValues: Array.from(values.subarray(0, want), (x) => Math.sqrt(Math.max(0, x))),
    converged: residual <= tolerance,
    iterations,
    residual,
  };
}

/** v_j^T A v_j for the j-th column of V (m x m, row-major), A m x m. */
function quadratic(a: Float64Array, v: Float64Array, m: number, j: number): number {
  let s = 0;
  for (let i = 0; i < m; i++) {
    let row = 0;
    for (let l = 0; l < m; l++) row += a[i * m + l] * v[l * m + j];
    s += v[i * m + j] * row;
  }
  return s;
}

/** V^T A V (m x m). */
function congruence(a: Float64Array, v: Float64Array, m: number): Float64Array {
  const av = multiply(a, v, m);
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let l = 0; l < m; l++) s += v[l * m + i] * av[l * m + j];
      out[i * m + j] = s;
    }
  return out;
}

/** A B for m x m matrices. */
function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let l = 0; l < m; l++) {
      const x = a[i * m + l];
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] += x * b[l * m + j];
    }
  return out;
}

/** X [n, m] times the first `count` columns of V [m, m]: [n, count]. */
function multiplyTall(x: Float64Array, v: Float64Array, n: number, m: number, count: number): Float64Array {
  const out = new Float64Array(n * count);
  for (let r = 0; r < n; r++)
    for (let l = 0; l < m; l++) {
      const a = x[r * m + l];
      for (let j = 0; j < count; j++) out[r * count + j] += a * v[l * m + j];
    }
  return out;
}
