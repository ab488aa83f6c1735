// Histograms whose bins stay FIXED for a tensor across every checkpoint of a run, so that the
// animated frames are comparable (DOMAIN.md "histogram").
//
// Bin rule (the job runs moments first, histograms second):
//   pass 1 computes `moments()` of the tensor in every checkpoint; `histogramRangeForRun` takes
//   the union of their [min, max] (exact: no estimate, no headroom guess); with
//   `symmetric: true` (the default for weight matrices, whose distributions are centred on 0)
//   the range is widened to [-R, R] with R = max |x| over the run, so 0 sits on a bin edge
//   when the bin count is even. Layernorm weights (all near 1) use `symmetric: false`.
//   `histogramEdges(range, bins)` then makes bins+1 equally spaced edges, exactly as
//   numpy.linspace / numpy.histogram(range=...) do.
//   Under/overflow exist because a run can grow after its histograms were cached (new
//   checkpoints are appended, cached ones never recomputed): values outside the stored edges
//   are counted, never dropped silently.
// Bin convention (numpy.histogram): bin i is [e_i, e_{i+1}), the last bin is closed
// [e_{n-1}, e_n]; x < e_0 is underflow, x > e_n is overflow, NaN/Inf are counted apart.
// Lookup is O(1) for uniform edges (index from the affine map, then the same one-step edge
// correction numpy applies for rounding), and still correct for any increasing edges.
// Counts are linear; a log-y view only needs the renderer to skip zero bins.
import { MetricInputError, type NonFiniteCounts, type NumericArray } from './moments';

export interface HistogramRange {
  lo: number;
  hi: number;
}

export interface Histogram {
  /** counts[i] = elements in bin i (see the bin convention in the file header). */
  counts: number[];
  underflow: number;
  overflow: number;
  nonFinite: NonFiniteCounts;
}

/** Per-checkpoint extremes from `moments()` (null when a checkpoint had no finite element). */
export interface CheckpointExtent {
  min: number | null;
  max: number | null;
}

/** Fixed range for a tensor over a run (rule in the file header). */
export function histogramRangeForRun(
  extents: readonly CheckpointExtent[],
  options: { symmetric?: boolean } = {},
): HistogramRange {
  const symmetric = options.symmetric ?? true;
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of extents) {
    if (e.min !== null && e.min < lo) lo = e.min;
    if (e.max !== null && e.max > hi) hi = e.max;
  }
  // Nothing finite anywhere: numpy's default range for an empty array.
  if (!(lo <= hi)) return { lo: 0, hi: 1 };
  if (symmetric) {
    const r = Math.max(Math.abs(lo), Math.abs(hi));
    if (r === 0) return { lo: -0.5, hi: 0.5 };
    return { lo: -r, hi: r };
  }
  // A constant tensor: numpy widens a zero-width range by 0.5 on each side.
  if (lo === hi) return { lo: lo - 0.5, hi: hi + 0.5 };
  return { lo, hi };
}

/** bins+1 equally spaced edges from range.lo to range.hi (numpy.linspace arithmetic). */
export function histogramEdges(range: HistogramRange, bins: number): Float64Array {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new MetricInputError('histogram.ts', `bin count must be a positive integer, got ${bins}`);
  }
  const { lo, hi } = range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new MetricInputError('histogram.ts', `range must be finite with lo < hi, got [${lo}, ${hi}]`);
  }
  const edges = new Float64Array(bins + 1);
  const step = (hi - lo) / bins;
  for (let i = 0; i < bins; i++) edges[i] = lo + i * step;
  edges[bins] = hi;
  return edges;
}

/** Checks that `edges` are finite and increasing; returns the bin count. */
function checkEdges(edges: Float64Array | readonly number[]): number {
  const bins = edges.length - 1;
  if (bins < 1) throw new MetricInputError('histogram.ts', 'need at least 2 edges');
  for (let i = 0; i < bins; i++) {
    if (!(edges[i] < edges[i + 1])) {
      throw new MetricInputError('histogram.ts', `edges must be finite and increasing (edge ${i})`);
    }
  }
  if (!Number.isFinite(edges[0]) || !Number.isFinite(edges[bins])) {
    throw new MetricInputError('histogram.ts', 'edges must be finite');
  }
  return bins;
}

/** Bin of a value inside [edges[0], edges[last + 1]] (the lookup of the file header). */
function binOf(v: number, edges: Float64Array | readonly number[], lo: number, norm: number, last: number): number {
  // (v - lo) * norm >= 0 here, so truncation is floor.
  let k = ((v - lo) * norm) | 0;
  if (k > last) k = last;
  // Rounding in the affine map can be off by one near an edge; non-uniform edges may need more.
  if (v < edges[k]) {
    do k--;
    while (k > 0 && v < edges[k]);
  } else if (k < last && v >= edges[k + 1]) {
    do k++;
    while (k < last && v >= edges[k + 1]);
  }
  return k;
}

/** Counts of `x` in the bins given by increasing `edges` (bins = edges.length - 1). */
export function histogram(x: NumericArray, edges: Float64Array | readonly number[]): Histogram {
  const bins = checkEdges(edges);
  const lo = edges[0];
  const hi = edges[bins];
  const norm = bins / (hi - lo);
  const counts = new Float64Array(bins);
  const nonFinite: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  let underflow = 0;
  let overflow = 0;
  const last = bins - 1;
  // The common case first (one range test), the rest sorted out after it (issue 16 item 6: 1.5x
  // less time than testing finiteness, underflow and overflow in turn for every element).
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v >= lo && v <= hi) counts[binOf(v, edges, lo, norm, last)]++;
    else if (v !== v) nonFinite.nan++;
    else if (v === Infinity) nonFinite.posInf++;
    else if (v === -Infinity) nonFinite.negInf++;
    else if (v < lo) underflow++;
    else overflow++;
  }
  return { counts: Array.from(counts), underflow, overflow, nonFinite };
}

/**
 * histogram() of a multiset given as distinct values and their counts: weights[i] elements equal
 * values[i] (a float16 tensor's code census, main/metrics/code-census.ts). The same counts as
 * histogram() of the elements themselves: each value goes through the same bin rule.
 */
export function histogramOfCounts(values: Float64Array, weights: ArrayLike<number>, edges: Float64Array | readonly number[]): Histogram {
  const bins = checkEdges(edges);
  const lo = edges[0];
  const hi = edges[bins];
  const norm = bins / (hi - lo);
  const counts = new Float64Array(bins);
  const nonFinite: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  let underflow = 0;
  let overflow = 0;
  const last = bins - 1;
  for (let i = 0; i < values.length; i++) {
    const c = weights[i];
    if (c === 0) continue;
    const v = values[i];
    if (v >= lo && v <= hi) counts[binOf(v, edges, lo, norm, last)] += c;
    else if (v !== v) nonFinite.nan += c;
    else if (v === Infinity) nonFinite.posInf += c;
    else if (v === -Infinity) nonFinite.negInf += c;
    else if (v < lo) underflow += c;
    else overflow += c;
  }
  return { counts: Array.from(counts), underflow, overflow, nonFinite };
}
