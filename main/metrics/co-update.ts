// Co-update (docs/ANALYSES.md "Derived from the cached scalars"): which weights update together.
// Input: per-unit (a weight tensor, or a block's tensors pooled) update sizes per training step
// over the run's checkpoint intervals (`update_per_step`, main/jobs/units/weights.ts). Output: the
// Pearson correlation across intervals of log10 of those sizes, and a hierarchical-clustering
// order of the units for the heatmap.
//
// - log10: update sizes span decades over a run (warm-up, decay); a raw correlation would be the
//   few largest intervals'.
// - `removeCommon` (default in the view): each interval's mean over the units (of the log10, the
//   geometric mean of the sizes) is subtracted first, so the learning-rate schedule that moves
//   every weight together does not make every pair correlate near 1; what is left is "which
//   weights update more than usual together". (A median would leave the middle row constant, and
//   with it undefined, whenever the rows keep their rank, as 3 blocks often do.)
// - Intervals used: those where every unit has a finite positive update (a unit with none at all is
//   dropped and named). Fewer than 3 intervals: no correlation (NaN everywhere off the diagonal).
// The correlation itself and the clustering are main/metrics/embedding.ts's (Pearson of centred,
// unit-scaled rows in float64; average-linkage UPGMA with greedy leaf flipping): one definition
// in the project, hand-written there because no npm package clusters a plain Float64Array
// without heavy dependencies (its header says so).
import { clusterOrder, embeddingCorrelation } from './embedding';

export interface CoUpdateInput {
  /** sizes[u][k]: update per step of unit u over interval k (null/NaN/<=0 = unknown). */
  sizes: ReadonlyArray<ReadonlyArray<number | null>>;
  removeCommon?: boolean;
}

export interface CoUpdateResult {
  /** Indices (into the input's units) kept, in input order. */
  units: number[];
  /** Units dropped because they have no positive update at all. */
  dropped: number[];
  /** Interval indices used. */
  intervals: number[];
  /** units.length^2, row-major, in `units` order; NaN where undefined. */
  matrix: Float64Array;
  /** A permutation of 0..units.length-1 (positions into `units`) grouping co-updating units. */
  order: number[];
}

const positive = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

export function coUpdate(input: CoUpdateInput): CoUpdateResult {
  const all = input.sizes;
  const units: number[] = [];
  const dropped: number[] = [];
  all.forEach((row, u) => (row.some(positive) ? units : dropped).push(u));
  const width = Math.max(0, ...all.map((r) => r.length));
  const intervals: number[] = [];
  for (let k = 0; k < width; k++) if (units.length && units.every((u) => positive(all[u][k]))) intervals.push(k);
  const n = units.length;
  const m = intervals.length;
  if (n === 0) return { units, dropped, intervals, matrix: new Float64Array(0), order: [] };
  if (m < 3) {
    const matrix = new Float64Array(n * n).fill(Number.NaN);
    for (let i = 0; i < n; i++) matrix[i * n + i] = 1;
    return { units, dropped, intervals, matrix, order: units.map((_, i) => i) };
  }
  const logs = new Float64Array(n * m);
  units.forEach((u, i) => intervals.forEach((k, j) => (logs[i * m + j] = Math.log10(all[u][k] as number))));
  if (input.removeCommon) {
    const col = new Float64Array(n);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) col[i] = logs[i * m + j];
      let mean = 0;
      for (let i = 0; i < n; i++) mean += col[i];
      mean /= n;
      for (let i = 0; i < n; i++) logs[i * m + j] = logs[i * m + j] - mean;
    }
  }
  const matrix = embeddingCorrelation(logs, n, m, 0, n);
  return { units, dropped, intervals, matrix, order: n > 2 ? clusterOrder(matrix, n) : units.map((_, i) => i) };
}
