// The fits of main/metrics/fits.ts as they were before issue 16 item 6 (commit 24a1641): the
// element-by-element reference that test/unit/metrics/fits-speed.test.ts compares the faster code with.
// Maximum-likelihood distribution fits of a tensor's values (DOMAIN.md "distribution fit"):
// Gaussian (closed form), logistic (Newton on the score equations) and Student-t (loc, scale
// and nu jointly by Newton), each with the mean log-likelihood per element and the exact
// Kolmogorov-Smirnov distance to the fitted CDF.
//
// Why hand-written: no npm package offers Student-t MLE, and the app must not run Python. The
// special functions (erf, log-gamma, digamma, trigamma, incomplete beta, the distributions' CDFs
// and log-densities) are in main/metrics/special.ts.
//
// Huge tensors: the fits, log-likelihoods and KS distances are computed on a deterministic
// stratified subsample of at most DEFAULT_MAX_FIT_SAMPLE (1,000,000) elements: the tensor is
// cut into that many equal strata and one element is taken from each at an offset given by a
// fixed integer hash of the stratum index (so no stride can alias with a matrix's row length,
// and the same tensor always gives the same sample). Tensors at or below the limit use every
// finite element. `sampleSize` reports the count actually used.
// Speed on large samples (exact results, less work): the logistic and Student-t iterations
// start from a fit to every k-th order statistic (100,000 of them) and finish with Newton
// steps on the whole sample; the KS statistic bounds blocks of 64 sorted values by their end
// points' CDF and evaluates only the blocks that can still hold the maximum distance.
//
// Student-t: nu is restricted to [NU_MIN, NU_MAX] = [0.2, 1e4]; nu = 1e4 (`nuAtBound`) means
// the data show no tails heavier than Gaussian (the MLE of nu then diverges). Logistic and
// Student-t scales are kept >= SCALE_FLOOR (1e-6) x the sample std (degenerate point masses).
import { MetricInputError, type NonFiniteCounts, type NumericArray } from '../../../../main/metrics/moments';
import { erf, erfc, normalCdf, normalPdf, lgamma, logBeta, digamma, trigamma, incompleteBeta, studentTCdf, studentTSurvival, studentTLogPdf, logisticCdf, logisticLogPdf } from '../../../../main/metrics/special';

export { erf, erfc, normalCdf, normalPdf, lgamma, logBeta, digamma, trigamma, incompleteBeta, studentTCdf, studentTSurvival, studentTLogPdf, logisticCdf, logisticLogPdf };

// ------------------------------------------------------------------ sampling

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
}

/** Sorted Float64 sample of the finite elements (stratified hash subsample above maxSample). */
export function fitSample(x: NumericArray, maxSample = DEFAULT_MAX_FIT_SAMPLE): FitSample {
  const nonFinite: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  const n = x.length;
  const sampled = n > maxSample;
  const m = sampled ? maxSample : n;
  const out = new Float64Array(m);
  let k = 0;
  for (let j = 0; j < m; j++) {
    let idx = j;
    if (sampled) {
      const start = Math.floor((j * n) / m);
      const end = Math.floor(((j + 1) * n) / m);
      idx = start + (hash32(j) % (end - start));
    }
    const v = x[idx];
    if (v - v === 0) out[k++] = v;
    else if (v !== v) nonFinite.nan++;
    else if (v > 0) nonFinite.posInf++;
    else nonFinite.negInf++;
  }
  const sorted = out.subarray(0, k).sort();
  return { sorted, sampled, nonFinite };
}

/** Exact one-sample Kolmogorov-Smirnov statistic of sorted data against a CDF. */
export function ksStatistic(sorted: Float64Array, cdf: (v: number) => number): number {
  const n = sorted.length;
  // Exact, with far fewer CDF calls than n: sorted data and a monotone CDF bound every block
  // [a, b]: F(x_i) - i/n <= F(x_b) - a/n and (i+1)/n - F(x_i) <= (b+1)/n - F(x_a). A block is
  // evaluated element by element only while its bound can still beat the best distance so far
  // (blocks visited in descending bound order; a 1e-12 slack absorbs CDF rounding).
  const BLOCK = 64;
  const blocks = Math.ceil(n / BLOCK);
  if (blocks <= 2) return ksRange(sorted, cdf, 0, n, 0);
  const bound = new Float64Array(blocks);
  let fPrevEnd = NaN;
  for (let k = 0; k < blocks; k++) {
    const a = k * BLOCK;
    const b = Math.min(n, a + BLOCK) - 1;
    const fa = sorted[a] === sorted[a - 1] ? fPrevEnd : cdf(sorted[a]);
    const fb = cdf(sorted[b]);
    fPrevEnd = fb;
    bound[k] = Math.max(fb - a / n, (b + 1) / n - fa);
  }
  const order = Array.from({ length: blocks }, (_, k) => k).sort((p, q) => bound[q] - bound[p] || p - q);
  let d = 0;
  for (const k of order) {
    if (bound[k] < d - 1e-12) break;
    d = ksRange(sorted, cdf, k * BLOCK, Math.min(n, (k + 1) * BLOCK), d);
  }
  return d;
}

function ksRange(sorted: Float64Array, cdf: (v: number) => number, from: number, to: number, best: number): number {
  const n = sorted.length;
  let d = best;
  for (let i = from; i < to; i++) {
    const f = cdf(sorted[i]);
    const lower = f - i / n;
    const upper = (i + 1) / n - f;
    if (lower > d) d = lower;
    if (upper > d) d = upper;
  }
  return d;
}

/** Every k-th order statistic of sorted data (at most `size`): a deterministic stand-in for fitting. */
function orderStatisticSample(sorted: Float64Array, size: number): Float64Array {
  const n = sorted.length;
  if (n <= size) return sorted;
  const out = new Float64Array(size);
  for (let j = 0; j < size; j++) out[j] = sorted[Math.floor(((j + 0.5) * n) / size)];
  return out;
}

/** Above this many elements the iterative fits start on an order-statistic sample, then polish. */
const WARM_START_SIZE = 100_000;

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
export const NU_MAX = 1e4;

export function fitGaussian(sorted: Float64Array): GaussianFit {
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  let mu = sum / n;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i] - mu;
    s1 += d;
    s2 += d * d;
  }
  mu += s1 / n;
  const variance = Math.max(0, s2 - (s1 * s1) / n) / n;
  const sigma = Math.sqrt(variance);
  const loglik = -0.5 * Math.log(2 * Math.PI * variance) - 0.5;
  const ks = ksStatistic(sorted, (v) => normalCdf((v - mu) / sigma));
  return { mu, sigma, loglik, ks };
}

/** Solves the small symmetric positive definite system A x = b by Cholesky; null if not PD. */
function solveSpd(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const l: number[][] = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

export interface LikelihoodDerivatives {
  /** Sum of log-likelihoods, gradient and Hessian in the optimiser's coordinates. */
  ll: number;
  g: number[];
  h: number[][];
}

/**
 * Damped Newton (Levenberg-Marquardt on the Hessian diagonal) maximising `evaluate`.
 * `free(theta, g)` says which coordinates may move (bounds); `clamp` projects onto the box.
 * `value`, when given, computes the log-likelihood alone (bit for bit what `evaluate` sums): a
 * trial step is judged on it, and `evaluate(theta, ll)` then adds the derivatives only for steps
 * that are taken. Near the optimum most trials are refused (rounding of a sum over 10^6 terms),
 * so this saves the derivative pass of each refused trial and changes no number.
 */
function maximise(
  theta0: number[],
  evaluate: (theta: number[], knownLl?: number) => LikelihoodDerivatives,
  clamp: (theta: number[]) => number[],
  free: (theta: number[], g: number[]) => boolean[],
  n: number,
  value?: (theta: number[]) => number,
): { theta: number[]; ll: number } {
  let theta = clamp(theta0);
  let cur = evaluate(theta);
  let damping = 0;
  for (let iter = 0; iter < 300; iter++) {
    const mask = free(theta, cur.g);
    const idx = mask.map((f, i) => (f ? i : -1)).filter((i) => i >= 0);
    if (idx.length === 0) break;
    const g = idx.map((i) => cur.g[i]);
    const negH = idx.map((i) => idx.map((j) => -cur.h[i][j]));
    let accepted = false;
    let gain = 0;
    let stepNorm = 0;
    for (let attempt = 0; attempt < 40; attempt++) {
      const a = negH.map((row, r) => row.map((v, c) => (r === c ? v + damping * Math.max(Math.abs(v), 1e-12) : v)));
      const step = solveSpd(a, g);
      if (step === null) {
        damping = damping === 0 ? 1e-6 : damping * 10;
        continue;
      }
      const next = theta.slice();
      idx.forEach((i, k) => (next[i] = next[i] + step[k]));
      const candidate = clamp(next);
      const trialLl = value ? value(candidate) : NaN;
      const trial = value ? null : evaluate(candidate);
      const ll = trial ? trial.ll : trialLl;
      if (Number.isFinite(ll) && ll >= cur.ll - 1e-15 * Math.abs(cur.ll)) {
        gain = ll - cur.ll;
        stepNorm = Math.max(...candidate.map((v, i) => Math.abs(v - theta[i])));
        theta = candidate;
        cur = trial ?? evaluate(candidate, trialLl);
        damping = damping / 10 < 1e-9 ? 0 : damping / 10;
        accepted = true;
        break;
      }
      damping = damping === 0 ? 1e-6 : damping * 10;
    }
    if (!accepted) break;
    if (gain <= 1e-13 * n && stepNorm < 1e-10) break;
  }
  return { theta, ll: cur.ll };
}

export function fitLogistic(sorted: Float64Array): LogisticFit {
  const n = sorted.length;
  // Large samples: solve on every k-th order statistic first, then a few Newton steps on all.
  const warm = n > 2 * WARM_START_SIZE ? fitLogistic(orderStatisticSample(sorted, WARM_START_SIZE)) : null;
  const median = quantileSorted(sorted, 0.5);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (sorted[i] - mean) ** 2;
  const s0 = (Math.sqrt(ss / n) * Math.sqrt(3)) / Math.PI;
  // theta = (mu, log s). The log-likelihood alone (maximise's `value`): the same terms in the
  // same order as `evaluate` sums them, so both give the same bits.
  const value = (theta: number[]): number => {
    const mu = theta[0];
    const s = Math.exp(theta[1]);
    let ll = 0;
    for (let i = 0; i < n; i++) ll += logisticLogPdf((sorted[i] - mu) / s);
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
    for (let i = 0; i < n; i++) {
      const z = (sorted[i] - mu) / s;
      if (withLl) ll += logisticLogPdf(z);
      const t = Math.tanh(z / 2);
      const dt = (1 - t * t) / 2;
      gMu += t;
      gS += z * t - 1;
      hMuMu -= dt;
      hMuS -= t + z * dt;
      hSS -= z * t - 1 + z * t + z * z * dt;
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
  const ks = ksStatistic(sorted, (v) => logisticCdf((v - mu) / s));
  return { mu, s, loglik, ks };
}

/** Sum of Student-t log-likelihoods with gradient and Hessian in (mu, log sigma, log nu). */
function studentTObjective(sorted: Float64Array, theta: number[]): LikelihoodDerivatives {
  const n = sorted.length;
  const mu = theta[0];
  const sigma = Math.exp(theta[1]);
  const nu = Math.exp(theta[2]);
  let sumLog = 0;
  let gMu = 0;
  let gSig = 0;
  let gNu = 0;
  let hMuMu = 0;
  let hMuSig = 0;
  let hMuNu = 0;
  let hSigSig = 0;
  let hSigNu = 0;
  let hNuNu = 0;
  const np1 = nu + 1;
  for (let i = 0; i < n; i++) {
    const z = (sorted[i] - mu) / sigma;
    const z2 = z * z;
    const w = nu + z2;
    const w2 = w * w;
    const l1p = Math.log1p(z2 / nu);
    sumLog += l1p;
    gMu += z / w;
    gSig += z2 / w;
    gNu += -0.5 * l1p + (np1 * z2) / (2 * nu * w);
    hMuMu -= (nu - z2) / w2;
    hMuSig -= z / w2;
    hMuNu += (z * (z2 - 1)) / w2;
    hSigSig += z2 / w + (2 * nu * z2) / w2;
    hSigNu += (z2 * (z2 - 1)) / w2;
    hNuNu += -1 / (2 * w) + 1 / (2 * nu) - (z2 * (w + nu * np1)) / (2 * nu * nu * w2);
  }
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

/** Exposed for tests: log-likelihood sum, gradient and Hessian in (mu, log sigma, log nu). */
export function studentTLogLikelihood(sorted: Float64Array, mu: number, sigma: number, nu: number): LikelihoodDerivatives {
  return studentTObjective(sorted, [mu, Math.log(sigma), Math.log(nu)]);
}

export function fitStudentT(sorted: Float64Array): StudentTFit {
  const n = sorted.length;
  const median = quantileSorted(sorted, 0.5);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = (sorted[i] - mean) ** 2;
    m2 += d;
    m4 += d * d;
  }
  m2 /= n;
  m4 /= n;
  const kurt = m4 / (m2 * m2) - 3;
  // Method-of-moments start (excess kurtosis of t is 6/(nu-4)); a MAD-based scale is robust
  // when the variance is dominated by a few huge values.
  const nu0 = kurt > 0.01 ? Math.min(1000, 4 + 6 / kurt) : 1000;
  // Only the direct fit (small samples) starts from it; a large sample starts from its warm fit.
  const sigma0 = (): number => {
    const dev = new Float64Array(n);
    for (let i = 0; i < n; i++) dev[i] = Math.abs(sorted[i] - median);
    dev.sort();
    const mad = quantileSorted(dev, 0.5);
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
  const evaluate = (t: number[]): LikelihoodDerivatives => studentTObjective(sorted, t);
  let best: { theta: number[]; ll: number };
  if (n > 2 * WARM_START_SIZE) {
    // Large samples: both starts on every k-th order statistic, then Newton on all from there.
    const warm = fitStudentT(orderStatisticSample(sorted, WARM_START_SIZE));
    best = maximise([warm.mu, Math.log(warm.sigma), Math.log(warm.nu)], evaluate, clamp, free, n);
  } else {
    best = maximise([median, Math.log(sigma0()), Math.log(nu0)], evaluate, clamp, free, n);
    // A second start from the Gaussian limit guards against a poor method-of-moments start.
    const alt = maximise([mean, 0.5 * Math.log(m2), Math.log(100)], evaluate, clamp, free, n);
    if (alt.ll > best.ll) best = alt;
  }
  const theta = best.theta;
  const mu = theta[0];
  const sigma = Math.exp(theta[1]);
  const nuAtBound = theta[2] >= hi - 1e-12 || theta[2] <= lo + 1e-12;
  const nu = nuAtBound ? (theta[2] > 0 ? NU_MAX : NU_MIN) : Math.exp(theta[2]);
  const loglik = best.ll / n;
  const ks = ksStatistic(sorted, (v) => studentTCdf((v - mu) / sigma, nu));
  return { mu, sigma, nu, loglik, ks, nuAtBound };
}

/** numpy's default (type 7, linear) quantile of sorted data. */
export function quantileSorted(sorted: Float64Array | Float32Array, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new MetricInputError('fits.ts', 'quantile of an empty array');
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
 * Gaussian, logistic and Student-t MLE fits of the finite elements of `x` (subsampled above
 * `maxSample`, see the file header). null when fewer than 2 distinct finite values exist.
 */
export function fitDistributions(x: NumericArray, options: { maxSample?: number } = {}): DistributionFits | null {
  const sample = fitSample(x, options.maxSample ?? DEFAULT_MAX_FIT_SAMPLE);
  const sorted = sample.sorted;
  if (sorted.length < 2 || sorted[0] === sorted[sorted.length - 1]) return null;
  return {
    gaussian: fitGaussian(sorted),
    logistic: fitLogistic(sorted),
    studentT: fitStudentT(sorted),
    sampleSize: sorted.length,
    sampled: sample.sampled,
    nonFinite: sample.nonFinite,
  };
}
