/**
 * Spectral scalars of a 2-D weight, computed from its singular values (pure numerics).
 *
 * Inputs are the singular values s of W (descending, as produced by main/compute/eigen.ts) or the
 * eigenvalues lambda = s^2 of W W^T. Everything accumulates in float64.
 *
 * - spectral norm   s_max
 * - stable rank     ||W||_F^2 / s_max^2 = sum(s^2) / s_max^2
 * - effective rank  exp(H(p)), p = s / sum(s), H = -sum p log p (natural log, 0 log 0 = 0)
 * - power-law alpha of the eigenvalue tail, with xmin chosen by minimum Kolmogorov-Smirnov
 *   distance, exactly as WeightWatcher does by default.
 *
 * WeightWatcher conventions followed (weightwatcher.py `fit_powerlaw` + WW_powerlaw.py `WWFit`,
 * the default `pl_package='ww'`, xmax=None, fix_fingers off, as of the 2025 sources):
 *   1. eigenvalues lambda = s*s (no normalisation by N); keep only lambda > thresh, thresh = 1e-5
 *      (EVALS_THRESH, an absolute threshold);
 *   2. sort ascending: x_0 <= ... <= x_{N-1}; every x_i for i < N-1 is a candidate xmin (the
 *      largest value is never a candidate; duplicates are separate candidates);
 *   3. for candidate i, with n = N - i: continuous MLE alpha_i = 1 + n / (sum_{j>=i} log x_j -
 *      n log x_i);
 *   4. KS distance D_i = max_{j>=i} |(1 - (x_j / x_i)^(1 - alpha_i)) - (j - i) / n| (fitted CDF
 *      of the untruncated power law against the "left" empirical CDF k/n), computed only when
 *      alpha_i > 1; otherwise D_i = 1;
 *   5. the fit is the first i minimising D_i: alpha = alpha_i, xmin = x_i, ks = D_i;
 *      WeightWatcher's `num_pl_spikes` (our `nTail`) = count of thresholded eigenvalues >= xmin.
 * This equals the `powerlaw` package's continuous `Fit(data, xmax=None)` with the default
 * xmin_distance 'D' when the data have no ties. The independent Python reference is
 * tools/make_spectrum_expectations.py.
 */

export interface SpectralScalars {
  /** Largest singular value. */
  spectralNorm: number;
  /** sum(s^2) / s_max^2 (NaN for the zero matrix). */
  stableRank: number;
  /** exp(entropy(s / sum s)) (NaN for the zero matrix). */
  effectiveRank: number;
  /** ||W||_F^2: the given value, or sum(s^2) when not given. */
  frobeniusSq: number;
}

export interface PowerLawFit {
  /** Continuous MLE exponent of the tail density p(x) ~ x^-alpha. */
  alpha: number;
  /** Chosen lower cut-off (an eigenvalue). */
  xmin: number;
  /** KS distance between the empirical and fitted CDFs on the tail at the chosen xmin. */
  ks: number;
  /** Number of eigenvalues >= xmin among those above the threshold (WeightWatcher's num_pl_spikes). */
  nTail: number;
  /** Standard error estimate (alpha - 1) / sqrt(n) of the fit, as WeightWatcher reports it. */
  sigma: number;
}

export interface PowerLawOptions {
  /** Eigenvalues <= thresh are dropped before fitting (WeightWatcher EVALS_THRESH = 1e-5). */
  thresh?: number;
}

export class SpectrumError extends Error {
  constructor(message: string) {
    super(`main/metrics/spectrum.ts: ${message}`);
    this.name = 'SpectrumError';
  }
}

/** WeightWatcher's EVALS_THRESH. */
export const DEFAULT_EIGENVALUE_THRESHOLD = 1e-5;

/**
 * Spectral norm, stable rank and effective rank from singular values s (any order; all >= 0).
 * `frobeniusSq`, when given (e.g. summed from the raw tensor), is used for the stable rank instead
 * of sum(s^2); both agree to rounding when s is the full spectrum.
 */
export function spectralScalars(s: ArrayLike<number>, frobeniusSq?: number): SpectralScalars {
  if (s.length === 0) throw new SpectrumError('spectralScalars needs at least one singular value');
  let sMax = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < s.length; i++) {
    const v = s[i];
    if (!(v >= 0)) throw new SpectrumError(`singular value ${i} is ${v}; expected a non-negative number`);
    if (v > sMax) sMax = v;
    sum += v;
    sumSq += v * v;
  }
  const fro = frobeniusSq ?? sumSq;
  if (sMax === 0) {
    return { spectralNorm: 0, stableRank: Number.NaN, effectiveRank: Number.NaN, frobeniusSq: fro };
  }
  let entropy = 0;
  for (let i = 0; i < s.length; i++) {
    const p = s[i] / sum;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return {
    spectralNorm: sMax,
    stableRank: fro / (sMax * sMax),
    effectiveRank: Math.exp(entropy),
    frobeniusSq: fro,
  };
}

/** Eigenvalues lambda_i = s_i^2 (same order as s). */
export function eigenvaluesFromSingularValues(s: ArrayLike<number>): Float64Array {
  const out = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s[i] * s[i];
  return out;
}

/**
 * Power-law exponent of the eigenvalue tail, WeightWatcher's default method (see the header).
 * Returns null when fewer than two eigenvalues exceed the threshold (WeightWatcher: fit FAILED).
 * Cost O(N^2) in the number of eigenvalues at worst (candidates stop as soon as their KS distance
 * exceeds the best so far, which is usually early).
 */
export function powerLawAlpha(eigs: ArrayLike<number>, opts: PowerLawOptions = {}): PowerLawFit | null {
  const thresh = opts.thresh ?? DEFAULT_EIGENVALUE_THRESHOLD;
  let count = 0;
  for (let i = 0; i < eigs.length; i++) if (eigs[i] > thresh) count++;
  if (count < 2) return null;
  const x = new Float64Array(count);
  for (let i = 0, k = 0; i < eigs.length; i++) if (eigs[i] > thresh) x[k++] = eigs[i];
  x.sort();
  const total = count;
  const logX = new Float64Array(total);
  for (let i = 0; i < total; i++) logX[i] = Math.log(x[i]);
  // suffixLogSum[i] = sum_{j >= i} log x_j, accumulated from the top like a running sum.
  const suffixLogSum = new Float64Array(total + 1);
  for (let i = total - 1; i >= 0; i--) suffixLogSum[i] = suffixLogSum[i + 1] + logX[i];

  let bestIndex = 0;
  let bestD = Number.POSITIVE_INFINITY;
  let bestAlpha = Number.NaN;
  for (let i = 0; i < total - 1; i++) {
    const n = total - i;
    const logXmin = logX[i];
    const alpha = 1 + n / (suffixLogSum[i] - n * logXmin);
    let d = 1;
    if (alpha > 1) {
      const exponent = 1 - alpha;
      const invN = 1 / n;
      d = 0;
      for (let j = i; j < total; j++) {
        const logRatio = logX[j] - logXmin;
        // (x_j / x_i)^(1 - alpha); a zero log-ratio gives exactly 1 even when alpha is infinite.
        const fitted = logRatio === 0 ? 0 : 1 - Math.exp(exponent * logRatio);
        const diff = Math.abs(fitted - (j - i) * invN);
        if (diff > d) {
          d = diff;
          // D is a maximum: once it reaches the best so far this candidate cannot win.
          if (d >= bestD) break;
        }
      }
    }
    if (d < bestD) {
      bestD = d;
      bestIndex = i;
      bestAlpha = alpha;
    }
  }
  const xmin = x[bestIndex];
  let nTail = 0;
  for (let i = 0; i < total; i++) if (x[i] >= xmin) nTail++;
  return {
    alpha: bestAlpha,
    xmin,
    ks: bestD,
    nTail,
    sigma: (bestAlpha - 1) / Math.sqrt(total - bestIndex),
  };
}
