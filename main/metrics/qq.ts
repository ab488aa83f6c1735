// QQ plot data (DOMAIN.md "QQ plot"): empirical quantiles of the standardised tensor against
// the quantiles of the fitted Gaussian, logistic and Student-t, on one fixed probability grid
// that reaches the far tails, so that the frames of an animation share their x positions.
//
// Probability grid (`qqProbabilities()`, 139 points, ascending):
//   lower tail  p = 10^(-6 + k/5), k = 0..20          (1e-6 .. 1e-2, 5 points per decade)
//   body        p = k/100,         k = 2..98
//   upper tail  p = 1 - 10^(-6 + k/5), k = 20..0      (0.99 .. 1 - 1e-6)
// A tensor of n finite values supports only the probabilities between its extreme order
// statistics' plotting positions: `qqProbabilities(n)` keeps the grid points inside
// [p_1, p_n] and adds p_1 and p_n themselves, with Blom's positions p_i = (i - 3/8) / (n + 1/4)
// (nearly unbiased for the expected order statistics of a Gaussian sample). Before, a tensor of
// 2,304 values was plotted out to p = 1e-6, where every empirical quantile is its minimum: the
// tails ended in flat shelves even for Gaussian weights at step 0 (issue 15 #10).
// Empirical quantiles use the matching definition, Hyndman-Fan type 9 (numpy's method
// 'normal_unbiased'): at p_i it is exactly the i-th order statistic, between them linear.
// Standardisation: (q - mean) / std with the population mean/std of the finite elements; the
// theoretical quantiles are the fitted distributions' quantiles mapped the same way, so both
// axes are in units of the tensor's std.
// Exactness: quantiles are exact: the order statistics they read are the values a full sort
// gives, without sorting 10^7 values for 278 of them. Float32 input (f32/f16/bf16 checkpoints)
// by radix selection over the array itself (main/metrics/radix-select.ts, no copy); Float64
// input by quickselect on a copy of the finite values (main/metrics/select.ts), Float64 up to
// 50M elements, above that Float32, which rounds to float32 (reported as `approximate`).
//
// Inverse CDFs (hand-written, no library offers them in JS at this accuracy):
//   normal: Abramowitz-Stegun 26.2.23 start (|error| < 4.5e-4) refined by Halley steps on the
//     tail-accurate CDF of fits.ts, converging to ~1e-15 relative;
//   logistic: closed form mu + s log(p / (1 - p));
//   Student-t: safeguarded Newton on log P(T <= -e^u) = log q in u = log|t| (the tail of the
//     t CDF is close to a power law, so this is nearly linear), bracketed by bisection.
import { MetricInputError, moments, type Moments, type NumericArray } from './moments';
import { selectInPlace } from './select';
import { radixCensus, selectFloat32 } from './radix-select';
import { censusFiniteCount, censusOrderStatistics, type HalfDType } from './code-census';
import {
  fitDistributions,
  normalCdf,
  normalPdf,
  quantileAt,
  quantilePositions,
  quantileSorted,
  studentTOf,
  type DistributionFits,
} from './fits';

/** Blom's plotting position of the i-th (1-based) of n order statistics: (i - 3/8) / (n + 1/4). */
export function blomPosition(i: number, n: number): number {
  return (i - 0.375) / (n + 0.25);
}

/**
 * Probability grid of the QQ plot (see the file header): the fixed 139-point grid, or with `n`
 * the part of it that n values support (inside Blom's [p_1, p_n]) plus p_1 and p_n.
 */
export function qqProbabilities(n?: number): number[] {
  const lower: number[] = [];
  for (let k = 0; k <= 20; k++) lower.push(Math.pow(10, -6 + k / 5));
  const body: number[] = [];
  for (let k = 2; k <= 98; k++) body.push(k / 100);
  const upper = lower.map((p) => 1 - p).reverse();
  const grid = [...lower, ...body, ...upper];
  if (n === undefined) return grid;
  if (!(Number.isInteger(n) && n >= 2)) throw new MetricInputError('qq.ts', `a QQ plot needs at least 2 values, got ${n}`);
  const first = blomPosition(1, n);
  const last = blomPosition(n, n);
  return [first, ...grid.filter((p) => p > first && p < last), last];
}

/** The two 0-based sorted positions a type-9 (Blom) quantile of n values reads. */
export function blomQuantilePositions(n: number, p: number): [number, number] {
  const h = Math.min(n - 1, Math.max(0, (n + 0.25) * p + 0.375 - 1));
  const lo = Math.floor(h);
  return [lo, Math.min(n - 1, lo + 1)];
}

/** Type-9 quantile of n values (numpy 'normal_unbiased'); clamped to the extremes outside [p_1, p_n]. */
export function blomQuantileAt(n: number, p: number, at: (i: number) => number): number {
  const h = Math.min(n - 1, Math.max(0, (n + 0.25) * p + 0.375 - 1));
  const lo = Math.floor(h);
  const t = h - lo;
  const a = at(lo);
  if (t === 0) return a;
  const b = at(Math.min(n - 1, lo + 1));
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** Standard normal quantile (inverse CDF) for 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new MetricInputError('qq.ts', `probability must be in [0, 1], got ${p}`);
  }
  if (p === 0.5) return 0;
  const q = p < 0.5 ? p : 1 - p;
  const t = Math.sqrt(-2 * Math.log(q));
  let z = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t));
  for (let i = 0; i < 10; i++) {
    const e = normalCdf(z) - q;
    const u = e / normalPdf(z);
    const dz = u / (1 + (z * u) / 2);
    z -= dz;
    if (Math.abs(dz) <= 1e-16 * Math.max(1, Math.abs(z))) break;
  }
  return p < 0.5 ? z : -z;
}

/** Standard logistic quantile. */
export function logisticQuantile(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

/** Standard Student-t quantile with nu degrees of freedom, for 0 < p < 1. */
export function studentTQuantile(p: number, nu: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new MetricInputError('qq.ts', `probability must be in [0, 1], got ${p}`);
  }
  if (p === 0.5) return 0;
  const q = p < 0.5 ? p : 1 - p;
  const logQ = Math.log(q);
  // h(u) = log F(-e^u) - log q, decreasing in u.
  // log B(nu/2, 1/2) once for all the CDF calls (special.ts studentTOf: the same bits).
  const { cdf, logPdf } = studentTOf(nu);
  const h = (u: number): number => Math.log(cdf(-Math.exp(u))) - logQ;
  const dh = (u: number): number => {
    const t = -Math.exp(u);
    return -Math.exp(logPdf(t) + u) / cdf(t);
  };
  // Start from the normal quantile with the first Cornish-Fisher correction.
  const z = normalQuantile(q);
  let u = Math.log(Math.max(1e-300, Math.abs(z + (z * z * z + z) / (4 * nu))));
  // Bracket the root.
  let lo = u - 1;
  let hi = u + 1;
  while (h(lo) < 0) lo -= 2;
  while (h(hi) > 0) hi += 2;
  for (let i = 0; i < 200; i++) {
    const hv = h(u);
    if (hv === 0) break;
    if (hv > 0) lo = u;
    else hi = u;
    let next = u - hv / dh(u);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const du = Math.abs(next - u);
    u = next;
    if (du < 1e-15 * Math.max(1, Math.abs(u))) break;
  }
  const t = Math.exp(u);
  return p < 0.5 ? -t : t;
}

export interface QQData {
  probabilities: number[];
  /** Empirical quantiles of (x - mean) / std. */
  empirical: number[];
  /** Fitted distributions' quantiles, standardised with the same mean and std. */
  gaussian: number[];
  logistic: number[];
  studentT: number[];
  mean: number;
  std: number;
  /** Finite elements the empirical quantiles are over. */
  count: number;
  /** True only for Float64 input above 50M elements (sorted as float32, see the header). */
  approximate: boolean;
}

const MAX_F64_SORT = 50_000_000;

/** Sorted copy of the finite values (Float64 up to 50M elements, else Float32). */
export function sortedFinite(x: NumericArray): { sorted: Float64Array | Float32Array; approximate: boolean } {
  let count = 0;
  for (let i = 0; i < x.length; i++) if (x[i] - x[i] === 0) count++;
  const useF64 = count <= MAX_F64_SORT;
  const out = useF64 ? new Float64Array(count) : new Float32Array(count);
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v - v === 0) out[k++] = v;
  }
  out.sort();
  return { sorted: out, approximate: !useF64 && x instanceof Float64Array };
}

/**
 * Type-7 quantiles of the finite values of `x` at each probability, equal to
 * empiricalQuantiles(sortedFinite(x).sorted, probabilities) without the sort: Float32 input by
 * radix selection (main/metrics/radix-select.ts, no copy), Float64 input on a copy rearranged only
 * far enough to place the order statistics the quantiles read (main/metrics/select.ts).
 */
export function finiteQuantiles(
  x: NumericArray,
  probabilities: readonly number[] | ((count: number) => readonly number[]),
  method: 'type7' | 'blom' = 'type7',
): { values: number[]; probabilities: number[]; approximate: boolean } {
  const positions = method === 'blom' ? blomQuantilePositions : quantilePositions;
  const valueAt = method === 'blom' ? blomQuantileAt : quantileAt;
  if (x instanceof Float32Array) {
    // Radix selection over the array itself (main/metrics/radix-select.ts: no copy).
    const census = radixCensus(x);
    const count = census.finite;
    if (count === 0) throw new MetricInputError('qq.ts', 'quantile of an empty array');
    const probs = [...(typeof probabilities === 'function' ? probabilities(count) : probabilities)];
    const wanted = new Set<number>();
    for (const p of probs) for (const i of positions(count, p)) wanted.add(i);
    const sortedPositions = [...wanted].sort((a, b) => a - b);
    const values = selectFloat32(x, sortedPositions, census);
    const at = new Map(sortedPositions.map((pos, k) => [pos, values[k]]));
    return { values: probs.map((p) => valueAt(count, p, (i) => at.get(i)!)), probabilities: probs, approximate: false };
  }
  let count = 0;
  for (let i = 0; i < x.length; i++) if (x[i] - x[i] === 0) count++;
  const useF64 = !(x instanceof Float32Array) && count <= MAX_F64_SORT;
  const out = useF64 ? new Float64Array(count) : new Float32Array(count);
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v - v === 0) out[k++] = v;
  }
  if (count === 0) throw new MetricInputError('qq.ts', 'quantile of an empty array');
  const probs = [...(typeof probabilities === 'function' ? probabilities(count) : probabilities)];
  const wanted = new Set<number>();
  for (const p of probs) for (const i of positions(count, p)) wanted.add(i);
  selectInPlace(out, [...wanted].sort((a, b) => a - b));
  return {
    values: probs.map((p) => valueAt(count, p, (i) => out[i])),
    probabilities: probs,
    approximate: !useF64 && x instanceof Float64Array,
  };
}

/** Type-7 quantiles of sorted data at each probability. */
export function empiricalQuantiles(sorted: Float64Array | Float32Array, probabilities: readonly number[]): number[] {
  return probabilities.map((p) => quantileSorted(sorted, p));
}

/**
 * QQ data for a tensor. `fits` defaults to `fitDistributions(x)` and `moments` to `moments(x)`;
 * pass them when already computed. Probabilities default to `qqProbabilities(n)` of the n finite
 * values; empirical quantiles are type 9 (Blom), see the file header.
 * null when the tensor has fewer than 2 distinct finite values.
 */
export function qq(
  x: NumericArray,
  options: { fits?: DistributionFits | null; probabilities?: readonly number[]; moments?: Moments } = {},
): QQData | null {
  const fits = options.fits === undefined ? fitDistributions(x) : options.fits;
  if (fits === null) return null;
  const m = options.moments ?? moments(x);
  return qqOf(fits, m, (probabilities) => finiteQuantiles(x, options.probabilities ?? probabilities, 'blom'));
}

/**
 * qq() of a float16/bfloat16 tensor from its code census (main/metrics/code-census.ts): the same
 * order statistics, read off the cumulative counts. `m` is censusMoments of the same census.
 */
export function qqOfCensus(census: Uint32Array, dtype: HalfDType, fits: DistributionFits | null, m: Moments): QQData | null {
  if (fits === null) return null;
  return qqOf(fits, m, (probabilities) => {
    const count = censusFiniteCount(census, dtype);
    if (count === 0) throw new MetricInputError('qq.ts', 'quantile of an empty array');
    const probs = [...probabilities(count)];
    const wanted = new Set<number>();
    for (const p of probs) for (const i of blomQuantilePositions(count, p)) wanted.add(i);
    const ranks = [...wanted].sort((a, b) => a - b);
    const values = censusOrderStatistics(census, dtype, ranks);
    const at = new Map(ranks.map((r, k) => [r, values[k]]));
    return { values: probs.map((p) => blomQuantileAt(count, p, (i) => at.get(i) as number)), probabilities: probs, approximate: false };
  });
}

/** The QQ frame from fits, moments and the tensor's type-9 quantiles at qqProbabilities(count). */
function qqOf(
  fits: DistributionFits,
  m: Moments,
  quantiles: (probabilities: (count: number) => readonly number[]) => { values: number[]; probabilities: number[]; approximate: boolean },
): QQData | null {
  if (m.count < 2 || m.std === null || m.std === 0 || m.mean === null) return null;
  const mean = m.mean;
  const std = m.std;
  const { values: empirical, probabilities, approximate } = quantiles((count) => qqProbabilities(count));
  const standardise = (v: number): number => (v - mean) / std;
  const { gaussian, logistic, studentT } = fits;
  return {
    probabilities,
    empirical: empirical.map(standardise),
    gaussian: probabilities.map((p) => standardise(gaussian.mu + gaussian.sigma * normalQuantile(p))),
    logistic: probabilities.map((p) => standardise(logistic.mu + logistic.s * logisticQuantile(p))),
    studentT: probabilities.map((p) => standardise(studentT.mu + studentT.sigma * studentTQuantile(p, studentT.nu))),
    mean,
    std,
    count: m.count,
    approximate,
  };
}

/** One QQ animation frame for a tensor whose fits are already computed (job-runner shorthand). */
export function qqFrame(x: NumericArray, fits: DistributionFits | null, m?: Moments): QQData | null {
  return qq(x, m ? { fits, moments: m } : { fits });
}
