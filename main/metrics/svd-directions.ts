// SVD directions (DOMAIN.md "SVD directions"): for each block, the top singular directions of
// `mlp.out` and of every head's OV circuit W_O^h W_V^h on the residual-stream (output) side,
// mapped through the unembedding to their top-20 tokens.
//
// This file holds the pure typed-array kernels; main/compute/directions.ts runs the method with
// its large products on onnxruntime (subspace iteration on C = W W^T for mlp.out, the exact
// low-rank route for each head's OV circuit, one float32 pass over the unembedding per block with
// a rigorous error bound and exact float64 re-ranking of the candidates). Hand-written because no
// JS linear-algebra package gives a symmetric eigensolver with vectors on Float64Array.
// - symmetricEigen: cyclic Jacobi (small m x m and hd x hd problems).
// - orthonormalise: modified Gram-Schmidt, twice; vanishing columns are replaced by deterministic
//   hash vectors (rank-deficient matrices), hashVector: the deterministic start of the iteration.
// - OV circuit of head h: A = W_O^h [d, hd] (columns h*hd..(h+1)*hd of attention.dense) and
//   B = W_V^h [hd, d] (for GPT-NeoX the fused query_key_value [3d, d] is laid out as
//   [heads, 3, hd, d]; V of head h = rows (3h+2)*hd..(3h+3)*hd). OV = A B has rank <= hd, so
//   exactly: A = Q_A R_A (Gram-Schmidt), then OV OV^T = Q_A (R_A (B B^T) R_A^T) Q_A^T and the
//   small hd x hd symmetric problem is solved by Jacobi; left vectors = Q_A V. At most hd
//   directions exist, so min(k, hd) are returned (ovLeftSingularVectors: the JS route, used by
//   the fast path for rank-deficient, ill-conditioned or non-finite heads).
// - Tokens: logits = U u for the unembedding U [vocab, d], each the float64 sum over c ascending
//   (exactLogit); top-K ids by value for +u (`top`) and for -u (`bottom`, the most negative
//   logits), ties broken by the lower id, NaN skipped (topKIndices, rankExactly). A singular
//   vector's sign is arbitrary, so both lists are kept. LogitCandidates and
//   float32LogitErrorBound make a float32 pass over the vocabulary exact (see their comments).
// Closeness to the final checkpoint is defined in common/analyses/svd-directions.ts; the per-head
// slicing of each family's attention weights in main/architectures/<family>.ts.
import { MetricInputError, type NumericArray } from './moments';

// ------------------------------------------------------------------ small dense helpers

/**
 * Eigen-decomposition of a symmetric n x n matrix (row-major) by cyclic Jacobi; descending.
 * Rotation rule, sweep order and stopping test are the classic cyclic ones; the matrix is kept
 * exactly symmetric, so each rotation reads rows p and q (contiguous) once and writes rows and
 * columns p, q, and the eigenvector matrix is stored transposed so its update is contiguous too
 * (about 3x faster in V8 than updating columns, rows and vectors in three strided passes).
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const avg = 0.5 * (m[i * n + j]! + m[j * n + i]!);
      m[i * n + j] = avg;
      m[j * n + i] = avg;
    }
  // vt: row j = eigenvector j (the transpose of the usual column layout).
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i]! * m[i * n + i]!;
      for (let j = i + 1; j < n; j++) off += m[i * n + j]! * m[i * n + j]!;
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      const rp = p * n;
      for (let q = p + 1; q < n; q++) {
        const rq = q * n;
        const apq = m[rp + q]!;
        if (apq === 0) continue;
        const app = m[rp + p]!;
        const aqq = m[rq + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // Off-block entries: J^T M J changes rows/columns p and q only (three ranges of k, no
        // branch in the loop).
        rotateOffBlock(m, n, p, q, c, s, 0, p);
        rotateOffBlock(m, n, p, q, c, s, p + 1, q);
        rotateOffBlock(m, n, p, q, c, s, q + 1, n);
        // The 2 x 2 block (column rotation, then row rotation, as J^T (M J)).
        const pp1 = c * app - s * apq;
        const pq1 = s * app + c * apq;
        const qp1 = c * apq - s * aqq;
        const qq1 = s * apq + c * aqq;
        m[rp + p] = c * pp1 - s * qp1;
        m[rq + q] = s * pq1 + c * qq1;
        const offPq = 0.5 * (c * pq1 - s * qq1 + (s * pp1 + c * qp1));
        m[rp + q] = offPq;
        m[rq + p] = offPq;
        for (let k = 0; k < n; k++) {
          const vkp = vt[rp + k]!;
          const vkq = vt[rq + k]!;
          vt[rp + k] = c * vkp - s * vkq;
          vt[rq + k] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => m[j * n + j]! - m[i * n + i]! || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src]!;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = vt[src * n + k]!;
  });
  return { values, vectors };
}

/** Rows p, q and columns p, q of a symmetric matrix under a Jacobi rotation, for k in [from, to). */
function rotateOffBlock(m: Float64Array, n: number, p: number, q: number, c: number, s: number, from: number, to: number): void {
  const rp = p * n;
  const rq = q * n;
  for (let k = from; k < to; k++) {
    const mpk = m[rp + k]!;
    const mqk = m[rq + k]!;
    const np = c * mpk - s * mqk;
    const nq = s * mpk + c * mqk;
    m[rp + k] = np;
    m[rq + k] = nq;
    m[k * n + p] = np;
    m[k * n + q] = nq;
  }
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function hashVector(len: number, seed: number): Float64Array {
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    let h = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(seed + 1, 0x85ebca6b)) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b);
    h ^= h >>> 16;
    out[i] = (h >>> 0) / 4294967296 - 0.5;
  }
  return out;
}

/**
 * Orthonormalises columns in place (modified Gram-Schmidt, two passes). Returns R's diagonal
 * and full upper triangle (row-major m x m). Columns that vanish are replaced by deterministic
 * vectors orthogonal to the others (their R entries are 0).
 */
export function orthonormalise(cols: Float64Array[]): Float64Array {
  const m = cols.length;
  const r = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const col = cols[j]!;
    const original = Math.sqrt(dot(col, col));
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const c = dot(cols[i]!, col);
        r[i * m + j]! += c;
        const qi = cols[i]!;
        for (let k = 0; k < col.length; k++) col[k]! -= c * qi[k]!;
      }
    }
    let norm = Math.sqrt(dot(col, col));
    if (!(norm > 1e-13 * original) || norm === 0) {
      // Rank deficient: any unit vector orthogonal to the previous ones will do.
      r[j * m + j] = 0;
      const fresh = hashVector(col.length, j + 1000);
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < j; i++) {
          const c = dot(cols[i]!, fresh);
          const qi = cols[i]!;
          for (let k = 0; k < fresh.length; k++) fresh[k]! -= c * qi[k]!;
        }
      }
      col.set(fresh);
      norm = Math.sqrt(dot(col, col));
      for (let k = 0; k < col.length; k++) col[k]! /= norm;
      continue;
    }
    r[j * m + j] = norm;
    for (let k = 0; k < col.length; k++) col[k]! /= norm;
  }
  return r;
}

// ------------------------------------------------------------------ singular vectors
// (the subspace iteration itself: main/compute/directions.ts topLeftSingularVectors)

export interface LeftSingularVectors {
  /** Unit left singular vectors, descending singular value; each of length `rows`. */
  vectors: Float64Array[];
  singularValues: number[];
  converged: boolean;
  iterations: number;
  /** max over returned pairs of ||W W^T u - s^2 u|| / s_1^2 (0 for the exact OV method). */
  residual: number;
}

export interface SubspaceOptions {
  oversample?: number;
  maxIterations?: number;
  tolerance?: number;
  /** Form W W^T explicitly (default: when rows <= cols and rows <= 4096). */
  formGram?: boolean;
}

/** Top-min(k, hd) left singular vectors of OV = wO [d, hd] * wV [hd, d] (exact, see header). */
export function ovLeftSingularVectors(wO: NumericArray, wV: NumericArray, d: number, hd: number, k: number): LeftSingularVectors {
  if (wO.length !== d * hd || wV.length !== hd * d) {
    throw new MetricInputError('svd-directions.ts', `OV factors must be ${d} x ${hd} and ${hd} x ${d}`);
  }
  // Columns of A = wO.
  const qa = Array.from({ length: hd }, (_, c) => {
    const col = new Float64Array(d);
    for (let r = 0; r < d; r++) col[r] = wO[r * hd + c]!;
    return col;
  });
  const ra = orthonormalise(qa);
  // G = B B^T (hd x hd)
  const g = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++) {
    for (let j = i; j < hd; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += wV[i * d + c]! * wV[j * d + c]!;
      g[i * hd + j] = s;
      g[j * hd + i] = s;
    }
  }
  // S = R G R^T
  const rg = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++)
    for (let j = 0; j < hd; j++) {
      let s = 0;
      for (let l = i; l < hd; l++) s += ra[i * hd + l]! * g[l * hd + j]!;
      rg[i * hd + j] = s;
    }
  const sm = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++)
    for (let j = 0; j < hd; j++) {
      let s = 0;
      for (let l = j; l < hd; l++) s += rg[i * hd + l]! * ra[j * hd + l]!;
      sm[i * hd + j] = s;
    }
  for (let i = 0; i < hd; i++)
    for (let j = i + 1; j < hd; j++) {
      const avg = 0.5 * (sm[i * hd + j]! + sm[j * hd + i]!);
      sm[i * hd + j] = avg;
      sm[j * hd + i] = avg;
    }
  const eig = symmetricEigen(sm, hd);
  const want = Math.min(k, hd);
  const vectors: Float64Array[] = [];
  for (let j = 0; j < want; j++) {
    const u = new Float64Array(d);
    for (let i = 0; i < hd; i++) {
      const coef = eig.vectors[i * hd + j]!;
      const qi = qa[i]!;
      for (let r = 0; r < d; r++) u[r]! += coef * qi[r]!;
    }
    vectors.push(u);
  }
  return {
    vectors,
    singularValues: Array.from(eig.values.subarray(0, want), (v) => Math.sqrt(Math.max(0, v))),
    converged: true,
    iterations: 0,
    residual: 0,
  };
}

// ------------------------------------------------------------------ tokens

/** Indices of the K largest values, ties to the lower index, in descending order. */
export function topKIndices(values: ArrayLike<number>, k: number): number[] {
  const kk = Math.min(k, values.length);
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    if (idx.length === kk && !(v > values[idx[kk - 1]!]!)) continue;
    // Insert keeping descending order; equal values keep the earlier (lower) index first.
    let pos = idx.length === kk ? kk - 1 : idx.length;
    while (pos > 0 && values[idx[pos - 1]!]! < v) pos--;
    if (idx.length === kk) idx.pop();
    idx.splice(pos, 0, i);
  }
  return idx;
}

/**
 * Upper-triangular R with R^T R = A for a symmetric positive definite n x n A (row-major), or null
 * when a pivot is not positive and finite (A singular, indefinite or not finite).
 */
export function choleskyUpper(a: ArrayLike<number>, n: number): Float64Array | null {
  const r = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]!;
    for (let k = 0; k < j; k++) s -= r[k * n + j]! * r[k * n + j]!;
    if (!(s > 0) || !Number.isFinite(s)) return null;
    const rjj = Math.sqrt(s);
    r[j * n + j] = rjj;
    for (let i = j + 1; i < n; i++) {
      let t = a[j * n + i]!;
      for (let k = 0; k < j; k++) t -= r[k * n + j]! * r[k * n + i]!;
      r[j * n + i] = t / rjj;
    }
  }
  return r;
}

/** Inverse of an upper-triangular n x n matrix with nonzero diagonal (row-major; upper result). */
export function invertUpper(r: ArrayLike<number>, n: number): Float64Array {
  const x = new Float64Array(n * n);
  // Column j of X solves R x = e_j by back substitution (x is zero below row j).
  for (let j = 0; j < n; j++) {
    x[j * n + j] = 1 / r[j * n + j]!;
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r[i * n + k]! * x[k * n + j]!;
      x[i * n + j] = -s / r[i * n + i]!;
    }
  }
  return x;
}

/**
 * One logit exactly as the float64 reference defines it: sum over c ascending of
 * float64(unembed[id, c]) * u[c], accumulated left to right in float64.
 */
export function exactLogit(unembed: NumericArray, d: number, id: number, u: Float64Array): number {
  const base = id * d;
  let s = 0;
  for (let c = 0; c < d; c++) s += unembed[base + c]! * u[c]!;
  return s;
}

/**
 * Top-k ids among `ids` by sign * exactLogit (sign -1: the most negative logits), ties to the
 * lower id, NaN skipped: the same order as topKIndices over every logit, provided `ids` holds every
 * id that can be in that top-k.
 */
export function rankExactly(unembed: NumericArray, d: number, u: Float64Array, ids: ArrayLike<number>, k: number, sign: 1 | -1): number[] {
  const scored: { id: number; v: number }[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (seen.has(id)) continue;
    seen.add(id);
    const v = sign * exactLogit(unembed, d, id, u);
    if (v === v) scored.push({ id, v });
  }
  scored.sort((x, y) => y.v - x.v || x.id - y.id);
  return scored.slice(0, k).map((x) => x.id);
}

/**
 * Bound on |fl32(U32 . D32) - fl64(U . D)| for one logit, as relative * ||U_i||_2 * ||D_k||_2 +
 * absolute, where U32, D32 are U and D rounded to float32, fl32 is any float32 dot product of
 * length d (any summation order, with or without fused multiply-add: |error| <= gamma_d
 * sum |x_j y_j|, Higham, Accuracy and Stability, 3.1) and fl64 the float64 reference (same bound
 * with float64's unit roundoff). sum |U_ij D_jk| <= ||U_i|| ||D_k|| (Cauchy-Schwarz); rounding
 * the inputs adds (2u + u^2) sum |U_ij D_jk|. `absolute` covers underflow (subnormals flushed to
 * zero: at most 2^-126 per operation and per rounded input). A 1e-6 relative margin covers the
 * float64 computation of the norms themselves.
 */
export function float32LogitErrorBound(d: number, maxRowNorm: number): { relative: number; absolute: number } {
  const u32 = 2 ** -24;
  const u64 = 2 ** -53;
  const gamma = (n: number, u: number): number => (n * u) / (1 - n * u);
  const relative = (gamma(d, u32) * (1 + u32) ** 2 + 2 * u32 + u32 * u32 + gamma(d, u64)) * (1 + 1e-6);
  const absolute = d * 2 ** -126 * (4 + maxRowNorm * Math.sqrt(d)) * (1 + 1e-6);
  return { relative, absolute };
}

/**
 * Collects, for each of m columns of a [vocab, m] matrix of approximate logits L32 (seen in pieces
 * of rows), every row that can be in the column's exact top-K or bottom-K, given that each
 * approximate value is within +-bound[k] of the exact one. With t = the K-th largest L32 of the
 * column, at least K rows have exact value >= t - bound, so the exact K-th largest is >= t - bound,
 * and every row of the exact top-K has L32 >= t - 2 bound: those rows are kept. The pass keeps a
 * per-column list of rows above a running threshold (the K-th largest seen so far, minus the
 * window), pruned whenever it grows past a cap.
 */
export class LogitCandidates {
  private readonly topIds: number[][];
  private readonly topVals: number[][];
  private readonly botIds: number[][];
  private readonly botVals: number[][];
  private readonly topThreshold: Float64Array;
  private readonly botThreshold: Float64Array;
  private readonly cap: number;

  constructor(
    private readonly m: number,
    private readonly k: number,
    /** 2 * bound per column. */
    private readonly window: Float64Array,
  ) {
    this.topIds = Array.from({ length: m }, () => []);
    this.topVals = Array.from({ length: m }, () => []);
    this.botIds = Array.from({ length: m }, () => []);
    this.botVals = Array.from({ length: m }, () => []);
    this.topThreshold = new Float64Array(m).fill(-Infinity);
    this.botThreshold = new Float64Array(m).fill(-Infinity);
    this.cap = Math.max(4 * k, 256);
  }

  /** Rows rowStart .. rowStart + rows - 1 of L32 (row-major [rows, m]); rows with skip[id] = 1 are ignored. */
  add(piece: Float32Array, rowStart: number, rows: number, skip?: Uint8Array): void {
    const m = this.m;
    const topT = this.topThreshold;
    const botT = this.botThreshold;
    for (let r = 0; r < rows; r++) {
      const id = rowStart + r;
      if (skip && skip[id] === 1) continue;
      const base = r * m;
      for (let c = 0; c < m; c++) {
        const v = piece[base + c]!;
        if (v >= topT[c]!) this.push(this.topIds, this.topVals, topT, c, id, v);
        if (-v >= botT[c]!) this.push(this.botIds, this.botVals, botT, c, id, -v);
      }
    }
  }

  private push(ids: number[][], vals: number[][], thr: Float64Array, c: number, id: number, v: number): void {
    const li = ids[c]!;
    const lv = vals[c]!;
    li.push(id);
    lv.push(v);
    if (li.length > this.cap) this.prune(li, lv, thr, c);
  }

  private prune(li: number[], lv: number[], thr: Float64Array, c: number): void {
    if (li.length < this.k) return;
    // Typed-array sort: numeric ascending in native code (no comparator calls).
    const sorted = Float64Array.from(lv).sort();
    const kth = sorted[sorted.length - this.k]!;
    const t = kth - this.window[c]!;
    if (t > thr[c]!) thr[c] = t;
    let w = 0;
    for (let i = 0; i < li.length; i++) {
      if (lv[i]! >= thr[c]!) {
        li[w] = li[i]!;
        lv[w] = lv[i]!;
        w++;
      }
    }
    li.length = w;
    lv.length = w;
  }

  /** Candidate ids of column c for the top-K (sign +1) or bottom-K (sign -1). */
  candidates(c: number, sign: 1 | -1): number[] {
    const [ids, vals, thr] = sign === 1 ? [this.topIds, this.topVals, this.topThreshold] : [this.botIds, this.botVals, this.botThreshold];
    this.prune(ids[c]!, vals[c]!, thr, c);
    return ids[c]!.slice();
  }
}

export interface DirectionTokens {
  /** Direction index (0 = largest singular value). */
  index: number;
  singularValue: number;
  /** Top-K token ids of U u (most positive first). */
  top: number[];
  /** Top-K token ids of U (-u) (most negative logits of U u first). */
  bottom: number[];
  topTokens: string[];
  bottomTokens: string[];
}

export interface ComponentDirections {
  component: 'mlp.out' | 'attn.ov';
  /** Head index for attn.ov, null for mlp.out. */
  head: number | null;
  directions: DirectionTokens[];
  converged: boolean;
  iterations: number;
  residual: number;
}
