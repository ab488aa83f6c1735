// Issue 16 item 6: the faster fits (radix-sorted samples, sums over distinct values weighted by
// their counts, radix selection of the QQ order statistics) against the element-by-element code
// they replaced (test/unit/metrics/reference/fits-before.ts, the code of commit 24a1641) and
// against full sorts.
import { describe, expect, it } from 'vitest';
import { distinctOf, fitDistributions, type DistributionFits, fitSample, ksStatistic, medianAbsDeviation, normalCdf, quantileSorted, sortFloat32, studentTLogLikelihood } from '../../../main/metrics/fits';
import { finiteCount, radixCensus, selectFloat32 } from '../../../main/metrics/radix-select';
import { remainder, sortFloat32WithDistinct } from '../../../main/metrics/fit-sample';
import { finiteQuantiles, qqProbabilities, sortedFinite } from '../../../main/metrics/qq';
import * as before from './reference/fits-before';

/** Deterministic Student-t(nu) sample of scale `scale` (Box-Muller over an LCG). */
function tSample(n: number, scale: number, nu: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  return new Float64Array(n).map(() => {
    let chi = 0;
    for (let k = 0; k < nu; k++) chi += normal() ** 2;
    return 0.001 + (scale * normal()) / Math.sqrt(chi / nu);
  });
}

/** Rounds to float16 (round to nearest even) and back: a float16 checkpoint's values as float32. */
function toHalf(x: Float64Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const a = Math.abs(v);
    if (!Number.isFinite(v) || a === 0) {
      out[i] = v;
      continue;
    }
    const e = Math.max(-14, Math.floor(Math.log2(a)));
    const ulp = 2 ** (e - 10);
    let q = a / ulp;
    const f = Math.floor(q);
    q = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
    out[i] = Math.sign(v) * Math.min(65504, q * ulp);
  }
  return out;
}

/** The values of x in first-seen order with later repeats left out. */
function withoutTies(x: Float32Array): Float32Array {
  const seen = new Set<number>();
  return Float32Array.from(Array.from(x).filter((v) => !seen.has(v) && !!seen.add(v)));
}

function relClose(a: number, b: number, rel: number, abs: number, what: string): void {
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(abs + rel * Math.abs(b));
}

/** The iterative fits of `now` at the optimum `old` reached, to the sum's rounding (see below). */
function sameOptimum(now: DistributionFits, old: DistributionFits, sorted: Float64Array): void {
  // Tolerances: near the optimum a sum of 10^6 log-likelihood terms is flat to its rounding
  // over parameter changes of ~1e-8 relative, where both optimisers stop (main/metrics/newton.ts
  // refuses steps that do not raise it); the fixtures against scipy allow 1e-6 (logistic) and
  // 1e-4 (Student-t) on the parameters and 1e-12 on the log-likelihoods. Both solve the score
  // equations on every element (checked below for the new fit).
  relClose(now.logistic.mu, old.logistic.mu, 0, 1e-7 * old.logistic.s, 'logistic mu');
  relClose(now.logistic.s, old.logistic.s, 1e-7, 0, 'logistic s');
  relClose(now.logistic.loglik, old.logistic.loglik, 1e-12, 0, 'logistic loglik');
  relClose(now.logistic.ks, old.logistic.ks, 0, 1e-8, 'logistic ks');
  relClose(now.studentT.mu, old.studentT.mu, 0, 1e-6 * old.studentT.sigma, 't mu');
  relClose(now.studentT.sigma, old.studentT.sigma, 1e-6, 0, 't sigma');
  relClose(now.studentT.nu, old.studentT.nu, 1e-5, 0, 't nu');
  relClose(now.studentT.loglik, old.studentT.loglik, 1e-12, 0, 't loglik');
  relClose(now.studentT.ks, old.studentT.ks, 0, 1e-8, 't ks');
  expect(now.studentT.nuAtBound).toBe(old.studentT.nuAtBound);
  const score = (mu: number, s: number): number => {
    let s1 = 0;
    let s2 = 0;
    for (const v of sorted) {
      const z = (v - mu) / s;
      const t = Math.tanh(z / 2);
      s1 += t;
      s2 += z * t - 1;
    }
    return Math.max(Math.abs(s1), Math.abs(s2)) / sorted.length;
  };
  // The heavy-tailed case stops at 1.2e-8 (before: 1.1e-11), the others below 1e-13.
  expect(score(now.logistic.mu, now.logistic.s)).toBeLessThan(1e-7);
  const g = studentTLogLikelihood(sorted, now.studentT.mu, now.studentT.sigma, now.studentT.nu).g;
  for (const [k, v] of g.entries()) if (k < 2 || !now.studentT.nuAtBound) expect(Math.abs(v) / sorted.length).toBeLessThan(1e-9);
}

describe('radix sort and distinct values', () => {
  it('sortFloat32 equals a full Float64 sort (signed zeros, subnormals, extremes)', () => {
    const x = new Float32Array(tSample(50_000, 0.02, 3, 7));
    x[1] = -0;
    x[2] = 0;
    x[3] = 1e-45;
    x[4] = -1e-45;
    x[5] = 3.4e38;
    x[6] = -3.4e38;
    for (let i = 7; i < 2000; i++) x[i] = x[i % 50];
    const want = Float64Array.from(x).sort();
    const got = sortFloat32(x);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect(`${i}: ${got[i]}`).toBe(`${i}: ${want[i]}`);
  });

  it('float16/bfloat16 values: one counting pass gives the same sort, and distinctOf of it', () => {
    const half = toHalf(tSample(60_000, 0.02, 3, 17));
    half.set([-0, 0, 0, -0, 2 ** -24, -(2 ** -24), 3 * 2 ** -24, 65504, -65504, 2 ** -14], 0);
    const bf16 = Float32Array.from(tSample(60_000, 0.5, 2, 18), (v) => {
      const w = new Uint32Array(new Float32Array([v]).buffer);
      w[0] &= 0xffff0000;
      return new Float32Array(w.buffer)[0];
    });
    bf16.set([0, -0, 3.3895313892515355e38, -3.3895313892515355e38], 0);
    for (const x of [half, bf16]) {
      const want = Float64Array.from(x).sort();
      const { sorted, distinct } = sortFloat32WithDistinct(x);
      expect(distinct, 'counting path taken').toBeDefined();
      expect(sorted.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) if (!Object.is(sorted[i], want[i])) expect(`${i}: ${sorted[i]}`).toBe(`${i}: ${want[i]}`);
      expect(distinct).toEqual(distinctOf(want));
    }
    // A value with any of the low 13 bits set: the radix sort, no distinct values from it.
    const mixed = half.slice();
    mixed[7] = 0.0123456789;
    expect(sortFloat32WithDistinct(mixed).distinct).toBeUndefined();
    expect(sortFloat32WithDistinct(mixed).sorted).toEqual(Float64Array.from(mixed).sort());
  });

  it('the sample positions use an exact remainder: h - floor(h / w) w equals h % w on integers', () => {
    const hs = [0, 1, 2, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32 - 2, 123456789, 4294967291];
    const ws = [1, 2, 3, 38, 39, 4095, 65537, 2 ** 31 - 1, 2 ** 32 - 1, 1_000_003];
    let seed = 3;
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      hs.push(seed);
      ws.push(1 + (seed % 100_000));
    }
    for (const h of hs) for (const w of ws.slice(0, 10)) expect(remainder(h, w)).toBe(h % w);
    for (let i = 0; i < hs.length; i++) expect(remainder(hs[i], ws[i % ws.length])).toBe(hs[i] % ws[i % ws.length]);
  });

  it('distinctOf counts each value once with its multiplicity', () => {
    const d = distinctOf(new Float64Array([-1, -1, 0, 2, 2, 2, 5]));
    expect(Array.from(d.values)).toEqual([-1, 0, 2, 5]);
    expect(Array.from(d.counts)).toEqual([2, 1, 3, 1]);
    expect(Array.from(d.before)).toEqual([0, 2, 3, 6, 7]);
    expect(d.n).toBe(7);
  });

  it('KS over distinct values equals the plain loop over every element, ties included', () => {
    const sorted = Float64Array.from(toHalf(tSample(200_000, 0.02, 4, 11))).sort();
    expect(distinctOf(sorted).values.length).toBeLessThan(sorted.length / 5);
    const cdf = (v: number): number => normalCdf((v - 0.001) / 0.021);
    let naive = 0;
    for (let i = 0; i < sorted.length; i++) {
      const f = cdf(sorted[i]);
      naive = Math.max(naive, f - i / sorted.length, (i + 1) / sorted.length - f);
    }
    expect(ksStatistic(sorted, cdf)).toBe(naive);
  });
});

describe('fits against the element-by-element code they replaced', () => {
  // Without ties every sum has the same terms in the same order as before.
  const cases: [string, Float32Array | Float64Array][] = [
    ['float32, no ties, 20k (direct fits)', withoutTies(new Float32Array(tSample(20_000, 0.02, 3, 1)))],
    ['float64 input, 50k', tSample(50_000, 0.01, 2, 3)],
  ];
  it('the no-ties cases have no ties', () => {
    for (const [, x] of cases) expect(distinctOf(fitSample(x).sorted).values.length).toBe(x.length);
  });
  for (const [name, x] of cases) {
    // Every number the same bits until the Newton decrement stop (main/metrics/newton.ts): the
    // Gaussian fit and the sample still are; the iterative fits stop one to three steps earlier
    // on the same rounding-flat optimum, so they are held to the tolerances below.
    it(`${name}: the same Gaussian bits, the same iterative fits to rounding`, () => {
      const now = fitDistributions(x)!;
      const old = before.fitDistributions(x)!;
      expect([now.gaussian, now.sampleSize, now.sampled, now.nonFinite]).toEqual([old.gaussian, old.sampleSize, old.sampled, old.nonFinite]);
      sameOptimum(now, old, fitSample(x).sorted);
    }, 600_000);
  }

  // Float16 values: a 10^6 sample holds ~10^4 distinct values, so sums are count x term. Above
  // 200,000 elements the warm start is fitted on 10^4 order statistics (was 10^5), so the final
  // Newton steps start elsewhere and stop at another point of the same rounding-flat optimum.
  const half: [string, Float32Array][] = [
    ['float32, no ties, 300k (warm-started fits)', withoutTies(new Float32Array(tSample(300_000, 0.05, 6, 2)))],
    ['float16, heavy tails (nu 3), 150k', toHalf(tSample(150_000, 0.02, 3, 4))],
    ['float16, near-Gaussian (nu 30), 1.2M (subsampled, warm-started)', toHalf(tSample(1_200_000, 0.02, 30, 5))],
    ['float16 with NaN and Inf, 400k (warm-started)', (() => {
      const x = toHalf(tSample(400_000, 0.03, 5, 6));
      for (let i = 0; i < x.length; i += 9973) x[i] = i % 3 === 0 ? NaN : i % 3 === 1 ? Infinity : -Infinity;
      return x;
    })()],
  ];
  for (const [name, x] of half) {
    it(`${name}: the same fits to rounding`, () => {
      const now = fitDistributions(x)!;
      const old = before.fitDistributions(x)!;
      expect(fitSample(x).sorted).toEqual(before.fitSample(x).sorted);
      expect([now.sampleSize, now.sampled, now.nonFinite]).toEqual([old.sampleSize, old.sampled, old.nonFinite]);
      expect(now.gaussian).toEqual(old.gaussian);
      sameOptimum(now, old, fitSample(x).sorted);
    }, 600_000);
  }
});

describe('QQ order statistics by radix selection', () => {
  it('equal the values of a full sort of the finite elements, at every quantile position', () => {
    const x = toHalf(tSample(300_000, 0.02, 3, 8));
    const y = new Float32Array(tSample(300_000, 0.02, 3, 9));
    for (const a of [x, y]) {
      a[10] = NaN;
      a[11] = -Infinity;
      a[12] = -0;
      a[13] = 0;
      a[14] = 1e-45;
      const sorted = sortedFinite(a).sorted;
      expect(finiteCount(a)).toBe(sorted.length);
      const positions = [0, 1, 2, 17, 150_000, sorted.length - 2, sorted.length - 1];
      for (let p = 0; p < sorted.length; p += 997) positions.push(p);
      const wanted = [...new Set(positions)].sort((p, q) => p - q);
      const got = selectFloat32(a, wanted);
      wanted.forEach((pos, k) => expect(Object.is(got[k], sorted[pos]), `position ${pos}: ${got[k]} vs ${sorted[pos]}`).toBe(true));
      const probabilities = qqProbabilities();
      const q = finiteQuantiles(a, probabilities).values;
      probabilities.forEach((p, k) => {
        const h = (sorted.length - 1) * p;
        const lo = Math.floor(h);
        const t = h - lo;
        const av = sorted[lo];
        const bv = sorted[Math.min(sorted.length - 1, lo + 1)];
        expect(q[k]).toBe(t >= 0.5 ? bv - (bv - av) * (1 - t) : av + (bv - av) * t);
      });
      // Blom positions (type 9, the QQ frames' default): the same values as the Float64 path.
      const blom = finiteQuantiles(a, (n) => qqProbabilities(n), 'blom');
      const viaCopy = finiteQuantiles(Float64Array.from(a), (n) => qqProbabilities(n), 'blom');
      expect(blom).toEqual(viaCopy);
    }
  });

  it('one pass for float16/bfloat16 values, two otherwise: the same values as a full sort either way', () => {
    const half = toHalf(tSample(200_000, 0.02, 3, 12));
    const bf16 = Float32Array.from(tSample(200_000, 0.02, 4, 13), (v) => {
      const w = new Uint32Array(new Float32Array([v]).buffer);
      w[0] &= 0xffff0000;
      return new Float32Array(w.buffer)[0];
    });
    bf16[5] = -0;
    bf16[6] = NaN;
    // One value with low bits set among float16 values: the second pass is needed again.
    const mixed = half.slice();
    mixed[100] = 0.0123456789;
    for (const [a, lowZero] of [
      [half, true],
      [bf16, true],
      [mixed, false],
    ] as const) {
      const census = radixCensus(a);
      expect(census.lowBits === 0).toBe(lowZero);
      const sorted = sortedFinite(a).sorted;
      expect(census.finite).toBe(sorted.length);
      const wanted: number[] = [];
      for (let p = 0; p < sorted.length; p += 613) wanted.push(p);
      wanted.push(sorted.length - 1);
      const got = selectFloat32(a, wanted, census);
      wanted.forEach((pos, k) => expect(Object.is(got[k], sorted[pos]), `position ${pos}: ${got[k]} vs ${sorted[pos]}`).toBe(true));
    }
  });

  it('refuses a position past the finite values', () => {
    const a = new Float32Array([1, NaN, 2]);
    expect(() => selectFloat32(a, [2])).toThrow(/past the finite values/);
  });
});

describe('median absolute deviation without sorting the deviations', () => {
  it('equals the type-7 median of the sorted |x - c| (odd and even n, ties, c inside and outside the data)', () => {
    const naive = (sorted: Float64Array, c: number): number => {
      const dev = Float64Array.from(sorted, (v) => Math.abs(v - c)).sort();
      const h = (dev.length - 1) * 0.5;
      const lo = Math.floor(h);
      const a = dev[lo];
      const b = dev[Math.min(dev.length - 1, lo + 1)];
      const t = h - lo;
      return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
    };
    const cases = [
      Float64Array.from(toHalf(tSample(10_001, 0.02, 3, 21))).sort(),
      Float64Array.from(tSample(10_000, 0.02, 5, 22)).sort(),
      new Float64Array([1]),
      new Float64Array([1, 2]),
      new Float64Array([-3, -3, -3, 0, 0, 7, 7, 7, 7]),
    ];
    for (const sorted of cases) {
      const median = quantileSorted(sorted, 0.5);
      for (const c of [median, sorted[0], sorted[sorted.length - 1], median + 0.013, -100, 100]) {
        expect(medianAbsDeviation(sorted, c)).toBe(naive(sorted, c));
      }
    }
  });
});
