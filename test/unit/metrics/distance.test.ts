import { describe, expect, it } from 'vitest';
import { distance } from '../../../main/metrics/distance';
import { MetricInputError } from '../../../main/metrics/moments';
import { expected, expectClose, loadArray } from './fixtures';

describe('distance', () => {
  it('matches extended-precision numpy (and torch) on float32 checkpoints', () => {
    const e = expected.distance;
    const d = distance(loadArray(e.a), loadArray(e.b));
    expectClose(d.dist, e.dist, 1e-13, 0, 'dist');
    expectClose(d.normA, e.normA, 1e-13, 0, 'normA');
    expectClose(d.normB, e.normB, 1e-13, 0, 'normB');
    expectClose(d.cos, e.cos, 1e-13, 0, 'cos');
    expectClose(d.relDist, e.relDist, 1e-13, 0, 'relDist');
    expectClose(d.dist, e.torch.dist, 1e-12, 0, 'torch dist');
    expect(d.count).toBe(50_000);
  });

  it('closed forms and edge cases', () => {
    const d = distance(new Float64Array([3, 0]), new Float64Array([0, 4]));
    expect(d.dist).toBe(5);
    expect(d.cos).toBe(0);
    expect(d.relDist).toBe(5 / 4);
    const same = distance(new Float32Array([1, -2, 3]), new Float32Array([1, -2, 3]));
    expect(same.dist).toBe(0);
    expect(same.cos).toBeCloseTo(1, 15);
    const zero = distance(new Float64Array([1, 2]), new Float64Array([0, 0]));
    expect(zero.cos).toBeNull();
    expect(zero.relDist).toBeNull();
    const nf = distance(new Float64Array([NaN, 1, 2]), new Float64Array([5, -Infinity, 2]));
    expect(nf.count).toBe(1);
    expect(nf.dist).toBe(0);
    expect(nf.nonFiniteA).toEqual({ nan: 1, posInf: 0, negInf: 0 });
    expect(nf.nonFiniteB).toEqual({ nan: 0, posInf: 0, negInf: 1 });
    expect(() => distance(new Float64Array(2), new Float64Array(3))).toThrow(MetricInputError);
  });
});

describe('DistanceAccumulator', () => {
  it('streamed in aligned pieces equals one call on the whole tensors, bit for bit', async () => {
    const { DistanceAccumulator, distance } = await import('../../../main/metrics/distance');
    const n = 3 * 16384 * 4 + 777;
    const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * (i % 97 === 0 ? 30 : 1));
    const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11));
    b[5] = Number.NaN;
    const whole = distance(a, b);
    const acc = new DistanceAccumulator();
    for (let s = 0; s < n; s += 16384 * 4) acc.add(a.subarray(s, Math.min(n, s + 16384 * 4)), b.subarray(s, Math.min(n, s + 16384 * 4)));
    expect(acc.result()).toEqual(whole);
  });
});
