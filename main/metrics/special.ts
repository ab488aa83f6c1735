// Special functions for the distribution fits (main/metrics/fits.ts) and QQ quantiles
// (main/metrics/qq.ts), float64 throughout.
// Why hand-written: no npm package offers an incomplete beta accurate to ~1e-12 (nor the
// Student-t fit that needs it), and the app must not run Python. The special functions here
// (erf/erfc, log-gamma, digamma, trigamma, regularized incomplete beta) are written from their
// series/continued fractions and tested against scipy.special:
//   erf:  Taylor series erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (2n+1)!! (all terms
//         positive, no cancellation) for |x| < 2; erfc: Laplace continued fraction for x >= 2
//         (relative accuracy in the far tail), 1 - erf below.
//   lgamma: Stirling series for x >= 10, shifted up by the recurrence below 10.
//   digamma/trigamma: asymptotic series for x >= 10 with the recurrence below.
//   incomplete beta: Numerical Recipes' betacf continued fraction (modified Lentz), using the
//         symmetry I_x(a,b) = 1 - I_{1-x}(b,a) with 1-x passed in exactly.
import { MetricInputError } from './moments';

const SQRT_PI = Math.sqrt(Math.PI);
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function erfSeries(x: number): number {
  // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_{n>=0} 2^n x^{2n+1} / (1*3*...*(2n+1))
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return ((2 / SQRT_PI) * Math.exp(-x2) * sum);
}

/** erfc(x) for x >= 2 by the continued fraction erfc = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 5000; n++) {
    const a = n / 2;
    d = x + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 2) return erfSeries(x);
  const c = x > 0 ? erfcContinuedFraction(x) : erfcContinuedFraction(-x);
  return x > 0 ? 1 - c : c - 1;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 2) return x > 27 ? 0 : erfcContinuedFraction(x);
  if (x > -2) return 1 - erfSeries(x);
  return 2 - (x < -27 ? 0 : erfcContinuedFraction(-x));
}

/** Standard normal CDF, accurate in relative terms in both tails. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LN_SQRT_2PI);
}

/** log Gamma(x) for x > 0. */
export function lgamma(x: number): number {
  if (!(x > 0)) throw new MetricInputError('special.ts', `lgamma needs x > 0, got ${x}`);
  let shift = 0;
  let prod = 1;
  while (x < 10) {
    prod *= x;
    x += 1;
    // Keep the product in range for tiny x.
    if (prod > 1e280 || prod < 1e-280) {
      shift += Math.log(prod);
      prod = 1;
    }
  }
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingSeries(x) - Math.log(prod) - shift;
}

/** lgamma(x) - [(x - 1/2) ln x - x + ln sqrt(2 pi)] for x >= 10. */
function stirlingSeries(x: number): number {
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    inv *
    (1 / 12 -
      inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188 - inv2 * (691 / 360360 - inv2 / 156))))))
  );
}

/** log B(a, b) without the cancellation of three large lgamma values when a or b is large. */
export function logBeta(a: number, b: number): number {
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < 10) return lgamma(a) + lgamma(b) - lgamma(a + b);
  // lgamma(big + small) - lgamma(big) by Stirling, written as differences of small terms.
  const ratio =
    (big - 0.5) * Math.log1p(small / big) +
    small * Math.log(big + small) -
    small +
    stirlingSeries(big + small) -
    stirlingSeries(big);
  return lgamma(small) - ratio;
}

export function digamma(x: number): number {
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    acc +
    Math.log(x) -
    0.5 * inv -
    inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - (691 / 32760) * inv2)))))
  );
}

export function trigamma(x: number): number {
  let acc = 0;
  while (x < 10) {
    acc += 1 / (x * x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    acc +
    inv +
    0.5 * inv2 +
    inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 * (1 / 30 - inv2 * (5 / 66 - (691 / 2730) * inv2)))))
  );
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  throw new MetricInputError('special.ts', `incomplete beta did not converge (a=${a}, b=${b}, x=${x})`);
}

/**
 * Regularized incomplete beta I_x(a, b). `y` = 1 - x when the caller knows it more precisely
 * than 1 - x can be rounded (e.g. t^2/(nu+t^2)).
 */
export function incompleteBeta(a: number, b: number, x: number, y: number = 1 - x): number {
  if (!(a > 0 && b > 0)) throw new MetricInputError('special.ts', `incomplete beta needs a, b > 0`);
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  return incompleteBetaGiven(logBeta(a, b), a, b, x, y);
}

/** incompleteBeta with log B(a, b) already known (hoisted out of loops over x; the same bits). */
function incompleteBetaGiven(lnB: number, a: number, b: number, x: number, y: number): number {
  const lnFront = -lnB + a * Math.log(x) + b * Math.log(y);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, y)) / b;
}

/** Lower tail P(T <= t) of Student's t with nu degrees of freedom, for t <= 0 (relative accuracy). */
function studentTLowerTail(t: number, nu: number): number {
  const t2 = t * t;
  const x = nu / (nu + t2);
  const y = t2 / (nu + t2);
  return 0.5 * incompleteBeta(nu / 2, 0.5, x, y);
}

/** Standard Student-t CDF. */
export function studentTCdf(t: number, nu: number): number {
  if (Number.isNaN(t)) return NaN;
  if (t === -Infinity) return 0;
  if (t === Infinity) return 1;
  return t <= 0 ? studentTLowerTail(t, nu) : 1 - studentTLowerTail(-t, nu);
}

/** Upper tail P(T > t) for t >= 0, by symmetry (relative accuracy). */
export function studentTSurvival(t: number, nu: number): number {
  return studentTCdf(-t, nu);
}

export function studentTLogPdf(t: number, nu: number): number {
  return -logBeta(nu / 2, 0.5) - 0.5 * Math.log(nu) - ((nu + 1) / 2) * Math.log1p((t * t) / nu);
}

/**
 * studentTCdf(., nu) and studentTLogPdf(., nu) for one nu: log B(nu/2, 1/2) (three log-gammas)
 * computed once instead of per call, every result the same bits (issue 16 item 6: the KS scan
 * and the QQ quantiles of the Student-t fit spent ~40% of their time in it).
 */
export function studentTOf(nu: number): { cdf: (t: number) => number; logPdf: (t: number) => number } {
  if (!(nu > 0)) throw new MetricInputError('special.ts', `Student-t needs nu > 0, got ${nu}`);
  const lnB = logBeta(nu / 2, 0.5);
  const a = nu / 2;
  const lower = (t: number): number => {
    const t2 = t * t;
    const x = nu / (nu + t2);
    const y = t2 / (nu + t2);
    if (x <= 0) return 0;
    if (y <= 0) return 0.5;
    return 0.5 * incompleteBetaGiven(lnB, a, 0.5, x, y);
  };
  const front = -lnB - 0.5 * Math.log(nu);
  const half = (nu + 1) / 2;
  return {
    cdf: (t) => {
      if (Number.isNaN(t)) return NaN;
      if (t === -Infinity) return 0;
      if (t === Infinity) return 1;
      return t <= 0 ? lower(t) : 1 - lower(-t);
    },
    logPdf: (t) => front - half * Math.log1p((t * t) / nu),
  };
}

export function logisticCdf(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^v) without overflow. */
function softplus(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

export function logisticLogPdf(z: number): number {
  return -z - 2 * softplus(-z);
}

