// Statistics of one activation tensor from a forward pass (a residual stream resid.i, final_norm
// or an MLP hidden activation), given as a row-major Float32Array [rows = B*L, d]: the numbers of
// DOMAIN.md's "residual stream", "outlier norms" and "activation shape" analyses. Pure, float64
// accumulation, two passes (mean, then central moments) for accuracy. Non-finite elements (a
// diverged checkpoint) are counted and left out instead of poisoning or crashing the stats.
import { histogram, type Histogram } from './histogram';
import { MetricInputError, type NonFiniteCounts, type NumericArray } from './moments';

export interface TopDim {
  /** Residual dimension index (column). */
  dim: number;
  /** max |x| over all rows in that dimension. */
  maxAbs: number;
}

export interface ActivationStats {
  /** Finite elements used. */
  count: number;
  nonFinite: NonFiniteCounts;
  /** null when no finite element. */
  max_abs: number | null;
  mean: number | null;
  /** Population std (divide by N). */
  std: number | null;
  rms: number | null;
  /** m4 / m2^2 - 3; null when the tensor is constant or empty. */
  excess_kurtosis: number | null;
  /** The k dimensions with the largest max |x|, descending (ties: lower index first). */
  topDims: TopDim[];
  /** max |x| per dimension over all rows (finite elements; 0 where none). */
  dimMaxAbs: Float64Array;
  /** Counts over the given fixed edges, when edges were passed. */
  histogram?: Histogram;
}

export interface ActivationStatsOptions {
  /** How many dimensions to report in topDims (default 8). */
  topK?: number;
  /** Fixed histogram edges (from main/metrics/histogram.ts histogramEdges) to count against. */
  edges?: Float64Array | readonly number[];
}

export function activationStats(x: NumericArray, d: number, options: ActivationStatsOptions = {}): ActivationStats {
  if (!Number.isInteger(d) || d < 1 || x.length % d !== 0) {
    throw new MetricInputError('activations.ts', `length ${x.length} is not a multiple of the width ${d}`);
  }
  const topK = options.topK ?? 8;
  const nonFinite: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  const dimMax = new Float64Array(d);
  let count = 0, sum = 0, sumSq = 0, maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) {
      if (Number.isNaN(v)) nonFinite.nan++;
      else if (v > 0) nonFinite.posInf++;
      else nonFinite.negInf++;
      continue;
    }
    count++;
    sum += v;
    sumSq += v * v;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
    const col = i % d;
    if (a > dimMax[col]) dimMax[col] = a;
  }
  const stats: ActivationStats = {
    count, nonFinite, max_abs: null, mean: null, std: null, rms: null, excess_kurtosis: null, topDims: [], dimMaxAbs: dimMax,
  };
  if (count > 0) {
    const mean = sum / count;
    let m2 = 0, m4 = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (!Number.isFinite(v)) continue;
      const c = v - mean;
      const c2 = c * c;
      m2 += c2;
      m4 += c2 * c2;
    }
    m2 /= count;
    m4 /= count;
    stats.max_abs = maxAbs;
    stats.mean = mean;
    stats.std = Math.sqrt(m2);
    stats.rms = Math.sqrt(sumSq / count);
    stats.excess_kurtosis = m2 > 0 ? m4 / (m2 * m2) - 3 : null;
    const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => dimMax[b] - dimMax[a] || a - b);
    stats.topDims = order.slice(0, Math.min(topK, d)).map((dim) => ({ dim, maxAbs: dimMax[dim] }));
  }
  if (options.edges) stats.histogram = histogram(x, options.edges);
  return stats;
}
