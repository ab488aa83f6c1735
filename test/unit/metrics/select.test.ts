// Order statistics by selection (main/metrics/select.ts) equal a full sort's, position by
// position, on the data shapes that stress a quickselect: duplicates (float16-like values),
// sorted and reversed input, constant runs, signed zeros; and the QQ quantiles built on them
// (qq.ts finiteQuantiles) equal numpy-type-7 quantiles of the fully sorted finite values.
import { describe, expect, it } from 'vitest';
import { selectInPlace } from '../../../main/metrics/select';
import { empiricalQuantiles, finiteQuantiles, qqProbabilities, sortedFinite } from '../../../main/metrics/qq';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s + 0.5) / 4294967296;
  };
}

const shapes: Record<string, (n: number, r: () => number) => number> = {
  uniform: (_, r) => r() - 0.5,
  fewValues: (_, r) => Math.round((r() - 0.5) * 20) / 4,
  sorted: (i) => i * 0.5,
  reversed: (i) => -i,
  constant: () => 3,
  signedZeros: (i, r) => (r() < 0.5 ? (i % 2 ? -0 : 0) : r()),
};

describe('selectInPlace', () => {
  for (const [name, make] of Object.entries(shapes)) {
    it(`${name}: every requested position holds the sorted value`, () => {
      for (const n of [1, 7, 25, 1000, 30011]) {
        const r = rng(n * 31 + name.length);
        const a = Float64Array.from({ length: n }, (_, i) => make(i, r));
        const sorted = Float64Array.from(a).sort();
        const targets = [...new Set([0, n - 1, n >> 1, Math.floor(n / 3), Math.floor(r() * n), Math.floor(r() * n)])].sort((p, q) => p - q);
        const b = Float32Array.from(a);
        const sorted32 = Float32Array.from(b).sort();
        selectInPlace(a, targets);
        selectInPlace(b, targets);
        for (const k of targets) {
          expect(a[k] === sorted[k], `${name} n=${n} k=${k}: ${a[k]} vs ${sorted[k]}`).toBe(true);
          expect(b[k] === sorted32[k]).toBe(true);
        }
        // Still a permutation of the input.
        expect(Float64Array.from(a).sort()).toEqual(sorted);
      }
    });
  }

  it('all positions requested: the array ends sorted', () => {
    const r = rng(5);
    const a = Float64Array.from({ length: 5000 }, () => Math.round(r() * 50));
    selectInPlace(a, Array.from({ length: 5000 }, (_, i) => i));
    expect(a).toEqual(Float64Array.from(a).sort());
  });
});

describe('finiteQuantiles', () => {
  it('equals type-7 quantiles of the sorted finite values, for float32 and float64 input', () => {
    const r = rng(11);
    const p = qqProbabilities();
    for (const n of [2, 139, 10007, 200000]) {
      const x64 = Float64Array.from({ length: n }, (_, i) => (i % 97 === 5 ? NaN : i % 89 === 3 ? -Infinity : Math.round((r() - 0.5) * 1e4) / 1e3));
      for (const x of [x64, Float32Array.from(x64)]) {
        const want = empiricalQuantiles(sortedFinite(x).sorted, p);
        const got = finiteQuantiles(x, p);
        expect(got.values).toEqual(want);
        expect(got.approximate).toBe(false);
      }
    }
  });
});
