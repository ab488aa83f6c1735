// The data side of the distribution fits (main/metrics/fits.ts): the deterministic sample a fit
// is computed on, its distinct values with their multiplicities, the exact Kolmogorov-Smirnov
// distance, order-statistic subsamples and numpy's type-7 quantiles of sorted data.
//
// Huge tensors: fits, log-likelihoods and KS distances use a deterministic stratified subsample
// of at most DEFAULT_MAX_FIT_SAMPLE (1,000,000) elements: the tensor is cut into that many equal
// strata and one element is taken from each at an offset given by a fixed integer hash of the
// stratum index (so no stride can alias with a matrix's row length, and the same tensor always
// gives the same sample). Tensors at or below the limit use every finite element.
//
// Speed (issue 16 item 6; every number as before, see test/unit/metrics/fits-speed.test.ts):
// - Float32 samples (every f32/f16/bf16 checkpoint) are sorted by an LSD radix sort on their
//   order-preserving bit keys (3 passes of 11 bits) instead of a comparison sort of Float64:
//   the same ascending sequence (-0 before +0, as TypedArray sort orders them).
// - `distinctOf` folds equal values into (value, count): a float16 or bfloat16 checkpoint has at
//   most 65,536 distinct values, so a 10^6-element sample of one holds ~10^4 of them, and every
//   likelihood sum and KS scan runs over those. Each term is then count x f(value) instead of
//   f(value) added count times; with no ties (counts all 1) every sum is the same bits as the
//   element-by-element loop, with ties it differs by rounding only.
// - Float16/bfloat16 tensors streamed as raw codes (main/jobs/units/fits.ts) gather the codes at
//   `samplePositions` and `fitSampleOfCodes` builds the same sorted sample and distinct values
//   from a census of those codes (main/metrics/code-census.ts): no decode, no sort.
import { censusNonFinite, codeValues, countCodes, finiteCodesByValue, type HalfDType } from './code-census';
import { MetricInputError, type NonFiniteCounts, type NumericArray } from './moments';

export const DEFAULT_MAX_FIT_SAMPLE = 1_000_000;

function hash32(i: number): number {
  let h = Math.imul(i ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface FitSample {
  /** Finite values used, sorted ascending. */
  sorted: Float64Array;
  /** True when a subsample was taken (tensor larger than maxSample). */
  sampled: boolean;
  /** Non-finite elements in the whole tensor (sampled tensors: in the sampled positions). */
  nonFinite: NonFiniteCounts;
  /** distinctOf(sorted), when the sort already produced it (float16/bfloat16 values). */
  distinct?: Distinct;
}

/** hash32(j) for j < DEFAULT_MAX_FIT_SAMPLE, made once: every sampled tensor uses the same ones. */
let hashTable: Uint32Array | null = null;

function hashes(m: number): Uint32Array {
  if (m !== DEFAULT_MAX_FIT_SAMPLE) return Uint32Array.from({ length: m }, (_, j) => hash32(j));
  if (!hashTable) {
    hashTable = new Uint32Array(m);
    for (let j = 0; j < m; j++) hashTable[j] = hash32(j);
  }
  return hashTable;
}

/**
 * h % w for integers 0 <= h < 2^32 and 1 <= w < 2^32, by a float division (faster than the
 * remainder of a uint32, which V8 computes in floating point). Exact: the quotient's rounding
 * error is below q 2^-53 <= 2^-21 / w, less than the distance 1/w from a non-integer h/w to the
 * nearest integer, so the floor is the true quotient.
 */
export function remainder(h: number, w: number): number {
  return h - Math.floor(h / w) * w;
}

/**
 * The positions of the stratified sample of a tensor of n elements (ascending; every position
 * when n <= maxSample); shared, not to be written to. Stratum j is [floor(j n / m), floor((j + 1) n / m)): each end is the next
 * stratum's start; its element is at an offset given by hash32(j).
 */
export function samplePositions(n: number, maxSample = DEFAULT_MAX_FIT_SAMPLE): Uint32Array {
  // The layers of a model repeat a few shapes: their positions are made once (read-only, shared).
  const key = `${n}:${maxSample}`;
  const kept = positionsKept.get(key);
  if (kept) return kept;
  const out = makePositions(n, maxSample);
  if (out.length >= 4096) {
    positionsKept.set(key, out);
    if (positionsKept.size > MAX_POSITIONS_KEPT) positionsKept.delete(positionsKept.keys().next().value as string);
  }
  return out;
}

/** Position arrays kept by samplePositions (4 MB each at 10^6): the distinct large shapes of a model. */
const MAX_POSITIONS_KEPT = 6;
const positionsKept = new Map<string, Uint32Array>();

function makePositions(n: number, maxSample: number): Uint32Array {
  const m = Math.min(n, maxSample);
  const out = new Uint32Array(m);
  if (n <= maxSample) {
    for (let j = 0; j < m; j++) out[j] = j;
    return out;
  }
  const hash = hashes(m);
  let start = 0;
  for (let j = 0; j < m; j++) {
    const end = Math.floor(((j + 1) * n) / m);
    out[j] = start + remainder(hash[j], end - start);
    start = end;
  }
  return out;
}

/** Sorted Float64 sample of the finite elements (stratified hash subsample above maxSample). */
export function fitSample(x: NumericArray, maxSample = DEFAULT_MAX_FIT_SAMPLE): FitSample {
  const nonFinite: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  const n = x.length;
  const sampled = n > maxSample;
  const m = sampled ? maxSample : n;
  const out = x instanceof Float32Array ? new Float32Array(m) : new Float64Array(m);
  const positions = sampled ? samplePositions(n, maxSample) : null;
  let k = 0;
  for (let j = 0; j < m; j++) {
    const v = x[positions ? positions[j] : j];
    if (v - v === 0) out[k++] = v;
    else if (v !== v) nonFinite.nan++;
    else if (v > 0) nonFinite.posInf++;
    else nonFinite.negInf++;
  }
  const finite = out.subarray(0, k);
  if (finite instanceof Float64Array) return { sorted: finite.sort(), sampled, nonFinite };
  const { sorted, distinct } = sortFloat32WithDistinct(finite);
  return distinct ? { sorted, sampled, nonFinite, distinct } : { sorted, sampled, nonFinite };
}

/**
 * fitSample of a float16/bfloat16 tensor from the codes at its samplePositions (in position
 * order): the same sorted sample and distinct values, from a census of the sampled codes in
 * value order instead of a decode and a sort (main/metrics/code-census.ts). With `into` the
 * sorted sample is a view of it (valid until the caller reuses it).
 */
export function fitSampleOfCodes(codes: Uint16Array, dtype: HalfDType, sampled: boolean, into?: Float64Array): FitSample {
  const census = countCodes(codes);
  const nonFinite = censusNonFinite(census, dtype);
  const values = codeValues(dtype);
  const order = finiteCodesByValue(dtype);
  let n = 0;
  let m = 0;
  let last = NaN;
  for (let k = 0; k < order.length; k++) {
    const c = census[order[k]];
    if (c === 0) continue;
    n += c;
    // Distinct values as distinctOf counts them: -0 and +0 (adjacent in the order) are one value.
    const v = values[order[k]];
    if (v !== last) m++;
    last = v;
  }
  // `into` (at least n long): the sorted sample is written to its start (a caller's reused array).
  const sorted = into && into.length >= n ? into.subarray(0, n) : new Float64Array(n);
  const distinctValues = new Float64Array(m);
  const counts = new Float64Array(m);
  const before = new Float64Array(m + 1);
  let d = -1;
  let at = 0;
  last = NaN;
  for (let k = 0; k < order.length; k++) {
    const c = census[order[k]];
    if (c === 0) continue;
    const v = values[order[k]];
    if (v !== last) {
      d++;
      distinctValues[d] = v;
      before[d] = at;
    }
    last = v;
    counts[d] += c;
    sorted.fill(v, at, at + c);
    at += c;
  }
  before[m] = n;
  return { sorted, sampled, nonFinite, distinct: { values: distinctValues, counts, before, n } };
}

/** Order-preserving unsigned key of float32 bits: negative values flipped whole, others' sign bit set. */
export function float32Key(bits: number): number {
  return (bits ^ ((bits >> 31) | 0x80000000)) >>> 0;
}

function keyToBits(key: number): number {
  return key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
}

/** Finite float32 values sorted ascending as Float64 (LSD radix sort, 11 + 11 + 10 bits). */
export function sortFloat32(values: Float32Array): Float64Array {
  return sortFloat32WithDistinct(values).sorted;
}

/** Bits below a float16's 10-bit mantissa in a float32 (zero in every float16 or bfloat16 value). */
const BELOW_HALF = 13;

/**
 * sortFloat32, and where every value's low 13 bits are zero (float16 and bfloat16 values) by one
 * counting pass over their 19-bit keys instead of three radix passes, with the distinct values
 * and counts (distinctOf of the result) read off the same counters.
 */
export function sortFloat32WithDistinct(values: Float32Array): { sorted: Float64Array; distinct?: Distinct } {
  const n = values.length;
  if (n < 4096) return { sorted: Float64Array.from(values).sort() };
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  let low = 0;
  for (let i = 0; i < n; i++) low |= bits[i];
  if ((low & ((1 << BELOW_HALF) - 1)) === 0) return countingSortHalf(bits);
  return { sorted: radixSortKeys(bits) };
}

function countingSortHalf(bits: Uint32Array): { sorted: Float64Array; distinct: Distinct } {
  const n = bits.length;
  const buckets = 1 << (32 - BELOW_HALF);
  const tally = new Uint32Array(buckets);
  for (let i = 0; i < n; i++) tally[float32Key(bits[i]) >>> BELOW_HALF]++;
  const word = new Uint32Array(1);
  const f32 = new Float32Array(word.buffer);
  const valueOf = (bucket: number): number => {
    const key = (bucket << BELOW_HALF) >>> 0;
    // Negative values' keys are their bits flipped: their low bits are ones.
    word[0] = keyToBits(key & 0x80000000 ? key : (key | ((1 << BELOW_HALF) - 1)) >>> 0);
    return f32[0];
  };
  // Distinct values as distinctOf counts them: -0 and +0 (adjacent buckets) are one value.
  let m = 0;
  let last = NaN;
  for (let b = 0; b < buckets; b++) {
    if (tally[b] === 0) continue;
    const v = valueOf(b);
    if (v !== last) m++;
    last = v;
  }
  const sorted = new Float64Array(n);
  const distinctValues = new Float64Array(m);
  const counts = new Float64Array(m);
  const before = new Float64Array(m + 1);
  let k = -1;
  let at = 0;
  last = NaN;
  for (let b = 0; b < buckets; b++) {
    const c = tally[b];
    if (c === 0) continue;
    const v = valueOf(b);
    if (v !== last) {
      k++;
      distinctValues[k] = v;
      before[k] = at;
    }
    last = v;
    counts[k] += c;
    sorted.fill(v, at, at + c);
    at += c;
  }
  before[m] = n;
  return { sorted, distinct: { values: distinctValues, counts, before, n } };
}

function radixSortKeys(bits: Uint32Array): Float64Array {
  const n = bits.length;
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = float32Key(bits[i]);
  const counts = new Uint32Array(2048);
  for (const [shift, width] of [
    [0, 11],
    [11, 11],
    [22, 10],
  ] as const) {
    const mask = (1 << width) - 1;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(a[i] >>> shift) & mask]++;
    let sum = 0;
    for (let d = 0; d <= mask; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = a[i];
      b[counts[(key >>> shift) & mask]++] = key;
    }
    [a, b] = [b, a];
  }
  const word = new Uint32Array(1);
  const f32 = new Float32Array(word.buffer);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    word[0] = keyToBits(a[i]);
    out[i] = f32[0];
  }
  return out;
}

/** Distinct values of a sorted sample with their multiplicities. */
export interface Distinct {
  /** Distinct values, ascending. */
  values: Float64Array;
  /** How many sample elements equal each value. */
  counts: Float64Array;
  /** before[k] = elements before values[k]; before[values.length] = n. */
  before: Float64Array;
  /** Sample size (sum of counts). */
  n: number;
}

/** Folds a sorted sample's equal values (-0 and +0 count as equal) into (value, count). */
export function distinctOf(sorted: Float64Array): Distinct {
  const n = sorted.length;
  let m = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) m++;
  const values = m === n ? sorted : new Float64Array(m);
  const counts = new Float64Array(m);
  const before = new Float64Array(m + 1);
  let k = -1;
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      k++;
      values[k] = sorted[i];
      before[k] = i;
    }
    counts[k]++;
  }
  before[m] = n;
  return { values, counts, before, n };
}

/** Exact one-sample Kolmogorov-Smirnov statistic of sorted data against a CDF. */
export function ksStatistic(data: Float64Array | Distinct, cdf: (v: number) => number): number {
  const d = data instanceof Float64Array ? distinctOf(data) : data;
  const m = d.values.length;
  // At a value shared by elements i = before[k] .. before[k+1]-1 the largest distances are
  // F - before[k]/n and before[k+1]/n - F: the same terms the element-by-element scan maximises.
  // Far fewer CDF calls than that: sorted data and a monotone CDF bound every block of
  // distinct values [a, b] by F(v_b) - before[a]/n and before[b+1]/n - F(v_a). A block is
  // evaluated value by value only while its bound can still beat the best distance so far
  // (blocks visited in descending bound order; a 1e-12 slack absorbs CDF rounding).
  const BLOCK = 64;
  const blocks = Math.ceil(m / BLOCK);
  if (blocks <= 2) return ksRange(d, cdf, 0, m, 0);
  const n = d.n;
  const bound = new Float64Array(blocks);
  for (let k = 0; k < blocks; k++) {
    const a = k * BLOCK;
    const b = Math.min(m, a + BLOCK) - 1;
    const fa = cdf(d.values[a]);
    const fb = cdf(d.values[b]);
    bound[k] = Math.max(fb - d.before[a] / n, d.before[b + 1] / n - fa);
  }
  const order = Array.from({ length: blocks }, (_, k) => k).sort((p, q) => bound[q] - bound[p] || p - q);
  let best = 0;
  for (const k of order) {
    if (bound[k] < best - 1e-12) break;
    best = ksRange(d, cdf, k * BLOCK, Math.min(m, (k + 1) * BLOCK), best);
  }
  return best;
}

function ksRange(d: Distinct, cdf: (v: number) => number, from: number, to: number, best: number): number {
  const n = d.n;
  let out = best;
  for (let k = from; k < to; k++) {
    const f = cdf(d.values[k]);
    const lower = f - d.before[k] / n;
    const upper = d.before[k + 1] / n - f;
    if (lower > out) out = lower;
    if (upper > out) out = upper;
  }
  return out;
}

/** Every k-th order statistic of sorted data (at most `size`): a deterministic stand-in for fitting. */
export function orderStatisticSample(sorted: Float64Array, size: number): Float64Array {
  const n = sorted.length;
  if (n <= size) return sorted;
  const out = new Float64Array(size);
  for (let j = 0; j < size; j++) out[j] = sorted[Math.floor(((j + 0.5) * n) / size)];
  return out;
}

/** numpy's default (type 7, linear) quantile of sorted data. */
export function quantileSorted(sorted: Float64Array | Float32Array, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new MetricInputError('fit-sample.ts', 'quantile of an empty array');
  return quantileAt(n, p, (i) => sorted[i]);
}

/** The two sorted positions a type-7 quantile of n values reads (they may coincide). */
export function quantilePositions(n: number, p: number): [number, number] {
  const lo = Math.floor((n - 1) * p);
  return [lo, Math.min(n - 1, lo + 1)];
}

/** Type-7 quantile of n values given the value at a sorted position (e.g. from select.ts). */
export function quantileAt(n: number, p: number, at: (i: number) => number): number {
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hiIdx = Math.min(n - 1, lo + 1);
  const t = h - lo;
  const a = at(lo);
  const b = at(hiIdx);
  // numpy's lerp: a + (b - a) t, evaluated from the nearer end for t >= 0.5.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/**
 * The median of |sorted[i] - center| (type 7), as quantileSorted of the sorted deviations gives
 * it, without building and sorting them: deviations below and above `center` are each already
 * ordered (float subtraction is monotone), so a merge of the two runs outward from `center`
 * reaches the two middle deviations in n/2 steps.
 */
export function medianAbsDeviation(sorted: Float64Array, center: number): number {
  const n = sorted.length;
  if (n === 0) throw new MetricInputError('fit-sample.ts', 'quantile of an empty array');
  // First index at or above the center (binary search).
  let right = 0;
  for (let hi = n; right < hi; ) {
    const mid = (right + hi) >>> 1;
    if (sorted[mid] < center) right = mid + 1;
    else hi = mid;
  }
  let left = right - 1;
  const [a, b] = quantilePositions(n, 0.5);
  let va = 0;
  let vb = 0;
  for (let k = 0; k <= b; k++) {
    const dl = left >= 0 ? Math.abs(sorted[left] - center) : Infinity;
    const dr = right < n ? Math.abs(sorted[right] - center) : Infinity;
    let v: number;
    if (dl <= dr) {
      v = dl;
      left--;
    } else {
      v = dr;
      right++;
    }
    if (k === a) va = v;
    if (k === b) vb = v;
  }
  return quantileAt(n, 0.5, (i) => (i === a ? va : vb));
}
