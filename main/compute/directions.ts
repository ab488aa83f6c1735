/**
 * SVD directions (DOMAIN.md "SVD directions") with every large product on onnxruntime; the small
 * dense parts (Jacobi on m x m, Cholesky, triangular inverses, the exact re-ranking of a few
 * candidate tokens) stay in JS as the pure kernels of main/metrics/svd-directions.ts. Same
 * algorithms and results as the pure-JS reference they replace (kept in the tests), so that a
 * checkpoint's directions, singular values and token lists do not depend on which ran:
 *
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
 * - OV circuit of every head of a block in one batch: M_h = A_h^T A_h and G_h = B_h B_h^T on
 *   onnxruntime (A = W_O^h [d, hd], B = W_V^h [hd, d]); R_h = Cholesky of M_h (the R of A_h = Q R
 *   with positive diagonal, as the reference's Gram-Schmidt gives), Jacobi on R G R^T, and the
 *   directions A_h (R_h^-1 V_h) on onnxruntime. A head whose A_h is ill-conditioned (a column
 *   within 1e-3 of the span of the previous ones) or not finite takes the reference's JS route.
 * - Tokens: every direction of the block (30 for mlp.out + 30 per head) in one matrix D [d, m];
 *   L32 = U D as a float32 MatMul over pieces of vocabulary rows (bounded memory). Float32 rather
 *   than float64 because onnxruntime's float32 MatMul ran 2-3x faster than float64 on these shapes
 *   (about 80-110 vs 25-45 GFLOP/s, 2 threads, this project's machine) and reads the float32
 *   unembedding as it is (no float64 copy or Cast), and a rigorous bound makes it exact: |L32 - L64| <= window/2 = relative * max_i ||U_i|| * ||D_k|| +
 *   absolute (float32LogitErrorBound), so every id of the float64 top-K has L32 >= (K-th largest
 *   L32) - window (LogitCandidates). Those candidates (typically K plus a few) are recomputed with
 *   the reference's float64 dot product and ranked exactly (ties to the lower id, NaN skipped):
 *   the lists equal what float64 arithmetic over every token gives. Rows with Inf (non-finite
 *   norm) are always recomputed; rows and directions with NaN have NaN logits, so never appear.
 */
import type * as ortTypes from 'onnxruntime-node';
import {
  choleskyUpper,
  dot,
  float32LogitErrorBound,
  hashVector,
  invertUpper,
  LogitCandidates,
  orthonormalise,
  ovLeftSingularVectors,
  rankExactly,
  symmetricEigen,
  type ComponentDirections,
  type DirectionTokens,
  type LeftSingularVectors,
  type SubspaceOptions,
} from '../metrics/svd-directions';
import type { NumericArray } from '../metrics/moments';
import { gram } from './gram';
import { cachedSession, float32Tensor, float64Tensor, OnnxType, type TinyGraph } from './ort';

export class DirectionsError extends Error {
  constructor(message: string) {
    super(`main/compute/directions.ts: ${message}`);
    this.name = 'DirectionsError';
  }
}

export interface ComputeOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  intraOpThreads?: number;
}

export interface FastDirectionOptions extends SubspaceOptions, ComputeOptions {
  /** Directions per matrix (default 30). */
  directions?: number;
  /** Tokens per direction (default 20). */
  topK?: number;
  /** Largest float32 logit piece [rows, m] (and unembedding piece [rows, d]) in elements (default 4M). */
  pieceElements?: number;
}

/** Above this many rows the d x d Gram matrix is not formed (memory); C Q is applied as W (W^T Q). */
const GRAM_MAX_ROWS = 4096;
const ORTHONORMAL_TOLERANCE = 1e-12;
/** A head's scaled Cholesky pivot below this: A_h is too ill-conditioned for Cholesky QR. */
const MIN_SCALED_PIVOT = 1e-3;
const DEFAULT_PIECE_ELEMENTS = 4 * 1024 * 1024;

type Tensor = ortTypes.Tensor;

function allFinite(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return false;
  return true;
}

function identity(m: number): Float64Array {
  const t = new Float64Array(m * m);
  for (let i = 0; i < m; i++) t[i * m + i] = 1;
  return t;
}

/** Row-major [n, m] from m columns of length n, and back. */
function packColumns(cols: readonly Float64Array[], n: number): Float64Array {
  const m = cols.length;
  const out = new Float64Array(n * m);
  for (let j = 0; j < m; j++) {
    const c = cols[j]!;
    for (let r = 0; r < n; r++) out[r * m + j] = c[r]!;
  }
  return out;
}

function unpackColumns(x: Float64Array, n: number, m: number, count = m): Float64Array[] {
  return Array.from({ length: count }, (_, j) => {
    const c = new Float64Array(n);
    for (let r = 0; r < n; r++) c[r] = x[r * m + j]!;
    return c;
  });
}

async function run(session: ortTypes.InferenceSession, feeds: Record<string, Tensor>): Promise<Record<string, Float64Array>> {
  const result = await session.run(feeds);
  const out: Record<string, Float64Array> = {};
  for (const [name, t] of Object.entries(result)) {
    if (t.type !== 'float64') throw new DirectionsError(`graph output ${name} is ${t.type}, expected float64`);
    out[name] = t.data as Float64Array;
  }
  return out;
}

// ------------------------------------------------------------------ graphs

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

/** Per head: M = A^T A and G = B B^T for A [H, d, hd], B [H, hd, d]. */
const OV_GRAMS_GRAPH: TinyGraph = {
  name: 'directions.ov-grams',
  inputs: [
    { name: 'A', elemType: f64, dims: ['h', 'd', 'k'] },
    { name: 'B', elemType: f64, dims: ['h', 'k', 'd'] },
  ],
  outputs: [
    { name: 'M', elemType: f64, dims: ['h', 'k', 'k'] },
    { name: 'G', elemType: f64, dims: ['h', 'k', 'k'] },
  ],
  nodes: [
    { opType: 'Transpose', inputs: ['A'], outputs: ['At'], attributes: [{ name: 'perm', ints: [0, 2, 1] }] },
    { opType: 'MatMul', inputs: ['At', 'A'], outputs: ['M'] },
    { opType: 'Transpose', inputs: ['B'], outputs: ['Bt'], attributes: [{ name: 'perm', ints: [0, 2, 1] }] },
    { opType: 'MatMul', inputs: ['B', 'Bt'], outputs: ['G'] },
  ],
};

/** Per head: directions A X for A [H, d, hd], X [H, hd, w]. */
const OV_VECTORS_GRAPH: TinyGraph = {
  name: 'directions.ov-vectors',
  inputs: [
    { name: 'A', elemType: f64, dims: ['h', 'd', 'k'] },
    { name: 'X', elemType: f64, dims: ['h', 'k', 'w'] },
  ],
  outputs: [{ name: 'U', elemType: f64, dims: ['h', 'd', 'w'] }],
  nodes: [{ opType: 'MatMul', inputs: ['A', 'X'], outputs: ['U'] }],
};

/** Float32 logits of a piece of vocabulary rows: L = U D. */
const LOGITS_GRAPH: TinyGraph = {
  name: 'directions.logits.f32',
  inputs: [
    { name: 'U', elemType: OnnxType.float32, dims: ['r', 'd'] },
    { name: 'D', elemType: OnnxType.float32, dims: ['d', 'm'] },
  ],
  outputs: [{ name: 'L', elemType: OnnxType.float32, dims: ['r', 'm'] }],
  nodes: [{ opType: 'MatMul', inputs: ['U', 'D'], outputs: ['L'] }],
};

// ------------------------------------------------------------------ mlp.out: subspace iteration

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
      const dev = Math.abs(qq[i * m + j]! - (i === j ? 1 : 0));
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
    const n2 = yy[j * m + j]!;
    if (!(n2 > 0) || !Number.isFinite(n2)) return null;
    scale[j] = 1 / Math.sqrt(n2);
  }
  const scaled = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) scaled[i * m + j] = scale[i]! * yy[i * m + j]! * scale[j]!;
  const r = choleskyUpper(scaled, m);
  if (!r) return null;
  for (let j = 0; j < m; j++) if (!(r[j * m + j]! > 1e-6)) return null;
  const rinv = invertUpper(r, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) rinv[i * m + j]! *= scale[i]!;
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
    if (!orthonormalTo(s['QQ']!, m, ORTHONORMAL_TOLERANCE)) {
      // Cholesky QR once more on the computed Q; Gram-Schmidt if that is not enough either.
      const again = choleskyQrFactor(s['QQ']!, m);
      if (again) s = await step(s['Q']!, again);
      if (!again || !orthonormalTo(s['QQ']!, m, ORTHONORMAL_TOLERANCE)) s = await step(gramSchmidt(s['Q']!), identity(m));
    }
    q = s['Q']!;
    const g = s['G']!;
    const sym = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = i; j < m; j++) {
        const x = 0.5 * (g[i * m + j]! + g[j * m + i]!);
        sym[i * m + j] = x;
        sym[j * m + i] = x;
      }
    const eig = symmetricEigen(sym, m);
    values = eig.values;
    v = eig.vectors;
    // ||C u_j - lambda_j u_j|| = ||R v_j|| = sqrt(v_j^T RR v_j).
    const rr = s['RR']!;
    const top = Math.max(values[0]!, Number.MIN_VALUE);
    residual = 0;
    for (let j = 0; j < want; j++) residual = Math.max(residual, Math.sqrt(Math.max(0, quadratic(rr, v, m, j))) / top);
    if (residual <= tolerance) {
      iterations++;
      break;
    }
    // Next iterate Y' = P V: its Gram V^T PP V gives the Cholesky QR factor; Q' = P (V T').
    const next = choleskyQrFactor(congruence(s['PP']!, v, m), m);
    if (next) {
      y = s['P']!;
      t = multiply(v, next, m);
    } else {
      y = gramSchmidt(multiplyTall(s['P']!, v, rows, m, m));
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
    for (let l = 0; l < m; l++) row += a[i * m + l]! * v[l * m + j]!;
    s += v[i * m + j]! * row;
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
      for (let l = 0; l < m; l++) s += v[l * m + i]! * av[l * m + j]!;
      out[i * m + j] = s;
    }
  return out;
}

/** A B for m x m matrices. */
function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let l = 0; l < m; l++) {
      const x = a[i * m + l]!;
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += x * b[l * m + j]!;
    }
  return out;
}

/** X [n, m] times the first `count` columns of V [m, m]: [n, count]. */
function multiplyTall(x: Float64Array, v: Float64Array, n: number, m: number, count: number): Float64Array {
  const out = new Float64Array(n * count);
  for (let r = 0; r < n; r++)
    for (let l = 0; l < m; l++) {
      const a = x[r * m + l]!;
      for (let j = 0; j < count; j++) out[r * count + j]! += a * v[l * m + j]!;
    }
  return out;
}

// ------------------------------------------------------------------ OV circuits

export interface HeadSlices {
  wO: Float64Array;
  wV: Float64Array;
  headDim: number;
}

/**
 * Top-min(k, hd) left singular vectors of each head's OV = wO [d, hd] wV [hd, d], all heads in one
 * batch (see the header); results in the order of `heads`.
 */
export async function ovLeftSingularVectorsBatch(heads: readonly HeadSlices[], d: number, k: number, options: ComputeOptions = {}): Promise<LeftSingularVectors[]> {
  if (heads.length === 0) return [];
  const hd = heads[0]!.headDim;
  for (const h of heads) {
    if (h.headDim !== hd) throw new DirectionsError(`heads of one batch must share a head size (${h.headDim} vs ${hd})`);
    if (h.wO.length !== d * hd || h.wV.length !== hd * d) throw new DirectionsError(`OV factors must be ${d} x ${hd} and ${hd} x ${d}`);
  }
  const want = Math.min(k, hd);
  const count = heads.length;
  const a = new Float64Array(count * d * hd);
  const b = new Float64Array(count * hd * d);
  heads.forEach((h, i) => {
    a.set(h.wO, i * d * hd);
    b.set(h.wV, i * hd * d);
  });
  const sessionOpts = { intraOpThreads: options.intraOpThreads };
  const grams = await run(await cachedSession(OV_GRAMS_GRAPH, sessionOpts), {
    A: float64Tensor(a, [count, d, hd]),
    B: float64Tensor(b, [count, hd, d]),
  });
  const x = new Float64Array(count * hd * want);
  const results: (LeftSingularVectors | null)[] = [];
  const values: number[][] = [];
  for (let i = 0; i < count; i++) {
    const head = heads[i]!;
    const mh = grams['M']!.subarray(i * hd * hd, (i + 1) * hd * hd);
    const gh = grams['G']!.subarray(i * hd * hd, (i + 1) * hd * hd);
    const r = allFinite(head.wO) && allFinite(head.wV) ? headR(mh, hd) : null;
    if (!r) {
      // Rank deficient, ill-conditioned or not finite: the reference's Gram-Schmidt route.
      results.push(ovLeftSingularVectors(head.wO, head.wV, d, hd, k));
      values.push([]);
      continue;
    }
    // S = R G R^T (R upper triangular), symmetrised.
    const rg = new Float64Array(hd * hd);
    for (let p = 0; p < hd; p++)
      for (let j = 0; j < hd; j++) {
        let s = 0;
        for (let l = p; l < hd; l++) s += r[p * hd + l]! * gh[l * hd + j]!;
        rg[p * hd + j] = s;
      }
    const sm = new Float64Array(hd * hd);
    for (let p = 0; p < hd; p++)
      for (let j = 0; j < hd; j++) {
        let s = 0;
        for (let l = j; l < hd; l++) s += rg[p * hd + l]! * r[j * hd + l]!;
        sm[p * hd + j] = s;
      }
    const eig = symmetricEigen(sm, hd);
    // X = R^-1 V[:, :want], so that A X = Q V.
    const rinv = invertUpper(r, hd);
    const xh = x.subarray(i * hd * want, (i + 1) * hd * want);
    for (let p = 0; p < hd; p++)
      for (let j = 0; j < want; j++) {
        let s = 0;
        for (let l = p; l < hd; l++) s += rinv[p * hd + l]! * eig.vectors[l * hd + j]!;
        xh[p * want + j] = s;
      }
    results.push(null);
    values.push(Array.from(eig.values.subarray(0, want), (v) => Math.sqrt(Math.max(0, v))));
  }
  const u = (await run(await cachedSession(OV_VECTORS_GRAPH, sessionOpts), { A: float64Tensor(a, [count, d, hd]), X: float64Tensor(x, [count, hd, want]) }))['U']!;
  return results.map((res, i) => {
    if (res) return res;
    const uh = u.subarray(i * d * want, (i + 1) * d * want);
    return { vectors: unpackColumns(uh, d, want), singularValues: values[i]!, converged: true, iterations: 0, residual: 0 };
  });
}

/** R of A = Q R (positive diagonal) from M = A^T A, or null when Cholesky QR would be inaccurate. */
function headR(mh: Float64Array, hd: number): Float64Array | null {
  const norms = new Float64Array(hd);
  for (let j = 0; j < hd; j++) {
    const n2 = mh[j * hd + j]!;
    if (!(n2 > 0) || !Number.isFinite(n2)) return null;
    norms[j] = Math.sqrt(n2);
  }
  const scaled = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++) for (let j = 0; j < hd; j++) scaled[i * hd + j] = mh[i * hd + j]! / (norms[i]! * norms[j]!);
  const rs = choleskyUpper(scaled, hd);
  if (!rs) return null;
  for (let j = 0; j < hd; j++) if (!(rs[j * hd + j]! >= MIN_SCALED_PIVOT)) return null;
  // A = Q R_s D with D = diag(norms): R = R_s D.
  for (let i = 0; i < hd; i++) for (let j = i; j < hd; j++) rs[i * hd + j]! *= norms[j]!;
  return rs;
}

// ------------------------------------------------------------------ tokens

/** The unembedding [vocab, d] with the row norms the float32 error bound needs (computed once per checkpoint). */
export interface Unembedding {
  data: NumericArray;
  vocab: number;
  d: number;
  /** Largest finite ||U_i||_2. */
  maxRowNorm: number;
  /** Rows without NaN whose norm is not finite (Inf, overflow): always recomputed exactly. */
  badRows: number[];
  /** 1 for bad rows and rows with NaN (whose logits are NaN for every direction: never listed), skipped by the float32 scan; undefined when there are none. */
  skip: Uint8Array | undefined;
}

export function prepareUnembedding(data: NumericArray, vocab: number, d: number): Unembedding {
  if (data.length !== vocab * d) throw new DirectionsError(`unembedding has ${data.length} values, not ${vocab} x ${d}`);
  let maxRowNorm = 0;
  const badRows: number[] = [];
  const nanRows: number[] = [];
  for (let i = 0; i < vocab; i++) {
    let s = 0;
    const base = i * d;
    for (let c = 0; c < d; c++) s += data[base + c]! * data[base + c]!;
    const n = Math.sqrt(s);
    if (Number.isFinite(n)) {
      if (n > maxRowNorm) maxRowNorm = n;
    } else if (data.subarray(base, base + d).some((x) => Number.isNaN(x))) nanRows.push(i);
    else badRows.push(i);
  }
  let skip: Uint8Array | undefined;
  if (badRows.length + nanRows.length > 0) {
    skip = new Uint8Array(vocab);
    for (const i of badRows) skip[i] = 1;
    for (const i of nanRows) skip[i] = 1;
  }
  return { data, vocab, d, maxRowNorm, badRows, skip };
}

export interface TokenLists {
  top: number[];
  bottom: number[];
}

/** Top-K ids of U u and of U (-u) for every direction (see the header: float32 pass, exact re-rank). */
export async function tokenLists(vectors: readonly Float64Array[], un: Unembedding, topK: number, options: FastDirectionOptions = {}): Promise<TokenLists[]> {
  const { d, vocab } = un;
  for (const v of vectors) if (v.length !== d) throw new DirectionsError(`direction of length ${v.length}, expected ${d}`);
  const bound = float32LogitErrorBound(d, un.maxRowNorm);
  const out: (TokenLists | null)[] = vectors.map(() => null);
  const fast: number[] = [];
  const windows: number[] = [];
  vectors.forEach((u, j) => {
    if (u.some((x) => Number.isNaN(x))) {
      out[j] = { top: [], bottom: [] };
      return;
    }
    const norm = Math.sqrt(dot(u, u));
    const scale = un.maxRowNorm * norm;
    // The absolute (underflow) term is per unit of sum |u_j| <= sqrt(d) ||u||.
    const window = 2 * (bound.relative * scale * (1 + 1e-6) + bound.absolute * (1 + Math.sqrt(d) * norm));
    // Far from float32's range (or Inf in u): no float32 pass, every id is a candidate.
    if (!Number.isFinite(window) || !(scale < 1e36) || u.some((x) => Math.abs(x) > 1e36)) return;
    fast.push(j);
    windows.push(window);
  });
  const everyId = (): Int32Array => Int32Array.from({ length: vocab }, (_, i) => i);
  if (fast.length > 0) {
    const m = fast.length;
    const dm = new Float32Array(d * m);
    fast.forEach((j, c) => {
      const u = vectors[j]!;
      for (let r = 0; r < d; r++) dm[r * m + c] = u[r]!;
    });
    const session = await cachedSession(LOGITS_GRAPH, { intraOpThreads: options.intraOpThreads });
    const dTensor = float32Tensor(dm, [d, m]);
    const collector = new LogitCandidates(m, topK, Float64Array.from(windows));
    const rowsPerPiece = Math.max(1, Math.floor((options.pieceElements ?? DEFAULT_PIECE_ELEMENTS) / Math.max(m, d)));
    const scratch = un.data instanceof Float32Array ? null : new Float32Array(Math.min(rowsPerPiece, vocab) * d);
    const runPiece = (r0: number): Promise<Float32Array> => {
      const rows = Math.min(rowsPerPiece, vocab - r0);
      let piece: Float32Array;
      if (un.data instanceof Float32Array) piece = un.data.subarray(r0 * d, (r0 + rows) * d);
      else {
        piece = scratch!.subarray(0, rows * d);
        piece.set(un.data.subarray(r0 * d, (r0 + rows) * d));
      }
      return session.run({ U: float32Tensor(piece, [rows, d]), D: dTensor }).then((result) => {
        const logits = result['L'];
        if (!logits || logits.type !== 'float32') throw new DirectionsError('logits graph produced no float32 output L');
        return logits.data as Float32Array;
      });
    };
    // One piece in flight while the previous one is scanned in JS (the scratch buffer of a
    // float64 unembedding is refilled only after its piece has run).
    let pending = runPiece(0);
    for (let r0 = 0; r0 < vocab; r0 += rowsPerPiece) {
      const logits = await pending;
      if (r0 + rowsPerPiece < vocab) pending = runPiece(r0 + rowsPerPiece);
      collector.add(logits, r0, Math.min(rowsPerPiece, vocab - r0), un.skip);
    }
    fast.forEach((j, c) => {
      const u = vectors[j]!;
      const topIds = collector.candidates(c, 1).concat(un.badRows);
      const bottomIds = collector.candidates(c, -1).concat(un.badRows);
      out[j] = { top: rankExactly(un.data, d, u, topIds, topK, 1), bottom: rankExactly(un.data, d, u, bottomIds, topK, -1) };
    });
  }
  return out.map((lists, j) => {
    if (lists) return lists;
    const ids = everyId();
    const u = vectors[j]!;
    return { top: rankExactly(un.data, d, u, ids, topK, 1), bottom: rankExactly(un.data, d, u, ids, topK, -1) };
  });
}

// ------------------------------------------------------------------ one block

export interface BlockMatrices {
  /** mlp.out as [d, d_ff] (rows = residual side). */
  mlpOut?: { w: NumericArray; dff: number };
  /** OV slices of each head, all with the same head size. */
  heads?: readonly { head: number; slices: HeadSlices }[];
}

/**
 * Every component's directions of one block: mlp.out first, then the heads in the given order;
 * all directions of the block share one pass over the unembedding.
 */
export async function blockDirections(
  block: BlockMatrices,
  un: Unembedding,
  decode: (id: number) => string,
  options: FastDirectionOptions = {},
): Promise<ComponentDirections[]> {
  const k = options.directions ?? 30;
  const topK = options.topK ?? 20;
  const parts: { component: ComponentDirections['component']; head: number | null; svd: LeftSingularVectors }[] = [];
  if (block.mlpOut) {
    const svd = await topLeftSingularVectors(block.mlpOut.w, un.d, block.mlpOut.dff, k, options);
    parts.push({ component: 'mlp.out', head: null, svd });
  }
  if (block.heads && block.heads.length > 0) {
    const svds = await ovLeftSingularVectorsBatch(
      block.heads.map((h) => h.slices),
      un.d,
      k,
      options,
    );
    block.heads.forEach((h, i) => parts.push({ component: 'attn.ov', head: h.head, svd: svds[i]! }));
  }
  const lists = await tokenLists(
    parts.flatMap((p) => p.svd.vectors),
    un,
    topK,
    options,
  );
  let next = 0;
  return parts.map((p) => ({
    component: p.component,
    head: p.head,
    directions: p.svd.vectors.map((_, index): DirectionTokens => {
      const l = lists[next++]!;
      return {
        index,
        singularValue: p.svd.singularValues[index] ?? NaN,
        top: l.top,
        bottom: l.bottom,
        topTokens: l.top.map(decode),
        bottomTokens: l.bottom.map(decode),
      };
    }),
    converged: p.svd.converged,
    iterations: p.svd.iterations,
    residual: p.svd.residual,
  }));
}
