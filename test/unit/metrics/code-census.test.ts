// main/metrics/code-census.ts against independent computations on the decoded elements: exact
// rational moments (BigInt sums of the values scaled to integers), a sort of the decoded values
// for order statistics, histogram() of the decoded float32 array and DistanceAccumulator.add of
// decoded pieces; float16 and bfloat16, with NaN, +-Inf, +-0 and subnormals among the codes.
import { describe, expect, it } from 'vitest';
import {
  CODES,
  censusFiniteCount,
  censusHistogram,
  censusMoments,
  censusNonFinite,
  censusOrderStatistics,
  codeValues,
  countCodes,
  finiteCodesByValue,
  type HalfDType,
} from '../../../main/metrics/code-census';
import { histogram, histogramEdges } from '../../../main/metrics/histogram';
import { DistanceAccumulator } from '../../../main/metrics/distance';
import { moments } from '../../../main/metrics/moments';
import { decodeHalfCode } from '../readers/half-codes';


function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SPECIAL: Record<HalfDType, number[]> = {
  // +0, -0, smallest subnormals, largest subnormal, largest finite, +-Inf, NaNs.
  F16: [0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0xfc01],
  BF16: [0x0000, 0x8000, 0x0001, 0x8001, 0x007f, 0x7f7f, 0xff7f, 0x7f80, 0xff80, 0x7fc0, 0xff81],
};

/** Weight-like codes (magnitudes in [2^-8, 2^0)), a few of them repeated specials. */
function codes(dtype: HalfDType, n: number, seed: number, specials = true): Uint16Array {
  const r = rng(seed);
  const out = new Uint16Array(n);
  const [mant, bias] = dtype === 'F16' ? [10, 15] : [7, 127];
  for (let i = 0; i < n; i++) {
    const e = bias - 8 + Math.floor(r() * 8);
    const code = (r() < 0.5 ? 0x8000 : 0) | (e << mant) | Math.floor(r() * (1 << mant));
    out[i] = specials && r() < 0.01 ? SPECIAL[dtype][Math.floor(r() * SPECIAL[dtype].length)] : code;
  }
  return out;
}

function decodeAll(c: Uint16Array, dtype: HalfDType): Float32Array {
  return Float32Array.from(c, (x) => decodeHalfCode(x, dtype));
}

/** Exact central moments of finite values that are multiples of 2^-scale (BigInt sums). */
function exactMoments(x: Float32Array, scale: number): { n: number; mean: number; m2: number; m3: number; m4: number } {
  let n = 0n;
  const s = [0n, 0n, 0n, 0n];
  for (const v of x) {
    if (!Number.isFinite(v)) continue;
    const k = BigInt(v * 2 ** scale);
    n++;
    s[0] += k;
    s[1] += k * k;
    s[2] += k * k * k;
    s[3] += k * k * k * k;
  }
  const [s1, s2, s3, s4] = s;
  const u = 2 ** scale;
  const m2 = Number(n * s2 - s1 * s1) / Number(n * n) / u ** 2;
  const m3 = Number(n * n * s3 - 3n * n * s1 * s2 + 2n * s1 * s1 * s1) / Number(n * n * n) / u ** 3;
  const m4 = Number(n * n * n * s4 - 4n * n * n * s1 * s3 + 6n * n * s1 * s1 * s2 - 3n * s1 * s1 * s1 * s1) / Number(n * n * n * n) / u ** 4;
  return { n: Number(n), mean: Number(s1) / Number(n) / u, m2, m3, m4 };
}

describe('code census', () => {
  for (const dtype of ['F16', 'BF16'] as const) {
    it(`value table and value order match an independent decoder (${dtype})`, () => {
      const values = codeValues(dtype);
      for (let c = 0; c < CODES; c++) expect(Object.is(values[c], decodeHalfCode(c, dtype)) || (Number.isNaN(values[c]) && Number.isNaN(decodeHalfCode(c, dtype)))).toBe(true);
      const order = finiteCodesByValue(dtype);
      const finite = Array.from({ length: CODES }, (_, c) => c).filter((c) => Number.isFinite(decodeHalfCode(c, dtype)));
      expect(order.length).toBe(finite.length);
      // The order an ascending sort of the decoded values gives (-0 before +0).
      const sorted = Float64Array.from(finite, (c) => decodeHalfCode(c, dtype)).sort();
      for (let k = 0; k < order.length; k++) expect(Object.is(values[order[k]], sorted[k])).toBe(true);
    });

    it(`moments are the exact rational moments of the decoded elements (${dtype})`, () => {
      const c = codes(dtype, 200_001, 7, false);
      // A few infinities and NaNs: left out of the moments, counted apart.
      c[5] = SPECIAL[dtype][7];
      c[6] = SPECIAL[dtype][8];
      c[7] = SPECIAL[dtype][9];
      c[8] = SPECIAL[dtype][10];
      const x = decodeAll(c, dtype);
      const census = countCodes(c.subarray(100_000), countCodes(c.subarray(0, 100_000)));
      const m = censusMoments(census, dtype);
      const exact = exactMoments(x, dtype === 'F16' ? 18 : 15);
      expect(m.count).toBe(exact.n);
      expect(m.nonFinite).toEqual({ nan: 2, posInf: 1, negInf: 1 });
      expect(censusNonFinite(census, dtype)).toEqual({ nan: 2, posInf: 1, negInf: 1 });
      expect(censusFiniteCount(census, dtype)).toBe(exact.n);
      const close = (got: number | null, want: number, tol: number): void => expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(tol * Math.abs(want));
      close(m.mean, exact.mean, 1e-12);
      close(m.std, Math.sqrt(exact.m2), 1e-14);
      close(m.skewness, exact.m3 / exact.m2 ** 1.5, 1e-10);
      close(m.excessKurtosis, exact.m4 / exact.m2 ** 2 - 3, 1e-13);
      close(m.sumSquares, exact.n * (exact.m2 + exact.mean ** 2), 1e-14);
      // Extremes exact, and the streaming moments of the decoded array agree to rounding.
      const finite = Array.from(x).filter(Number.isFinite);
      expect(m.min).toBe(finite.reduce((a, b) => Math.min(a, b)));
      expect(m.max).toBe(finite.reduce((a, b) => Math.max(a, b)));
      expect(m.absmax).toBe(finite.reduce((a, b) => Math.max(a, Math.abs(b)), 0));
      const streamed = moments(x);
      close(m.std, streamed.std as number, 1e-12);
      close(m.excessKurtosis, streamed.excessKurtosis as number, 1e-10);
    });

    it(`constant, empty and all-non-finite censuses follow moments() (${dtype})`, () => {
      for (const c of [new Uint16Array(0), Uint16Array.of(SPECIAL[dtype][9], SPECIAL[dtype][7]), new Uint16Array(10).fill(0x3c00), Uint16Array.of(0x0000, 0x8000)]) {
        const got = censusMoments(countCodes(c), dtype);
        const want = moments(decodeAll(c, dtype));
        // JSON: -0 and +0 alike (of {+0, -0} a streaming pass reports whichever it met first).
        expect(JSON.stringify(got)).toBe(JSON.stringify(want));
      }
    });

    it(`histogram counts equal histogram() of the decoded elements (${dtype})`, () => {
      const c = codes(dtype, 100_000, 11);
      const x = decodeAll(c, dtype);
      const census = countCodes(c);
      const finite = Array.from(x).filter(Number.isFinite);
      const lo = finite.reduce((a, b) => Math.min(a, b));
      const hi = finite.reduce((a, b) => Math.max(a, b));
      const absmax = Math.max(-lo, hi);
      // Run-wide ranges (symmetric, exact extremes, narrower than the data: under/overflow).
      for (const [range, bins] of [[{ lo: -absmax, hi: absmax }, 100], [{ lo, hi }, 64], [{ lo: -0.01, hi: 0.02 }, 7], [{ lo: 0, hi: 1 }, 1]] as const) {
        const edges = histogramEdges(range, bins);
        expect(censusHistogram(census, dtype, edges)).toEqual(histogram(x, edges));
      }
    });

    it(`order statistics equal a sort of the decoded finite elements (${dtype})`, () => {
      const c = codes(dtype, 50_000, 13);
      const census = countCodes(c);
      const sorted = Float64Array.from(decodeAll(c, dtype)).filter(Number.isFinite).sort();
      const ranks = [0, 1, 2, 17, 999, 24_000, sorted.length - 2, sorted.length - 1];
      const got = censusOrderStatistics(census, dtype, ranks);
      ranks.forEach((r, k) => expect(Object.is(got[k], sorted[r])).toBe(true));
      expect(() => censusOrderStatistics(census, dtype, [sorted.length])).toThrow(/rank .* past the/);
      // -0 sorts before +0.
      const zeros = censusOrderStatistics(countCodes(Uint16Array.of(0x0000, 0x8000)), dtype, [0, 1]);
      expect(Object.is(zeros[0], -0) && Object.is(zeros[1], 0)).toBe(true);
    });

    it(`distances from codes are bit-identical to distances of the decoded pieces (${dtype})`, () => {
      const other: HalfDType = dtype === 'F16' ? 'BF16' : 'F16';
      const a = codes(dtype, 70_000, 17);
      const b = codes(other, 70_000, 19);
      const want = new DistanceAccumulator().add(decodeAll(a, dtype), decodeAll(b, other)).result();
      const acc = new DistanceAccumulator();
      // Pieces that are multiples of the 16384-element chunk: the same partial sums.
      acc.addCodes(a.subarray(0, 32768), b.subarray(0, 32768), codeValues(dtype), codeValues(other));
      acc.addCodes(a.subarray(32768), b.subarray(32768), codeValues(dtype), codeValues(other));
      expect(acc.result()).toEqual(want);
      expect(want.nonFiniteA.nan + want.nonFiniteB.nan).toBeGreaterThan(0);
      expect(() => new DistanceAccumulator().addCodes(a, b.subarray(1), codeValues(dtype), codeValues(other))).toThrow(/differ in size/);
    });
  }
});
