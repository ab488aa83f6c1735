import { describe, expect, it } from 'vitest';
import { fitDistributions } from '../../../main/metrics/fits';
import {
  empiricalQuantiles,
  logisticQuantile,
  normalQuantile,
  qq,
  qqProbabilities,
  sortedFinite,
  studentTQuantile,
} from '../../../main/metrics/qq';
import { expected, expectClose, loadArray, type Json } from './fixtures';
import { blom } from './qq-blom-fixture';

const ppf = expected.special.ppf;

describe('probability grid', () => {
  it('is the documented 139-point grid, equal to the fixture generator', () => {
    const p = qqProbabilities();
    expect(p.length).toBe(139);
    expect(p.length).toBe(ppf.probabilities.length);
    p.forEach((v, i) => expectClose(v, ppf.probabilities[i], 1e-15, 0, `p[${i}]`));
    for (let i = 1; i < p.length; i++) expect(p[i]).toBeGreaterThan(p[i - 1]);
    expectClose(p[0], 1e-6, 1e-15);
    expectClose(1 - p[p.length - 1], 1e-6, 1e-9);
  });
});

describe('inverse CDFs vs scipy ppf', () => {
  const probs: number[] = ppf.probabilities;
  it('normal (1e-12 relative)', () => {
    probs.forEach((p, i) => expectClose(normalQuantile(p), ppf.normal[i], 1e-12, 1e-15, `norm.ppf(${p})`));
    (ppf.extra.p as number[]).forEach((p, i) =>
      expectClose(normalQuantile(p), ppf.extra.normal[i], 1e-12, 1e-15, `norm.ppf(${p})`),
    );
  });
  it('logistic', () => {
    probs.forEach((p, i) => expectClose(logisticQuantile(p), ppf.logistic[i], 1e-13, 1e-15, `logistic.ppf(${p})`));
  });
  for (const [nu, values] of Object.entries(ppf.studentT as Record<string, number[]>)) {
    it(`Student-t nu=${nu} (1e-10 relative)`, () => {
      probs.forEach((p, i) =>
        expectClose(studentTQuantile(p, Number(nu)), values[i], 1e-10, 1e-13, `t.ppf(${p}, ${nu})`),
      );
    });
  }
});

describe('QQ data vs numpy.quantile', () => {
  for (const [name, c] of Object.entries(expected.fits as Record<string, Json>)) {
    it(`${name}: standardised empirical quantiles (type 9 at the supported positions), fitted quantiles`, () => {
      const x = loadArray(c.array);
      const fits = fitDistributions(x)!;
      const ref = blom[c.array];
      const data = qq(x, { fits })!;
      expectClose(data.mean, c.qq.mean, 1e-13, 1e-13 * c.qq.std, 'mean');
      expectClose(data.std, c.qq.std, 1e-13, 0, 'std');
      expect(data.probabilities.length).toBe(ref.probabilities.length);
      data.probabilities.forEach((p, i) => expectClose(p, ref.probabilities[i], 1e-14, 0, `p[${i}]`));
      const probs = data.probabilities;
      data.empirical.forEach((v, i) => expectClose(v, ref.empirical[i], 1e-10, 1e-10, `q(${probs[i]})`));
      // Theoretical quantiles: the fitted distributions mapped through the same standardisation.
      data.gaussian.forEach((v, i) =>
        expectClose(v, (fits.gaussian.mu + fits.gaussian.sigma * ref.normalPpf[i] - data.mean) / data.std, 1e-11, 1e-11),
      );
      data.logistic.forEach((v, i) =>
        expectClose(v, (fits.logistic.mu + fits.logistic.s * Math.log(probs[i] / (1 - probs[i])) - data.mean) / data.std, 1e-11, 1e-11),
      );
      expect(data.studentT.length).toBe(probs.length);
      expect(data.approximate).toBe(false);
      // Monotone axes.
      for (let i = 1; i < probs.length; i++) {
        expect(data.studentT[i]).toBeGreaterThan(data.studentT[i - 1]);
        expect(data.empirical[i]).toBeGreaterThanOrEqual(data.empirical[i - 1]);
      }
    });
  }

  it('type-7 interpolation on a small exact case and non-finite values are skipped', () => {
    const { sorted } = sortedFinite(new Float64Array([4, NaN, 1, 3, 2, Infinity]));
    expect(Array.from(sorted)).toEqual([1, 2, 3, 4]);
    expect(empiricalQuantiles(sorted, [0, 0.25, 0.5, 1])).toEqual([1, 1.75, 2.5, 4]);
    expect(qq(new Float32Array(8).fill(2))).toBeNull();
  });
});
