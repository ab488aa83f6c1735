// Maximum-likelihood distribution fits of a tensor's values (DOMAIN.md "distribution fit"):
// Gaussian (closed form), logistic (Newton on the score equations) and Student-t (loc, scale
// and nu jointly by Newton), each with the mean log-likelihood per element and the exact
// Kolmogorov-Smirnov distance to the fitted CDF.
//
// Why hand-written: no npm package offers Student-t MLE, and the app must not run Python. The
// special functions (erf, log-gamma, digamma, trigamma, incomplete beta, the distributions' CDFs
// and log-densities) are in main/metrics/special.ts.
//
// Samples (main/metrics/fit-sample.ts): at most 10^6 elements of a tensor, a deterministic
// stratified subsample above that; the likelihood sums and KS scans run over the sample's
// distinct values weighted by their counts (the same numbers, ~100x less work on float16 data).
// Speed on large samples (exact results, less work): the logistic and Student-t iterations
// start from a fit to every k-th order statistic (10,000 of them) and finish with Newton
// steps on the whole sample (main/metrics/newton.ts).
//
// Student-t: nu is restricted to [NU_MIN, NU_MAX] = [0.2, 1e4]; nu = 1e4 (`nuAtBound`) means
// the data show no tails heavier than Gaussian (the MLE of nu then diverges). Logistic and
// Student-t scales are kept >= SCALE_FLOOR (1e-6) x the sample std (degenerate point masses).
import { STUDENT_T_NU_MAX } from '../../common/analyses/fits';
import type { NonFiniteCounts, NumericArray } from './moments';
import { DEFAULT_MAX_FIT_SAMPLE, distinctOf, fitSample, ksStatistic, medianAbsDeviation, orderStatisticSample, quantileSorted, type Distinct, type FitSample } from './fit-sample';
import { maximise, type LikelihoodDerivatives } from './newton';
import { erf, erfc, normalCdf, normalPdf, lgamma, logBeta, digamma, trigamma, incompleteBeta, studentTCdf, studentTSurvival, studentTLogPdf, studentTOf, logisticCdf, logisticLogPdf } from './special';

export { DEFAULT_MAX_FIT_SAMPLE, distinctOf, fitSample, ksStatistic, medianAbsDeviation, quantileAt, quantilePositions, quantileSorted, sortFloat32, type Distinct, type FitSample } from './fit-sample';
export type { LikelihoodDerivatives } from './newton';
export { erf, erfc, normalCdf, normalPdf, lgamma, logBeta, digamma, trigamma, incompleteBeta, studentTCdf, studentTSurvival, studentTLogPdf, studentTOf, logisticCdf, logisticLogPdf };

/** Above this many elements the iterative fits start on an order-statistic sample, then polish. */
const WARM_START_ABOVE = 200_000;
/**
 * Order statistics the warm start is fitted on. 10,000 (was 100,000): a float16 sample of 10^6
 * holds only ~2x10^4 distinct values, so a warm fit on 10^5 order statistics (~1.8x10^4 distinct)
 * cost as much per iteration as the whole sample and took 80% of the fits' time; from the
 * coarser start (~1% off) Newton on the whole sample needs about one more step to the same
 * optimum (issue 16 item 6).
 */
const WARM_START_SIZE = 10_000;

// ------------------------------------------------------------------ fits

export interface GaussianFit {
  mu: number;
  sigma: number;
  /** Mean log-likelihood per element of the sample. */
  loglik: number;
  ks: number;
}

export interface LogisticFit {
  mu: number;
  s: number;
  loglik: number;
  ks: number;
}

export interface StudentTFit {
  mu: number;
  sigma: number;
  nu: number;
  loglik: number;
  ks: number;
  /** nu hit NU_MIN or NU_MAX (see the file header). */
  nuAtBound: boolean;
}

export interface DistributionFits {
  gaussian: GaussianFit;
  logistic: LogisticFit;
  studentT: StudentTFit;
  /** Finite elements the fits, log-likelihoods and KS distances are computed on. */
  sampleSize: number;
  sampled: boolean;
  nonFinite: NonFiniteCounts;
}

export const NU_MIN = 0.2;
/**
 * Scale parameters are kept >= SCALE_FLOOR x the sample std: data that are mostly one repeated
 * value (e.g. zero-padded rows) make the likelihood unbounded as the scale goes to 0, and the
 * fit must stay a finite, comparable number rather than run to 1e-300.
 */
export const SCALE_FLOOR = 1e-6;
export const NU_MAX = STUDENT_T_NU_MAX;

/**
 * The sums over the sample that the three fits start from, in one pass about the mean instead of
 * one or two per fit: each is the same expression, in the same order, as the fit that uses it
 * computed for itself, so every fit gets the same bits (issue 16 item 6: these passes over 10^6
 * elements were ~15% of the fits unit).
 */
export interface SampleSums {
  sum: number;
  /** Sum of (x - sum / n), and of its square as d * d: the Gaussian fit's. */
  s1: number;
  s2: number;
  /** Sum of (x - sum / n) ** 2 and of its square: the logistic and Student-t fits'. */
  ss: number;
  m4: number;
}

export function sampleSums(sorted: Float64Array): SampleSums {
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let s1 = 0;
  let s2 = 0;
  let ss = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - mean;
    s1 += d;
    s2 += d * d;
    const q = (sorted[i] - mean) ** 2;
    ss += q;
    m4 += q * q;
  }
  return { sum, s1, s2, ss, m4 };
}

export function fitGaussian(sorted: Float64Array, distinct: Distinct = distinctOf(sorted), sums: SampleSums = sampleSums(sorted)): GaussianFit {
  const n = sorted.length;
  const { sum, s1, s2 } = sums;
  let mu = sum / n;
  mu += s1 / n;
  const variance = Math.max(0, s2 - (s1 * s1) / n) / n;
  const sigma = Math.sqrt(variance);
  const loglik = -0.5 * Math.log(2 * Math.PI * variance) - 0.5;
  const ks = ksStatistic(distinct, (v) => normalCdf((v - mu) / sigma));
  return { mu, sigma, loglik, ks };
}

export function fitLogistic(sorted: Float64Array, distinct: Distinct = distinctOf(sorted), sums: SampleSums = sampleSums(sorted)): LogisticFit {
  const n = sorted.length;
  // Large samples: solve on every k-th order statistic first, then a few Newton steps on all.
  const warm = n > WARM_START_ABOVE ? fitLogistic(orderStatisticSample(sorted, WARM_START_SIZE)) : null;
  const median = quantileSorted(sorted, 0.5);
  const ss = sums.ss;
  const s0 = (Math.sqrt(ss / n) * Math.sqrt(3)) / Math.PI;
  // theta = (mu, log s). The log-likelihood alone (maximise's `value`): the same terms in the
  // same order as `evaluate` sums them, so both give the same bits. Sums over distinct values
  // weighted by their counts (fit-sample.ts).
  const { values, counts } = distinct;
  const m = values.length;
  const value = (theta: number[]): number => {
    const mu = theta[0];
    const s = Math.exp(theta[1]);
    let ll = 0;
    for (let i = 0; i < m; i++) ll += counts[i] * logisticLogPdf((values[i] - mu) / s);
    return ll - n * Math.log(s);
  };
  const evaluate = (theta: number[], knownLl?: number): LikelihoodDerivatives => {
    const mu = theta[0];
    const s = Math.exp(theta[1]);
    const withLl = knownLl === undefined;
    let ll = 0;
    let gMu = 0;
    let gS = 0;
    let hMuMu = 0;
    let hMuS = 0;
    let hSS = 0;
    for (let i = 0; i < m; i++) {
      const c = counts[i];
      const z = (values[i] - mu) / s;
      if (withLl) ll += c * logisticLogPdf(z);
      const t = Math.tanh(z / 2);
      const dt = (1 - t * t) / 2;
      gMu += c * t;
      gS += c * (z * t - 1);
      hMuMu -= c * dt;
      hMuS -= c * (t + z * dt);
      hSS -= c * (z * t - 1 + z * t + z * z * dt);
    }
    ll -= n * Math.log(s);
    // d/dmu = gMu/s; d/dlog s = gS; second derivatives in (mu, log s):
    return {
      ll: withLl ? ll : knownLl,
      g: [gMu / s, gS],
      h: [
        [hMuMu / (s * s), hMuS / s],
        [hMuS / s, hSS + gS],
      ],
    };
  };
  const sLo = Math.log(SCALE_FLOOR * Math.sqrt(ss / n));
  const { theta, ll } = maximise(
    warm ? [warm.mu, Math.log(warm.s)] : [median, Math.log(s0)],
    evaluate,
    (t) => [t[0], Math.max(sLo, t[1])],
    (t, g) => [true, !(t[1] <= sLo && g[1] < 0)],
    n,
    value,
  );
  const mu = theta[0];
  const s = Math.exp(theta[1]);
  const loglik = ll / n;
  const ks = ksStatistic(distinct, (v) => logisticCdf((v - mu) / s));
  return { mu, s, loglik, ks };
}

/** Sum of Student-t log-likelihoods with gradient and Hessian in (mu, log sigma, log nu). */
function studentTObjective(distinct: Distinct, theta: number[]): LikelihoodDerivatives {
  const { values, counts, n } = distinct;
  const m = values.length;
  const mu = theta[0];
  const sigma = Math.exp(theta[1]);
  const nu = Math.exp(theta[2]);
  // Every derivative is a combination of n, sumLog and the moments Q_k = sum c z^k / w and
  // T_k = sum c z^k / w^2 (w = nu + z^2): one division per distinct value instead of thirteen
  // (issue 16 item 6; the sum of logs, hence the log-likelihood, keeps its terms and bits).
  let sumLog = 0;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  let t4 = 0;
  const np1 = nu + 1;
  for (let i = 0; i < m; i++) {
    const c = counts[i];
    const z = (values[i] - mu) / sigma;
    const z2 = z * z;
    sumLog += c * Math.log1p(z2 / nu);
    const iw = 1 / (nu + z2);
    const a = c * iw;
    const b = a * iw;
    q0 += a;
    q1 += a * z;
    q2 += a * z2;
    t0 += b;
    t1 += b * z;
    t2 += b * z2;
    t3 += b * z * z2;
    t4 += b * z2 * z2;
  }
  const gMu = q1;
  const gSig = q2;
  const gNu = -0.5 * sumLog + (np1 * q2) / (2 * nu);
  const hMuMu = t2 - nu * t0;
  const hMuSig = -t1;
  const hMuNu = t3 - t1;
  const hSigSig = q2 + 2 * nu * t2;
  const hSigNu = t4 - t2;
  const hNuNu = -q0 / 2 + n / (2 * nu) - (q2 + nu * np1 * t2) / (2 * nu * nu);
  // lgamma((nu+1)/2) - lgamma(nu/2) - log sqrt(nu pi) = -log B(nu/2, 1/2) - log sqrt(nu)
  const constant = -logBeta(nu / 2, 0.5) - 0.5 * Math.log(nu);
  const ll = n * (constant - Math.log(sigma)) - (np1 / 2) * sumLog;
  // Derivatives in the natural parameters (checked against finite differences in the tests).
  const dMu = (np1 * gMu) / sigma;
  const dSig = -n / sigma + (np1 * gSig) / sigma;
  const dNu = n * (0.5 * digamma(np1 / 2) - 0.5 * digamma(nu / 2) - 1 / (2 * nu)) + gNu;
  const s2 = sigma * sigma;
  const dMuMu = (np1 * hMuMu) / s2;
  const dMuSig = (2 * nu * np1 * hMuSig) / s2;
  const dMuNu = hMuNu / sigma;
  const dSigSig = n / s2 - (np1 * hSigSig) / s2;
  const dSigNu = hSigNu / sigma;
  const dNuNu = n * (0.25 * trigamma(np1 / 2) - 0.25 * trigamma(nu / 2) + 1 / (2 * nu * nu)) + hNuNu;
  // Chain rule to (mu, log sigma, log nu).
  return {
    ll,
    g: [dMu, sigma * dSig, nu * dNu],
    h: [
      [dMuMu, sigma * dMuSig, nu * dMuNu],
      [sigma * dMuSig, s2 * dSigSig + sigma * dSig, sigma * nu * dSigNu],
      [nu * dMuNu, sigma * nu * dSigNu, nu * nu * dNuNu + nu * dNu],
    ],
  };
}

/**
 * studentTObjective's log-likelihood alone: the same terms in the same order, so the same bits
 * (newton.ts maximise judges trial steps on it; a refused trial then costs one log1p per
 * distinct value instead of the derivative pass: ~40% of the Student-t trials are refused).
 */
function studentTValue(distinct: Distinct, theta: number[]): number {
  const { values, counts, n } = distinct;
  const m = values.length;
  const mu = theta[0];
  const sigma = Math.exp(theta[1]);
  const nu = Math.exp(theta[2]);
  let sumLog = 0;
  for (let i = 0; i < m; i++) {
    const z = (values[i] - mu) / sigma;
    sumLog += counts[i] * Math.log1p((z * z) / nu);
  }
  const constant = -logBeta(nu / 2, 0.5) - 0.5 * Math.log(nu);
  return n * (constant - Math.log(sigma)) - ((nu + 1) / 2) * sumLog;
}

/** Exposed for tests: log-likelihood sum, gradient and Hessian in (mu, log sigma, log nu). */
export function studentTLogLikelihood(sorted: Float64Array, mu: number, sigma: number, nu: number): LikelihoodDerivatives {
  return studentTObjective(distinctOf(sorted), [mu, Math.log(sigma), Math.log(nu)]);
}

export function fitStudentT(sorted: Float64Array, distinct: Distinct = distinctOf(sorted), sums: SampleSums = sampleSums(sorted)): StudentTFit {
  const n = sorted.length;
  const median = quantileSorted(sorted, 0.5);
  const mean = sums.sum / n;
  const m2 = sums.ss / n;
  const m4 = sums.m4 / n;
  const kurt = m4 / (m2 * m2) - 3;
  // Method-of-moments start (excess kurtosis of t is 6/(nu-4)); a MAD-based scale is robust
  // when the variance is dominated by a few huge values.
  const nu0 = kurt > 0.01 ? Math.min(1000, 4 + 6 / kurt) : 1000;
  // Only the direct fit (small samples) starts from it; a large sample starts from its warm fit.
  const sigma0 = (): number => {
    const mad = medianAbsDeviation(sorted, median);
    return mad > 0 ? mad / 0.6745 : Math.sqrt(m2);
  };
  const lo = Math.log(NU_MIN);
  const hi = Math.log(NU_MAX);
  const sigmaLo = Math.log(SCALE_FLOOR * Math.sqrt(m2));
  const clamp = (t: number[]): number[] => [t[0], Math.max(sigmaLo, t[1]), Math.min(hi, Math.max(lo, t[2]))];
  const free = (t: number[], g: number[]): boolean[] => [
    true,
    !(t[1] <= sigmaLo && g[1] < 0),
    !((t[2] >= hi && g[2] > 0) || (t[2] <= lo && g[2] < 0)),
  ];
  const evaluate = (t: number[]): LikelihoodDerivatives => studentTObjective(distinct, t);
  const value = (t: number[]): number => studentTValue(distinct, t);
  let best: { theta: number[]; ll: number };
  if (n > WARM_START_ABOVE) {
    // Large samples: both starts on every k-th order statistic, then Newton on all from there.
    const warm = fitStudentT(orderStatisticSample(sorted, WARM_START_SIZE));
    best = maximise([warm.mu, Math.log(warm.sigma), Math.log(warm.nu)], evaluate, clamp, free, n, value);
  } else {
    best = maximise([median, Math.log(sigma0()), Math.log(nu0)], evaluate, clamp, free, n, value);
    // A second start from the Gaussian limit guards against a poor method-of-moments start.
    const alt = maximise([mean, 0.5 * Math.log(m2), Math.log(100)], evaluate, clamp, free, n, value);
    if (alt.ll > best.ll) best = alt;
  }
  const theta = best.theta;
  const mu = theta[0];
  const sigma = Math.exp(theta[1]);
  const nuAtBound = theta[2] >= hi - 1e-12 || theta[2] <= lo + 1e-12;
  const nu = nuAtBound ? (theta[2] > 0 ? NU_MAX : NU_MIN) : Math.exp(theta[2]);
  const loglik = best.ll / n;
  const cdf = studentTOf(nu).cdf;
  const ks = ksStatistic(distinct, (v) => cdf((v - mu) / sigma));
  return { mu, sigma, nu, loglik, ks, nuAtBound };
}

/**
 * Gaussian, logistic and Student-t MLE fits of the finite elements of `x` (subsampled above
 * `maxSample`, see the file header). null when fewer than 2 distinct finite values exist.
 */
export function fitDistributions(x: NumericArray, options: { maxSample?: number } = {}): DistributionFits | null {
  return fitDistributionsOfSample(fitSample(x, options.maxSample ?? DEFAULT_MAX_FIT_SAMPLE));
}

/** fitDistributions of a sample already drawn (fit-sample.ts fitSample or fitSampleOfCodes). */
export function fitDistributionsOfSample(sample: FitSample): DistributionFits | null {
  const sorted = sample.sorted;
  if (sorted.length < 2 || sorted[0] === sorted[sorted.length - 1]) return null;
  const distinct = sample.distinct ?? distinctOf(sorted);
  const sums = sampleSums(sorted);
  return {
    gaussian: fitGaussian(sorted, distinct, sums),
    logistic: fitLogistic(sorted, distinct, sums),
    studentT: fitStudentT(sorted, distinct, sums),
    sampleSize: sorted.length,
    sampled: sample.sampled,
    nonFinite: sample.nonFinite,
  };
}
