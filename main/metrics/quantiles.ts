// A tensor's empirical quantile function for `init-dist` (DOMAIN.md "What goes beyond the
// study": readers wanted to "sample from a histogram/cdf" of trained weights to initialise a new
// model). Sampling by inverse transform, Q(U) with U uniform, needs Q at probabilities that are
// dense where Q is steep: in the tails of a heavy-tailed tensor. The grid is a cosine
// (Chebyshev-Lobatto) spacing p_i = (1 - cos(pi i / (N - 1))) / 2, spacing ~ (pi / N)^2 / 2 at
// the ends against pi / (2 N) in the middle, with 0 and 1 included (the minimum and maximum).
// Q is numpy's default (type 7, linear) quantile of the finite elements, so numpy.quantile on
// the same tensor gives the same numbers.
import { quantileSorted } from './fits';
import { MetricInputError } from './moments';

/** Default grid size: at least 1025 points (the export contract), odd so that 0.5 is on it. */
export const QUANTILE_POINTS = 2049;

/** Ascending probabilities from 0 to 1 inclusive, denser in both tails (file header). */
export function tailDenseProbabilities(points = QUANTILE_POINTS): Float64Array {
  if (!Number.isInteger(points) || points < 3) throw new MetricInputError('quantiles.ts', `need at least 3 quantile points, got ${points}`);
  const p = new Float64Array(points);
  for (let i = 0; i < points; i++) p[i] = (1 - Math.cos((Math.PI * i) / (points - 1))) / 2;
  p[0] = 0;
  p[points - 1] = 1;
  if (points % 2) p[(points - 1) / 2] = 0.5;
  return p;
}

/** Sorted copy of the finite elements (float64, exact for every stored dtype) and how many were not finite. */
export function sortedFinite(values: ArrayLike<number>): { sorted: Float64Array; nonFinite: number } {
  const out = new Float64Array(values.length);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v === 0) out[k++] = v;
  }
  return { sorted: out.subarray(0, k).sort(), nonFinite: values.length - k };
}

/** Empirical quantile function of sorted data at the given probabilities (numpy type 7). */
export function empiricalQuantiles(sorted: Float64Array, probabilities: Float64Array): Float64Array {
  if (sorted.length === 0) throw new MetricInputError('quantiles.ts', 'no finite elements to take quantiles of');
  return probabilities.map((p) => quantileSorted(sorted, p));
}

/** Inverse-transform sample: Q(u) by linear interpolation in the (probabilities, quantiles) table. */
export function sampleFromQuantiles(probabilities: Float64Array, quantiles: Float64Array, u: number): number {
  let lo = 0;
  let hi = probabilities.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (probabilities[mid] <= u) lo = mid;
    else hi = mid;
  }
  const w = (u - probabilities[lo]) / (probabilities[hi] - probabilities[lo]);
  return quantiles[lo] + w * (quantiles[hi] - quantiles[lo]);
}
