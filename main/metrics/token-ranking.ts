// Token ranking for SVD directions (DOMAIN.md "SVD directions"; the method:
// main/metrics/svd-directions.ts, run by main/compute/directions.ts):
// - Tokens: logits = U u for the unembedding U [vocab, d], each the float64 sum over c ascending
//   (exactLogit); top-K ids by value for +u (`top`) and for -u (`bottom`, the most negative
//   logits), ties broken by the lower id, NaN skipped (topKIndices, rankExactly). A singular
//   vector's sign is arbitrary, so both lists are kept. LogitCandidates and
//   float32LogitErrorBound make a float32 pass over the vocabulary exact (see their comments).
import type { NumericArray } from './moments';

/** Indices of the K largest values, ties to the lower index, in descending order. */
export function topKIndices(values: ArrayLike<number>, k: number): number[] {
  const kk = Math.min(k, values.length);
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    if (idx.length === kk && !(v > values[idx[kk - 1]])) continue;
    // Insert keeping descending order; equal values keep the earlier (lower) index first.
    let pos = idx.length === kk ? kk - 1 : idx.length;
    while (pos > 0 && values[idx[pos - 1]] < v) pos--;
    if (idx.length === kk) idx.pop();
    idx.splice(pos, 0, i);
  }
  return idx;
}

/**
 * One logit exactly as the float64 reference defines it: sum over c ascending of
 * float64(unembed[id, c]) * u[c], accumulated left to right in float64.
 */
export function exactLogit(unembed: NumericArray, d: number, id: number, u: Float64Array): number {
  const base = id * d;
  let s = 0;
  for (let c = 0; c < d; c++) s += unembed[base + c] * u[c];
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
    const id = ids[i];
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
        const v = piece[base + c];
        if (v >= topT[c]) this.push(this.topIds, this.topVals, topT, c, id, v);
        if (-v >= botT[c]) this.push(this.botIds, this.botVals, botT, c, id, -v);
      }
    }
  }

  private push(ids: number[][], vals: number[][], thr: Float64Array, c: number, id: number, v: number): void {
    const li = ids[c];
    const lv = vals[c];
    li.push(id);
    lv.push(v);
    if (li.length > this.cap) this.prune(li, lv, thr, c);
  }

  private prune(li: number[], lv: number[], thr: Float64Array, c: number): void {
    if (li.length < this.k) return;
    // Typed-array sort: numeric ascending in native code (no comparator calls).
    const sorted = Float64Array.from(lv).sort();
    const kth = sorted[sorted.length - this.k];
    const t = kth - this.window[c];
    if (t > thr[c]) thr[c] = t;
    let w = 0;
    for (let i = 0; i < li.length; i++) {
      if (lv[i] >= thr[c]) {
        li[w] = li[i];
        lv[w] = lv[i];
        w++;
      }
    }
    li.length = w;
    lv.length = w;
  }

  /** Candidate ids of column c for the top-K (sign +1) or bottom-K (sign -1). */
  candidates(c: number, sign: 1 | -1): number[] {
    const [ids, vals, thr] = sign === 1 ? [this.topIds, this.topVals, this.topThreshold] : [this.botIds, this.botVals, this.botThreshold];
    this.prune(ids[c], vals[c], thr, c);
    return ids[c].slice();
  }
}
