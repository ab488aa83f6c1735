import { describe, expect, it } from 'vitest';
import { moments, MomentsAccumulator, type Moments } from '../../../main/metrics/moments';
import { expected, expectClose, loadArray, type Json } from './fixtures';
import { synthetic } from './synthetic';

function compare(got: Moments, want: Json, rel: number, what: string): void {
  expect(got.count).toBe(want.count);
  expect(got.nonFinite).toEqual(want.nonFinite);
  expect(got.min).toBe(want.min);
  expect(got.max).toBe(want.max);
  expect(got.absmax).toBe(want.absmax);
  expectClose(got.mean, want.mean, 1e-14, 1e-12 * want.std, `${what} mean`);
  expectClose(got.std, want.std, rel, 0, `${what} std`);
  // Skewness can be near 0: compare on an absolute scale too.
  expectClose(got.skewness, want.skewness, rel, rel, `${what} skewness`);
  expectClose(got.excessKurtosis, want.excessKurtosis, rel, rel, `${what} excessKurtosis`);
  expectClose(got.sumSquares, want.sumSquares, 1e-13, 0, `${what} sumSquares`);
  expectClose(got.frobeniusNorm, want.frobeniusNorm, 1e-13, 0, `${what} frobeniusNorm`);
}

describe('moments', () => {
  const cases = expected.moments as Record<string, Json>;
  for (const [name, c] of Object.entries(cases)) {
    it(`matches extended-precision numpy on ${name}`, () => {
      const x = c.synthetic
        ? synthetic(c.synthetic.n, c.synthetic.seed, c.synthetic.offset, c.synthetic.scale, c.synthetic.dtype)
        : loadArray(c.array);
      compare(moments(x), c.expected, 1e-9, name);
    });
  }

  it('is independent of how the tensor is streamed in pieces', () => {
    const c = cases.offset_f64;
    const x = synthetic(c.synthetic.n, c.synthetic.seed, c.synthetic.offset, c.synthetic.scale, 'f64');
    const acc = new MomentsAccumulator();
    const pieces = [0, 1, 7, 12345, 400000, 999_999, x.length];
    for (let i = 0; i + 1 < pieces.length; i++) acc.add(x.subarray(pieces[i], pieces[i + 1]));
    // And merging two accumulators built separately.
    const left = new MomentsAccumulator().add(x.subarray(0, 333_333));
    const right = new MomentsAccumulator().add(x.subarray(333_333));
    compare(acc.result(), c.expected, 1e-9, 'streamed');
    compare(left.merge(right).result(), c.expected, 1e-9, 'merged');
  });

  it('closed forms: small exact vectors', () => {
    const m = moments(new Float64Array([1, 2, 3, 4]));
    expect(m.mean).toBe(2.5);
    expectClose(m.std, Math.sqrt(1.25), 1e-15);
    expect(m.skewness).toBeCloseTo(0, 15);
    // m4 = (2*1.5^4 + 2*0.5^4)/4 = 2.5625; m2^2 = 1.5625
    expectClose(m.excessKurtosis, 2.5625 / 1.5625 - 3, 1e-14);
    expect(m.sumSquares).toBe(30);
    expect(m.absmax).toBe(4);
    const skewed = moments(new Float64Array([0, 0, 0, 1]));
    // mean 0.25, m2 = 0.1875, m3 = (3*(-0.25)^3 + 0.75^3)/4 = 0.09375
    expectClose(skewed.skewness, 0.09375 / Math.pow(0.1875, 1.5), 1e-14);
  });

  it('constant, empty and all-non-finite tensors', () => {
    const c = moments(new Float32Array(1000).fill(0.1));
    expect(c.std).toBe(0);
    expect(c.skewness).toBeNull();
    expect(c.excessKurtosis).toBeNull();
    expect(c.mean).toBe(Math.fround(0.1));
    const e = moments(new Float32Array(0));
    expect(e.count).toBe(0);
    expect(e.mean).toBeNull();
    expect(e.frobeniusNorm).toBe(0);
    const bad = moments(new Float64Array([NaN, Infinity, -Infinity, NaN]));
    expect(bad.count).toBe(0);
    expect(bad.nonFinite).toEqual({ nan: 2, posInf: 1, negInf: 1 });
    expect(bad.std).toBeNull();
    const mixed = moments(new Float64Array([NaN, 1, 3, Infinity]));
    expect(mixed.mean).toBe(2);
    expect(mixed.std).toBe(1);
    expect(Number.isFinite(mixed.excessKurtosis)).toBe(true);
  });
});
