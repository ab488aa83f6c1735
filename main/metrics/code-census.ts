// Everything that depends only on the multiset of a float16 or bfloat16 tensor's values, from one
// counting pass over its raw 16-bit codes (issue 16 item 6): such a tensor has at most 65,536
// distinct element codes, so `countCodes` (one Uint32Array(65536) increment per element, no
// decoding, no float array) gives exactly its moments, extremes, non-finite counts, fixed-bin
// histogram counts and every order statistic; each of those is then a loop over 65,536 codes.
//
// Why hand-written: the census is a counting loop and the rest are weighted sums over a table;
// no npm package works on raw half-precision codes.
//
// Accuracy: moments are a two-pass computation over the (code value, count) pairs: the mean from
// a compensated sum of count x value products (each product exact: a 32-bit count times an
// 11-bit or 8-bit significand fits float64's 53), then central sums about it; at least as
// accurate as the streaming chunked moments of main/metrics/moments.ts (equal up to rounding). Histogram counts apply main/metrics/histogram.ts's bin rule
// to each code's value: the same counts as binning the decoded elements. Order statistics walk
// the cumulative counts over the finite codes in value order (-0 before +0, as an ascending
// TypedArray sort puts them).
import { halfToNumber } from '../formats/dtype-convert';
import { histogramOfCounts, type Histogram } from './histogram';
import { MomentsAccumulator, type Moments, type NonFiniteCounts } from './moments';

/** The 16-bit float dtypes whose tensors a census covers. */
export type HalfDType = 'F16' | 'BF16';

export const CODES = 65536;

export function isHalfDType(dtype: string): dtype is HalfDType {
  return dtype === 'F16' || dtype === 'BF16';
}

const tables = new Map<HalfDType, Float64Array>();
const orders = new Map<HalfDType, Uint16Array>();

/** The value of every code of `dtype` (exact; NaN and +-Inf included), made once. */
export function codeValues(dtype: HalfDType): Float64Array {
  let t = tables.get(dtype);
  if (!t) {
    t = new Float64Array(CODES);
    if (dtype === 'F16') for (let c = 0; c < CODES; c++) t[c] = halfToNumber(c);
    else {
      // bfloat16 is the upper half of a float32.
      const bits = new Uint32Array(1);
      const f32 = new Float32Array(bits.buffer);
      for (let c = 0; c < CODES; c++) {
        bits[0] = c << 16;
        t[c] = f32[0];
      }
    }
    tables.set(dtype, t);
  }
  return t;
}

/** Largest finite magnitude code (sign bit clear) of `dtype`: every code above has an all-ones exponent. */
function maxFiniteMagnitude(dtype: HalfDType): number {
  return dtype === 'F16' ? 0x7bff : 0x7f7f;
}

/**
 * The finite codes of `dtype` in ascending value order, -0 before +0. Both formats are
 * sign-magnitude with magnitudes ordered as their codes: negatives by descending magnitude, then
 * positives by ascending magnitude.
 */
export function finiteCodesByValue(dtype: HalfDType): Uint16Array {
  let o = orders.get(dtype);
  if (!o) {
    const top = maxFiniteMagnitude(dtype);
    o = new Uint16Array(2 * (top + 1));
    let k = 0;
    for (let m = top; m >= 0; m--) o[k++] = 0x8000 | m;
    for (let m = 0; m <= top; m++) o[k++] = m;
    orders.set(dtype, o);
  }
  return o;
}

/**
 * Adds one to census[c] for every code c of `codes` (a fresh census when none is given; pass the
 * same one for successive pieces of a tensor). Counts are 32-bit: up to 2^32 - 1 elements per code.
 */
export function countCodes(codes: Uint16Array, census: Uint32Array = new Uint32Array(CODES)): Uint32Array {
  for (let i = 0; i < codes.length; i++) census[codes[i]]++;
  return census;
}

/** NaN, +Inf and -Inf elements of a census. */
export function censusNonFinite(census: Uint32Array, dtype: HalfDType): NonFiniteCounts {
  const values = codeValues(dtype);
  const out: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  const top = maxFiniteMagnitude(dtype);
  for (let m = top + 1; m < 0x8000; m++) {
    for (const c of [m, 0x8000 | m]) {
      const n = census[c];
      if (n === 0) continue;
      const v = values[c];
      if (v !== v) out.nan += n;
      else if (v > 0) out.posInf += n;
      else out.negInf += n;
    }
  }
  return out;
}

/** Finite elements of a census. */
export function censusFiniteCount(census: Uint32Array, dtype: HalfDType): number {
  const order = finiteCodesByValue(dtype);
  let n = 0;
  for (let k = 0; k < order.length; k++) n += census[order[k]];
  return n;
}

/** Moments of the finite elements counted in `census` (the Moments of main/metrics/moments.ts). */
export function censusMoments(census: Uint32Array, dtype: HalfDType): Moments {
  const values = codeValues(dtype);
  const order = finiteCodesByValue(dtype);
  const acc = new MomentsAccumulator();
  Object.assign(acc.nonFinite, censusNonFinite(census, dtype));
  // Pass 1: count, extremes, compensated sum of exact count x value products (Neumaier).
  let n = 0;
  let sum = 0;
  let comp = 0;
  let first = -1;
  let last = -1;
  for (let k = 0; k < order.length; k++) {
    const c = census[order[k]];
    if (c === 0) continue;
    if (first < 0) first = k;
    last = k;
    n += c;
    const term = c * values[order[k]];
    const t = sum + term;
    comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
  }
  if (n === 0) return acc.result();
  // The compensated mean is within an ulp or so of the exact one: the central sums are taken about
  // it as they are (a residual correction from the sum of deviations, as moments.ts applies per
  // chunk, would add that sum's own rounding, larger here than the mean's error).
  const mean = (sum + comp) / n;
  // Pass 2: central sums.
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  for (let k = first; k <= last; k++) {
    const c = census[order[k]];
    if (c === 0) continue;
    const d = values[order[k]] - mean;
    const d2 = d * d;
    s2 += c * d2;
    s3 += c * d2 * d;
    s4 += c * d2 * d2;
  }
  acc.n = n;
  acc.mean = mean;
  acc.m2 = s2;
  acc.m3 = s3;
  acc.m4 = s4;
  acc.min = values[order[first]];
  acc.max = values[order[last]];
  return acc.result();
}

/** The counts of histogram(decoded elements, edges) (main/metrics/histogram.ts), from a census. */
export function censusHistogram(census: Uint32Array, dtype: HalfDType, edges: Float64Array | readonly number[]): Histogram {
  return histogramOfCounts(codeValues(dtype), census, edges);
}

/**
 * The values an ascending sort of the census's finite elements puts at each 0-based position of
 * `ranks` (ascending, each below the finite count), in the order of `ranks`.
 */
export function censusOrderStatistics(census: Uint32Array, dtype: HalfDType, ranks: readonly number[]): number[] {
  const values = codeValues(dtype);
  const order = finiteCodesByValue(dtype);
  const out: number[] = [];
  let k = 0;
  let below = 0;
  for (const r of ranks) {
    while (k < order.length && below + census[order[k]] <= r) below += census[order[k++]];
    if (k >= order.length) throw new RangeError(`code-census: rank ${r} is past the ${below} finite values`);
    out.push(values[order[k]]);
  }
  return out;
}
