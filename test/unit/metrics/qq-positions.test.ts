// QQ plotting positions (issue 15 #10): a tensor of n values is plotted only at probabilities its
// order statistics support (Blom's p_i = (i - 3/8) / (n + 1/4)), with type-9 empirical quantiles,
// so a Gaussian sample's QQ points follow y = x out to its extremes instead of ending in flat
// shelves where the theoretical quantiles reach p = 1e-6 and the empirical ones stay at the minimum.
import { describe, expect, it } from 'vitest';
import { fitDistributions } from '../../../main/metrics/fits';
import { blomPosition, blomQuantileAt, normalQuantile, qq, qqProbabilities } from '../../../main/metrics/qq';
import { blom, loadBlomArray } from './qq-blom-fixture';

describe('plotting positions', () => {
  it('n = 10: the grid is Blom p_1 .. p_10 with the fixed grid points between them', () => {
    const n = 10;
    const p = qqProbabilities(n);
    expect(p[0]).toBe(0.625 / 10.25);
    expect(p[p.length - 1]).toBe(9.625 / 10.25);
    const inside = qqProbabilities().filter((v) => v > 0.625 / 10.25 && v < 9.625 / 10.25);
    expect(p.slice(1, -1)).toEqual(inside);
    for (let i = 1; i < p.length; i++) expect(p[i]).toBeGreaterThan(p[i - 1]);
    // 0.02 .. 0.98 fit inside (0.061, 0.939)? only 0.07 .. 0.93: 87 body points, no tail points
    expect(inside[0]).toBeCloseTo(0.07, 15);
    expect(inside.length).toBe(87);
  });

  it('the type-9 quantile at p_i is exactly the i-th order statistic, linear between', () => {
    const sorted = [-3, -1, -0.5, 0, 0.25, 1, 2, 2, 5, 9];
    const n = sorted.length;
    for (let i = 1; i <= n; i++) expect(blomQuantileAt(n, blomPosition(i, n), (k) => sorted[k])).toBe(sorted[i - 1]);
    // halfway between p_3 and p_4: halfway between x_(3) and x_(4)
    const mid = (blomPosition(3, n) + blomPosition(4, n)) / 2;
    expect(blomQuantileAt(n, mid, (k) => sorted[k])).toBeCloseTo(-0.25, 14);
    // outside [p_1, p_n]: the extremes
    expect(blomQuantileAt(n, 1e-6, (k) => sorted[k])).toBe(-3);
    expect(blomQuantileAt(n, 1 - 1e-6, (k) => sorted[k])).toBe(9);
  });

  it('a tensor large enough for p = 1e-6 keeps the whole fixed grid, plus its extremes', () => {
    const n = 20_000_000;
    const p = qqProbabilities(n);
    expect(p.length).toBe(139 + 2);
    expect(p[0]).toBeLessThan(1e-6);
    expect(p.slice(1, -1)).toEqual(qqProbabilities());
  });

  it('refuses fewer than 2 values by name', () => {
    expect(() => qqProbabilities(1)).toThrow(/qq\.ts.*at least 2/);
  });
});

describe('QQ of a Gaussian sample (n = 2,304, numpy default_rng(15)) against its fit', () => {
  const x = loadBlomArray('qq_gauss_2304');
  const data = qq(x, { fits: fitDistributions(x) })!;

  it('matches numpy type-9 quantiles at the supported positions', () => {
    const ref = blom.qq_gauss_2304;
    expect(data.probabilities.length).toBe(ref.probabilities.length);
    data.probabilities.forEach((p, i) => expect(Math.abs(p - ref.probabilities[i])).toBeLessThan(1e-15));
    data.empirical.forEach((v, i) => expect(Math.abs(v - ref.empirical[i])).toBeLessThan(1e-9));
  });

  it('every point lies on y = x within 4 standard errors of its order statistic, over the full range', () => {
    // Asymptotic s.e. of the p-quantile of n standard normals: sqrt(p(1-p)/n) / phi(z_p),
    // capped at 0.6 sigma (the extremes' s.e. is ~0.35 sigma), plus 0.05 for the fitted standardisation.
    const n = data.count;
    expect(n).toBe(2304);
    let worst = 0;
    data.probabilities.forEach((p, i) => {
      const z = normalQuantile(p);
      const se = Math.sqrt((p * (1 - p)) / n) / (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI));
      const tol = Math.min(4 * se, 0.6) + 0.05;
      const d = Math.abs(data.empirical[i] - data.gaussian[i]);
      worst = Math.max(worst, d / tol);
      expect(d, `p = ${p}: empirical ${data.empirical[i]} vs Gaussian ${data.gaussian[i]}`).toBeLessThan(tol);
    });
    expect(worst).toBeLessThan(1);
    // The theoretical axis ends where the sample does (Blom p_1 = 2.7e-4, z = -3.46), not at p = 1e-6 (z = -4.75).
    expect(data.gaussian[0]).toBeGreaterThan(-3.6);
    expect(data.gaussian[data.gaussian.length - 1]).toBeLessThan(3.6);
  });

  it('no flat shelves: the 5 outermost points on each side have distinct empirical values', () => {
    const lo = data.empirical.slice(0, 5);
    const hi = data.empirical.slice(-5);
    expect(new Set(lo).size).toBe(5);
    expect(new Set(hi).size).toBe(5);
  });
});
