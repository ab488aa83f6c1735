import { describe, expect, it } from 'vitest';
import {
  digamma,
  erf,
  erfc,
  fitDistributions,
  fitSample,
  incompleteBeta,
  ksStatistic,
  lgamma,
  logisticCdf,
  normalCdf,
  studentTCdf,
  studentTLogLikelihood,
  studentTLogPdf,
  trigamma,
} from '../../../main/metrics/fits';
import { expected, expectClose, loadArray, type Json } from './fixtures';

const special = expected.special;

describe('special functions vs scipy.special', () => {
  it('erf, erfc, ndtr (relative 1e-13, tails included)', () => {
    for (const c of special.erf as Json[]) {
      expectClose(erf(c.x), c.erf, 1e-14, 1e-300, `erf(${c.x})`);
      expectClose(erfc(c.x), c.erfc, 2e-13, 1e-300, `erfc(${c.x})`);
      expectClose(normalCdf(c.x), c.ndtr, 2e-13, 1e-300, `ndtr(${c.x})`);
    }
  });
  it('lgamma, digamma, trigamma', () => {
    for (const c of special.gamma as Json[]) {
      expectClose(lgamma(c.x), c.lgamma, 1e-14, 1e-14, `lgamma(${c.x})`);
      expectClose(digamma(c.x), c.digamma, 1e-13, 1e-14, `digamma(${c.x})`);
      expectClose(trigamma(c.x), c.trigamma, 1e-13, 0, `trigamma(${c.x})`);
    }
  });
  it('regularized incomplete beta (1e-12)', () => {
    for (const c of special.betainc as Json[]) {
      expectClose(incompleteBeta(c.a, c.b, c.x), c.value, 1e-12, 1e-300, `I(${c.a},${c.b},${c.x})`);
    }
  });
  it('Student-t CDF and log-pdf (1e-11 relative, both tails)', () => {
    for (const c of special.tcdf as Json[]) {
      expectClose(studentTCdf(c.t, c.nu), c.cdf, 1e-11, 1e-300, `tcdf(${c.t}, ${c.nu})`);
      expectClose(studentTLogPdf(c.t, c.nu), c.logpdf, 1e-12, 1e-12, `tlogpdf(${c.t}, ${c.nu})`);
    }
  });
});

describe('distribution fits vs scipy.stats', () => {
  for (const [name, c] of Object.entries(expected.fits as Record<string, Json>)) {
    describe(name, () => {
      const x = loadArray(c.array);
      const fits = fitDistributions(x)!;
      const sorted = fitSample(x).sorted;

      it('Gaussian: norm.fit, mean logpdf, kstest', () => {
        expectClose(fits.gaussian.mu, c.gaussian.mu, 1e-12, 1e-12 * c.gaussian.sigma, 'mu');
        expectClose(fits.gaussian.sigma, c.gaussian.sigma, 1e-12, 0, 'sigma');
        expectClose(fits.gaussian.loglik, c.gaussian.loglik, 1e-12, 0, 'loglik');
        expectClose(fits.gaussian.ks, c.gaussian.ks, 0, 1e-12, 'ks');
      });

      it('logistic: score-equation MLE (scipy root), logpdf, kstest', () => {
        expectClose(fits.logistic.mu, c.logistic.mu, 1e-6, 1e-9, 'mu');
        expectClose(fits.logistic.s, c.logistic.s, 1e-6, 0, 's');
        expectClose(fits.logistic.loglik, c.logistic.loglik, 1e-12, 0, 'loglik');
        expectClose(fits.logistic.ks, c.logistic.ks, 0, 1e-6, 'ks');
        expect(fits.logistic.loglik).toBeGreaterThanOrEqual(c.logistic.scipyFit.loglik - 1e-12);
      });

      it('Student-t: at least as likely as scipy t.fit; parameters match a tight reference MLE', () => {
        const t = fits.studentT;
        expect(t.loglik).toBeGreaterThanOrEqual(c.studentT.scipyFit.loglik - 1e-6);
        if (c.studentT.nu < 1e4) {
          expect(t.loglik).toBeGreaterThanOrEqual(c.studentT.loglik - 1e-9);
          expectClose(t.mu, c.studentT.mu, 1e-4, 1e-4 * c.studentT.sigma, 'mu');
          expectClose(t.sigma, c.studentT.sigma, 1e-4, 0, 'sigma');
          expectClose(t.nu, c.studentT.nu, 1e-3, 0, 'nu');
          expectClose(t.ks, c.studentT.ks, 0, 1e-5, 'ks');
          expect(t.nuAtBound).toBe(false);
        } else {
          // Gaussian data: the MLE of nu diverges; the fit stops at the documented bound.
          expect(t.nuAtBound).toBe(true);
          expect(t.nu).toBe(1e4);
        }
      });

      it('KS statistic and CDFs at fixed parameters equal scipy.stats.kstest', () => {
        expectClose(ksStatistic(sorted, (v) => normalCdf((v - 0) / 0.021)), c.ksFixed.normal, 0, 1e-12, 'normal');
        expectClose(ksStatistic(sorted, (v) => logisticCdf((v - 0.001) / 0.011)), c.ksFixed.logistic, 0, 1e-12, 'logistic');
        expectClose(ksStatistic(sorted, (v) => studentTCdf((v - 0.0005) / 0.018, 3.5)), c.ksFixed.t, 0, 1e-12, 't');
      });
    });
  }
});

describe('Student-t likelihood derivatives', () => {
  it('gradient and Hessian agree with central finite differences', () => {
    const sorted = fitSample(loadArray('fit_t3')).sorted.subarray(0, 2000);
    const at = [0.001, Math.log(0.02), Math.log(3.3)];
    const f = (t: number[]) => studentTLogLikelihood(sorted, t[0], Math.exp(t[1]), Math.exp(t[2]));
    const base = f(at);
    const hs = [1e-6, 1e-5, 1e-5];
    for (let i = 0; i < 3; i++) {
      const up = at.slice();
      const dn = at.slice();
      up[i] = up[i] + hs[i];
      dn[i] = dn[i] - hs[i];
      const fu = f(up);
      const fd = f(dn);
      expectClose(base.g[i], (fu.ll - fd.ll) / (2 * hs[i]), 1e-5, 1e-3, `g${i}`);
      for (let j = 0; j < 3; j++) {
        expectClose(base.h[j][i], (fu.g[j] - fd.g[j]) / (2 * hs[i]), 1e-5, 1e-2, `h${j}${i}`);
      }
    }
  });
});

/** Deterministic heavy-tailed sample: t with 5 degrees of freedom (Box-Muller over an LCG). */
function tSample(n: number, scale: number): Float32Array {
  let s = 2024;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  return new Float32Array(n).map(() => {
    let chi = 0;
    for (let k = 0; k < 5; k++) chi += normal() ** 2;
    return (scale * normal()) / Math.sqrt(chi / 5);
  });
}

describe('large samples (warm start + blocked KS)', () => {
  const x = tSample(400_000, 0.02);
  const fits = fitDistributions(x)!;
  const sorted = fitSample(x).sorted;

  it('KS with block bounds equals the plain loop over every element', () => {
    const cdfs: [string, (v: number) => number, number][] = [
      ['gaussian', (v) => normalCdf((v - fits.gaussian.mu) / fits.gaussian.sigma), fits.gaussian.ks],
      ['logistic', (v) => logisticCdf((v - fits.logistic.mu) / fits.logistic.s), fits.logistic.ks],
      ['t', (v) => studentTCdf((v - fits.studentT.mu) / fits.studentT.sigma, fits.studentT.nu), fits.studentT.ks],
    ];
    for (const [name, cdf, ks] of cdfs) {
      let naive = 0;
      for (let i = 0; i < sorted.length; i++) {
        const f = cdf(sorted[i]);
        naive = Math.max(naive, f - i / sorted.length, (i + 1) / sorted.length - f);
      }
      expectClose(ks, naive, 0, 1e-15, name);
    }
  });

  it('the logistic fit solves its score equations on the whole sample', () => {
    let s1 = 0;
    let s2 = 0;
    for (const v of sorted) {
      const z = (v - fits.logistic.mu) / fits.logistic.s;
      const t = Math.tanh(z / 2);
      s1 += t;
      s2 += z * t - 1;
    }
    expect(Math.abs(s1) / sorted.length).toBeLessThan(1e-10);
    expect(Math.abs(s2) / sorted.length).toBeLessThan(1e-10);
  });

  it('the Student-t fit is a stationary point of the whole-sample likelihood, near nu = 5', () => {
    const t = fits.studentT;
    const obj = studentTLogLikelihood(sorted, t.mu, t.sigma, t.nu);
    for (const g of obj.g) expect(Math.abs(g) / sorted.length).toBeLessThan(1e-9);
    expectClose(obj.ll / sorted.length, t.loglik, 1e-14, 0, 'loglik');
    expect(Math.abs(t.nu - 5)).toBeLessThan(0.2);
  });
});

describe('fit sampling', () => {
  it('uses every finite element up to the limit and a deterministic stratified subsample above', () => {
    const x = new Float32Array(5000).map((_, i) => Math.sin(i) * 0.1);
    x[3] = NaN;
    const all = fitSample(x);
    expect(all.sorted.length).toBe(4999);
    expect(all.sampled).toBe(false);
    expect(all.nonFinite.nan).toBe(1);
    const a = fitSample(x, 1000);
    const b = fitSample(x, 1000);
    expect(a.sampled).toBe(true);
    expect(a.sorted.length).toBeLessThanOrEqual(1000);
    expect(Array.from(a.sorted)).toEqual(Array.from(b.sorted));
    const f = fitDistributions(x, { maxSample: 1000 })!;
    expect(f.sampleSize).toBe(a.sorted.length);
    expect(fitDistributions(new Float32Array(10).fill(1))).toBeNull();
  });

  it('stays finite on degenerate data (mostly one repeated value): scales floored at 1e-6 std', () => {
    const x = new Float64Array(1000).map((_, i) => (i % 100 === 0 ? 1 : 0));
    const f = fitDistributions(x)!;
    const std = f.gaussian.sigma;
    expect(f.studentT.sigma).toBeGreaterThanOrEqual(1e-6 * std * (1 - 1e-12));
    expect(f.logistic.s).toBeGreaterThanOrEqual(1e-6 * std * (1 - 1e-12));
    for (const v of [f.studentT.loglik, f.studentT.ks, f.logistic.loglik, f.logistic.ks, f.studentT.nu]) {
      expect(Number.isFinite(v)).toBe(true);
    }
  });
});
