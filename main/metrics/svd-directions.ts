// SVD directions (DOMAIN.md "SVD directions"): for each block, the top singular directions of
// `mlp.out` and of every head's OV circuit W_O^h W_V^h on the residual-stream (output) side,
// mapped through the unembedding to their top-20 tokens, and "closeness to final" (exact token
// matches with the final checkpoint's lists for the same direction index).
//
// Methods (hand-written: no JS linear-algebra package gives a partial SVD on Float32Array):
// - mlp.out W [d, d_ff] (GPT-NeoX stores [out, in], so rows = residual side): block subspace
//   iteration on C = W W^T with Rayleigh-Ritz each step. C is formed once in float64 when
//   d <= d_ff and d <= 4096 (then an iteration costs d^2 m instead of 2 d d_ff m), else applied
//   as W (W^T Q). With Q (d x m, m = k + oversample) an iteration computes P = C Q, the m x m
//   projection Q^T P, its eigenpairs by cyclic Jacobi, Ritz vectors U = Q V, then Y = P V =
//   C U (which also gives the residual C u - lambda u for free) and Q <- orth(Y) (modified
//   Gram-Schmidt, twice). Start: a deterministic hash-based matrix. Stops when every wanted Ritz pair has relative residual
//   ||W W^T u - lambda u|| / lambda_1 <= tolerance (default 1e-10) or after maxIterations
//   (default 200), reporting `converged` and the residual.
// - OV circuit of head h: A = W_O^h [d, hd] (columns h*hd..(h+1)*hd of attention.dense) and
//   B = W_V^h [hd, d] (for GPT-NeoX the fused query_key_value [3d, d] is laid out as
//   [heads, 3, hd, d]; V of head h = rows (3h+2)*hd..(3h+3)*hd). OV = A B has rank <= hd, so
//   exactly: A = Q_A R_A (Gram-Schmidt), then OV OV^T = Q_A (R_A (B B^T) R_A^T) Q_A^T and the
//   small hd x hd symmetric problem is solved by Jacobi; left vectors = Q_A V. At most hd
//   directions exist, so min(k, hd) are returned.
// - Tokens: logits = U u for the unembedding U [vocab, d]; top-K ids by value for +u (`top`)
//   and for -u (`bottom`, the most negative logits), ties broken by the lower id. A singular
//   vector's sign is arbitrary, so both lists are kept.
// - Matches with the final checkpoint for one direction index: the best over the two signs of
//   the current direction, max(|top ∩ final.top|, |bottom ∩ final.top|), an integer 0..K.
import { MetricInputError, type NumericArray } from './moments';

// ------------------------------------------------------------------ small dense helpers

/** Eigen-decomposition of a symmetric n x n matrix (row-major) by cyclic Jacobi; descending. */
export function symmetricEigen(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  // v: columns are eigenvectors, row-major n x n.
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i]! * m[i * n + i]!;
      for (let j = i + 1; j < n; j++) off += m[i * n + j]! * m[i * n + j]!;
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => m[j * n + j]! - m[i * n + i]! || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src]!;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src]!;
  });
  return { values, vectors };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function hashVector(len: number, seed: number): Float64Array {
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
function orthonormalise(cols: Float64Array[]): Float64Array {
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

/** Top-k left singular vectors of a row-major [rows, cols] matrix by subspace iteration. */
export function topLeftSingularVectors(
  w: NumericArray,
  rows: number,
  cols: number,
  k: number,
  options: SubspaceOptions = {},
): LeftSingularVectors {
  if (w.length !== rows * cols) {
    throw new MetricInputError('svd-directions.ts', `matrix has ${w.length} values, not ${rows} x ${cols}`);
  }
  const rank = Math.min(rows, cols);
  const want = Math.min(k, rank);
  const m = Math.min(rank, want + (options.oversample ?? 10));
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-10;
  const formGram = options.formGram ?? (rows <= cols && rows <= GRAM_MAX_ROWS);
  const applyGram = formGram ? gramOperator(w, rows, cols) : implicitOperator(w, rows, cols);
  let q: Float64Array[] = Array.from({ length: m }, (_, j) => hashVector(rows, j));
  orthonormalise(q);
  let values: Float64Array = new Float64Array(m);
  let ritz: Float64Array[] = q;
  let residual = Infinity;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // Rayleigh-Ritz on span(Q): P = W W^T Q, G = Q^T P, G = V diag(lambda) V^T.
    const p = applyGram(q);
    const gram = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        const g = 0.5 * (dot(q[i]!, p[j]!) + dot(q[j]!, p[i]!));
        gram[i * m + j] = g;
        gram[j * m + i] = g;
      }
    }
    const eig = symmetricEigen(gram, m);
    values = eig.values;
    // Ritz vectors U = Q V and Y = P V = W W^T U (the next power iterate).
    ritz = Array.from({ length: m }, () => new Float64Array(rows));
    const y = Array.from({ length: m }, () => new Float64Array(rows));
    for (let j = 0; j < m; j++) {
      const uj = ritz[j]!;
      const yj = y[j]!;
      for (let i = 0; i < m; i++) {
        const coef = eig.vectors[i * m + j]!;
        if (coef === 0) continue;
        const qi = q[i]!;
        const pi = p[i]!;
        for (let r = 0; r < rows; r++) {
          uj[r]! += coef * qi[r]!;
          yj[r]! += coef * pi[r]!;
        }
      }
    }
    const top = Math.max(values[0]!, Number.MIN_VALUE);
    residual = 0;
    for (let j = 0; j < want; j++) {
      const yj = y[j]!;
      const uj = ritz[j]!;
      let s = 0;
      for (let r = 0; r < rows; r++) {
        const d = yj[r]! - values[j]! * uj[r]!;
        s += d * d;
      }
      residual = Math.max(residual, Math.sqrt(s) / top);
    }
    if (residual <= tolerance) {
      iterations++;
      break;
    }
    orthonormalise(y);
    q = y;
  }
  return {
    vectors: ritz.slice(0, want),
    singularValues: Array.from(values.subarray(0, want), (v) => Math.sqrt(Math.max(0, v))),
    converged: residual <= tolerance,
    iterations,
    residual,
  };
}

/** Above this many rows the d x d Gram matrix is not formed (memory); W W^T Q is applied as W (W^T Q). */
const GRAM_MAX_ROWS = 4096;

type Operator = (q: Float64Array[]) => Float64Array[];

/**
 * Forms C = W W^T once (rows x rows, float64; rows^2 cols / 2 multiply-adds) so that each
 * iteration costs rows^2 m instead of 2 rows cols m: a large saving for mlp.out, where
 * cols = 4 rows and the iteration count is tens.
 */
function gramOperator(w: NumericArray, rows: number, cols: number): Operator {
  const c = new Float64Array(rows * rows);
  // Rows are read four at a time against one float64 copy of row i (fewer passes over memory).
  const row = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let t = 0; t < cols; t++) row[t] = w[i * cols + t]!;
    let j = i;
    for (; j + 3 < rows; j += 4) {
      const b0 = j * cols;
      const b1 = b0 + cols;
      const b2 = b1 + cols;
      const b3 = b2 + cols;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < cols; t++) {
        const v = row[t]!;
        s0 += v * w[b0 + t]!;
        s1 += v * w[b1 + t]!;
        s2 += v * w[b2 + t]!;
        s3 += v * w[b3 + t]!;
      }
      c[i * rows + j] = c[j * rows + i] = s0;
      c[i * rows + j + 1] = c[(j + 1) * rows + i] = s1;
      c[i * rows + j + 2] = c[(j + 2) * rows + i] = s2;
      c[i * rows + j + 3] = c[(j + 3) * rows + i] = s3;
    }
    for (; j < rows; j++) {
      const base = j * cols;
      let s = 0;
      for (let t = 0; t < cols; t++) s += row[t]! * w[base + t]!;
      c[i * rows + j] = s;
      c[j * rows + i] = s;
    }
  }
  return (q) => {
    const m = q.length;
    const p = Array.from({ length: m }, () => new Float64Array(rows));
    for (let r = 0; r < rows; r++) {
      const base = r * rows;
      for (let j = 0; j < m; j++) {
        const qj = q[j]!;
        let s = 0;
        for (let t = 0; t < rows; t++) s += c[base + t]! * qj[t]!;
        p[j]![r] = s;
      }
    }
    return p;
  };
}

/** W W^T Q as W (W^T Q), never forming W W^T. */
function implicitOperator(w: NumericArray, rows: number, cols: number): Operator {
  return (q) => {
    const m = q.length;
    const z = Array.from({ length: m }, () => new Float64Array(cols));
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let j = 0; j < m; j++) {
        const qrj = q[j]![r]!;
        if (qrj === 0) continue;
        const zj = z[j]!;
        for (let c = 0; c < cols; c++) zj[c]! += qrj * w[base + c]!;
      }
    }
    const p = Array.from({ length: m }, () => new Float64Array(rows));
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let j = 0; j < m; j++) {
        const zj = z[j]!;
        let s = 0;
        for (let c = 0; c < cols; c++) s += w[base + c]! * zj[c]!;
        p[j]![r] = s;
      }
    }
    return p;
  };
}

/** W_O^h [d, hd] and W_V^h [hd, d] of head h from GPT-NeoX's fused QKV [3d, d] and dense [d, d]. */
export function gptNeoxHeadSlices(
  qkv: NumericArray,
  dense: NumericArray,
  d: number,
  heads: number,
  h: number,
): { wO: Float64Array; wV: Float64Array; headDim: number } {
  if (d % heads !== 0) throw new MetricInputError('svd-directions.ts', `hidden size ${d} is not divisible by ${heads} heads`);
  if (qkv.length !== 3 * d * d) throw new MetricInputError('svd-directions.ts', `query_key_value has ${qkv.length} values, not ${3 * d} x ${d}`);
  if (dense.length !== d * d) throw new MetricInputError('svd-directions.ts', `attention.dense has ${dense.length} values, not ${d} x ${d}`);
  if (!(h >= 0 && h < heads)) throw new MetricInputError('svd-directions.ts', `head ${h} out of range 0..${heads - 1}`);
  const hd = d / heads;
  const wV = new Float64Array(hd * d);
  const vStart = (h * 3 + 2) * hd * d;
  for (let i = 0; i < hd * d; i++) wV[i] = qkv[vStart + i]!;
  const wO = new Float64Array(d * hd);
  for (let r = 0; r < d; r++) for (let c = 0; c < hd; c++) wO[r * hd + c] = dense[r * d + h * hd + c]!;
  return { wO, wV, headDim: hd };
}

/**
 * GPT-2 head slices. Conv1D stores [in, out]: c_attn is [d, 3d] with V in output columns 2d..3d
 * (head h at 2d + h*hd), c_proj is [d (concatenated heads), d]. W_V^h [hd, d] is the transpose of
 * c_attn's V columns of head h; W_O^h [d, hd] the transpose of c_proj's rows h*hd..(h+1)*hd.
 */
export function gpt2HeadSlices(cAttn: NumericArray, cProj: NumericArray, d: number, heads: number, h: number): { wO: Float64Array; wV: Float64Array; headDim: number } {
  if (d % heads !== 0) throw new MetricInputError('svd-directions.ts', `hidden size ${d} is not divisible by ${heads} heads`);
  if (cAttn.length !== 3 * d * d) throw new MetricInputError('svd-directions.ts', `c_attn has ${cAttn.length} values, not ${d} x ${3 * d}`);
  if (cProj.length !== d * d) throw new MetricInputError('svd-directions.ts', `c_proj has ${cProj.length} values, not ${d} x ${d}`);
  const hd = d / heads;
  const wV = new Float64Array(hd * d);
  for (let r = 0; r < hd; r++) for (let c = 0; c < d; c++) wV[r * d + c] = cAttn[c * 3 * d + 2 * d + h * hd + r]!;
  const wO = new Float64Array(d * hd);
  for (let r = 0; r < d; r++) for (let c = 0; c < hd; c++) wO[r * hd + c] = cProj[(h * hd + c) * d + r]!;
  return { wO, wV, headDim: hd };
}

/**
 * Llama head slices with grouped-query attention: v_proj is [kvHeads*hd, d] and head h reads kv
 * head floor(h / (heads / kvHeads)); o_proj is [d, heads*hd] (head h = columns h*hd..(h+1)*hd).
 */
export function llamaHeadSlices(vProj: NumericArray, oProj: NumericArray, d: number, heads: number, kvHeads: number, hd: number, h: number): { wO: Float64Array; wV: Float64Array; headDim: number } {
  if (heads % kvHeads !== 0) throw new MetricInputError('svd-directions.ts', `${heads} heads are not a multiple of ${kvHeads} kv heads`);
  if (vProj.length !== kvHeads * hd * d) throw new MetricInputError('svd-directions.ts', `v_proj has ${vProj.length} values, not ${kvHeads * hd} x ${d}`);
  if (oProj.length !== d * heads * hd) throw new MetricInputError('svd-directions.ts', `o_proj has ${oProj.length} values, not ${d} x ${heads * hd}`);
  const kv = Math.floor(h / (heads / kvHeads));
  const wV = new Float64Array(hd * d);
  for (let i = 0; i < hd * d; i++) wV[i] = vProj[kv * hd * d + i]!;
  const wO = new Float64Array(d * hd);
  for (let r = 0; r < d; r++) for (let c = 0; c < hd; c++) wO[r * hd + c] = oProj[r * heads * hd + h * hd + c]!;
  return { wO, wV, headDim: hd };
}

/** Directions of one head's OV circuit from its slices (any family). */
export function ovDirectionsOfHead(
  slices: { wO: Float64Array; wV: Float64Array; headDim: number },
  head: number,
  d: number,
  unembed: NumericArray,
  vocab: number,
  decode: (id: number) => string,
  options: DirectionOptions = {},
): ComponentDirections {
  const svd = ovLeftSingularVectors(slices.wO, slices.wV, d, slices.headDim, options.directions ?? 30);
  return {
    component: 'attn.ov',
    head,
    directions: directionTokens(svd.vectors, svd.singularValues, unembed, vocab, d, decode, options.topK ?? 20),
    converged: true,
    iterations: 0,
    residual: 0,
  };
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

/** Maps unit directions (each of length d) through the unembedding [vocab, d] to top-K tokens. */
export function directionTokens(
  vectors: readonly Float64Array[],
  singularValues: readonly number[],
  unembed: NumericArray,
  vocab: number,
  d: number,
  decode: (id: number) => string,
  topK = 20,
): DirectionTokens[] {
  if (unembed.length !== vocab * d) {
    throw new MetricInputError('svd-directions.ts', `unembedding has ${unembed.length} values, not ${vocab} x ${d}`);
  }
  const k = vectors.length;
  for (const v of vectors) {
    if (v.length !== d) throw new MetricInputError('svd-directions.ts', `direction of length ${v.length}, expected ${d}`);
  }
  const logits = Array.from({ length: k }, () => new Float64Array(vocab));
  // One pass over the unembedding; each row is upcast once and dotted with four directions at
  // a time (this loop dominates the analysis: vocab x d x directions multiply-adds).
  const row = new Float64Array(d);
  for (let t = 0; t < vocab; t++) {
    const base = t * d;
    for (let c = 0; c < d; c++) row[c] = unembed[base + c]!;
    let j = 0;
    for (; j + 3 < k; j += 4) {
      const u0 = vectors[j]!;
      const u1 = vectors[j + 1]!;
      const u2 = vectors[j + 2]!;
      const u3 = vectors[j + 3]!;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < d; c++) {
        const v = row[c]!;
        s0 += v * u0[c]!;
        s1 += v * u1[c]!;
        s2 += v * u2[c]!;
        s3 += v * u3[c]!;
      }
      logits[j]![t] = s0;
      logits[j + 1]![t] = s1;
      logits[j + 2]![t] = s2;
      logits[j + 3]![t] = s3;
    }
    for (; j < k; j++) {
      const u = vectors[j]!;
      let s = 0;
      for (let c = 0; c < d; c++) s += row[c]! * u[c]!;
      logits[j]![t] = s;
    }
  }
  return logits.map((l, j) => {
    const top = topKIndices(l, topK);
    const bottom = topKIndices(l.map((v) => -v), topK);
    return {
      index: j,
      singularValue: singularValues[j] ?? NaN,
      top,
      bottom,
      topTokens: top.map(decode),
      bottomTokens: bottom.map(decode),
    };
  });
}

export interface DirectionOptions extends SubspaceOptions {
  /** Directions per matrix (default 30). */
  directions?: number;
  /** Tokens per direction (default 20). */
  topK?: number;
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

/** Directions of a block's mlp.out weight W_out stored [d, d_ff] (rows = residual side). */
export function mlpOutDirections(
  wOut: NumericArray,
  d: number,
  dff: number,
  unembed: NumericArray,
  vocab: number,
  decode: (id: number) => string,
  options: DirectionOptions = {},
): ComponentDirections {
  const svd = topLeftSingularVectors(wOut, d, dff, options.directions ?? 30, options);
  return {
    component: 'mlp.out',
    head: null,
    directions: directionTokens(svd.vectors, svd.singularValues, unembed, vocab, d, decode, options.topK ?? 20),
    converged: svd.converged,
    iterations: svd.iterations,
    residual: svd.residual,
  };
}

/** Directions of every head's OV circuit from GPT-NeoX's query_key_value and attention.dense. */
export function ovDirectionsGptNeox(
  qkv: NumericArray,
  dense: NumericArray,
  d: number,
  heads: number,
  unembed: NumericArray,
  vocab: number,
  decode: (id: number) => string,
  options: DirectionOptions = {},
): ComponentDirections[] {
  const out: ComponentDirections[] = [];
  for (let h = 0; h < heads; h++) {
    const { wO, wV, headDim } = gptNeoxHeadSlices(qkv, dense, d, heads, h);
    const svd = ovLeftSingularVectors(wO, wV, d, headDim, options.directions ?? 30);
    out.push({
      component: 'attn.ov',
      head: h,
      directions: directionTokens(svd.vectors, svd.singularValues, unembed, vocab, d, decode, options.topK ?? 20),
      converged: true,
      iterations: 0,
      residual: 0,
    });
  }
  return out;
}

// ------------------------------------------------------------------ closeness to final

/** Exact token matches of one direction with the final checkpoint's, best of both signs. */
export function directionMatches(current: DirectionTokens, final: DirectionTokens): number {
  const finalTop = new Set(final.top);
  let plus = 0;
  let minus = 0;
  for (const t of current.top) if (finalTop.has(t)) plus++;
  for (const t of current.bottom) if (finalTop.has(t)) minus++;
  return Math.max(plus, minus);
}

export interface Closeness {
  /** Matches per direction index (directions present in both lists). */
  perDirection: number[];
  /** Mean matches per direction. */
  mean: number;
  /** mean / K: 1 = identical token lists. */
  fraction: number;
}

/** Closeness of one matrix's directions to the same matrix's directions at the final checkpoint. */
export function closenessToFinal(dirs: readonly DirectionTokens[], finalDirs: readonly DirectionTokens[]): Closeness {
  const n = Math.min(dirs.length, finalDirs.length);
  const perDirection: number[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    perDirection.push(directionMatches(dirs[i]!, finalDirs[i]!));
    k = Math.max(k, finalDirs[i]!.top.length);
  }
  const mean = n > 0 ? perDirection.reduce((a, b) => a + b, 0) / n : 0;
  return { perDirection, mean, fraction: k > 0 ? mean / k : 0 };
}

/**
 * Per block (all its matrices' directions pooled: mlp.out and every head) and averaged over
 * blocks. Keys are block ids; matrices are matched by (component, head).
 */
export function closenessByBlock(
  current: ReadonlyMap<number, readonly ComponentDirections[]>,
  final: ReadonlyMap<number, readonly ComponentDirections[]>,
): { perBlock: Map<number, Closeness>; mean: number } {
  const perBlock = new Map<number, Closeness>();
  for (const [block, comps] of current) {
    const finals = final.get(block);
    if (!finals) continue;
    const per: number[] = [];
    let k = 0;
    for (const c of comps) {
      const f = finals.find((x) => x.component === c.component && x.head === c.head);
      if (!f) continue;
      const cl = closenessToFinal(c.directions, f.directions);
      per.push(...cl.perDirection);
      for (const dd of f.directions) k = Math.max(k, dd.top.length);
    }
    const mean = per.length > 0 ? per.reduce((a, b) => a + b, 0) / per.length : 0;
    perBlock.set(block, { perDirection: per, mean, fraction: k > 0 ? mean / k : 0 });
  }
  const means = [...perBlock.values()].map((c) => c.mean);
  return { perBlock, mean: means.length > 0 ? means.reduce((a, b) => a + b, 0) / means.length : 0 };
}
