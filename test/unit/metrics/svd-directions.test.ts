// SVD directions against numpy/torch fixtures (tools/make_metric_expectations.py): the fast path
// (main/compute/directions.ts on onnxruntime) and the pure kernels of main/metrics/svd-directions.ts,
// linear-algebra.ts and token-ranking.ts.
import { describe, expect, it } from 'vitest';
import { ovLeftSingularVectors, type ComponentDirections } from '../../../main/metrics/svd-directions';
import { symmetricEigen } from '../../../main/metrics/linear-algebra';
import { topKIndices } from '../../../main/metrics/token-ranking';
import { gptNeoxHeadSlices } from '../../../main/architectures/gpt-neox';
import { matchesWithFinal, storedCloseness, type StoredDirection } from '../../../common/analyses/svd-directions';
import { blockDirections } from '../../../main/compute/directions';
import { ovLeftSingularVectorsBatch } from '../../../main/compute/directions/ov';
import { topLeftSingularVectors } from '../../../main/compute/directions/subspace';
import { prepareUnembedding, tokenLists } from '../../../main/compute/directions/tokens';
import { expected, loadArray } from './fixtures';

const e = expected.svd;

/** max |a - b| after aligning the arbitrary sign of b to a. */
function signAlignedDiff(a: Float64Array, b: number[]): number {
  let dotp = 0;
  for (let i = 0; i < a.length; i++) dotp += a[i] * b[i];
  const sign = dotp < 0 ? -1 : 1;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - sign * b[i]));
  return m;
}

/** Naive reference: full logits, sort every id by value (ties: lower id), take K. */
function naiveTop(unembed: Float32Array | Float64Array, vocab: number, d: number, u: Float64Array, k: number, sign: 1 | -1): number[] {
  const logits: [number, number][] = [];
  for (let t = 0; t < vocab; t++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += unembed[t * d + c] * u[c];
    logits.push([sign * s, t]);
  }
  logits.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  return logits.slice(0, k).map((x) => x[1]);
}

describe('singular vectors vs numpy.linalg.svd', () => {
  for (const formGram of [true, false]) it(`mlp.out: subspace iteration top-30 (abs 1e-6 up to sign), ${formGram ? 'explicit W W^T' : 'implicit W (W^T Q)'}`, async () => {
    const w = loadArray(e.mlpOut.array);
    const svd = await topLeftSingularVectors(w, e.d, e.dff, 30, { formGram });
    expect(svd.converged).toBe(true);
    expect(svd.vectors.length).toBe(30);
    svd.singularValues.forEach((s, i) => expect(Math.abs(s - e.mlpOut.s[i]) / e.mlpOut.s[0]).toBeLessThan(1e-10));
    svd.vectors.forEach((v, i) => expect(signAlignedDiff(v, e.mlpOut.u[i])).toBeLessThan(1e-6));
  });

  for (const route of ['JS Gram-Schmidt', 'batched onnxruntime'] as const) it(`OV circuits: exact low-rank route per head (abs 1e-6 up to sign), ${route}`, async () => {
    const qkv = loadArray(e.qkv);
    const dense = loadArray(e.dense);
    const slices = e.ov.map((head: { head: number }) => gptNeoxHeadSlices(qkv, dense, e.d, e.heads, head.head));
    const batch = await ovLeftSingularVectorsBatch(slices, e.d, 30);
    for (const [n, head] of e.ov.entries()) {
      const { wO, wV, headDim } = slices[n]!;
      const svd = route === 'JS Gram-Schmidt' ? ovLeftSingularVectors(wO, wV, e.d, headDim, 30) : batch[n];
      expect(svd.vectors.length).toBe(headDim);
      svd.singularValues.forEach((s: number, i: number) => expect(Math.abs(s - head.s[i]) / head.s[0]).toBeLessThan(1e-10));
      svd.vectors.forEach((v: Float64Array, i: number) => {
        // Only well-separated singular values define a direction.
        const gapPrev = i > 0 ? head.s[i - 1] - head.s[i] : Infinity;
        const gapNext = i + 1 < head.s.length ? head.s[i] - head.s[i + 1] : Infinity;
        if (Math.min(gapPrev, gapNext) / head.s[0] > 1e-3) expect(signAlignedDiff(v, head.u[i])).toBeLessThan(1e-6);
      });
    }
  });

  it('symmetric Jacobi eigen: closed form 2x2 and reconstruction', () => {
    const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(vectors[0])).toBeCloseTo(Math.SQRT1_2, 14);
  });
});

describe('token directions', () => {
  const unembed = loadArray(e.unembed);
  const decode = (id: number): string => `tok${id}`;

  const un = prepareUnembedding(unembed, e.vocab, e.d);

  it('top-20 for +u and -u equal a naive full sort; decoded through the callback', async () => {
    const w = loadArray(e.mlpOut.array);
    const [comp] = await blockDirections({ mlpOut: { w, dff: e.dff } }, un, decode);
    expect(comp.directions.length).toBe(30);
    const svd = await topLeftSingularVectors(w, e.d, e.dff, 30);
    comp.directions.forEach((dir, i) => {
      expect(dir.top).toEqual(naiveTop(unembed, e.vocab, e.d, svd.vectors[i], 20, 1));
      expect(dir.bottom).toEqual(naiveTop(unembed, e.vocab, e.d, svd.vectors[i], 20, -1));
      expect(dir.topTokens).toEqual(dir.top.map(decode));
    });
  });

  it('topKIndices: ties to the lower index, NaN skipped', () => {
    expect(topKIndices([1, 3, 3, NaN, 2, 3], 3)).toEqual([1, 2, 5]);
    expect(topKIndices([5, 4], 5)).toEqual([0, 1]);
  });

  it('closeness to final (common/analyses): identical lists score K, sign flips are forgiven, naive count agrees', async () => {
    const qkv = loadArray(e.qkv);
    const dense = loadArray(e.dense);
    const heads = await blockDirections({ heads: Array.from({ length: e.heads }, (_, h) => ({ head: h, slices: gptNeoxHeadSlices(qkv, dense, e.d, e.heads, h) })) }, un, decode);
    expect(heads.length).toBe(e.heads);
    const stored = (block: number, comps: ComponentDirections[], swap = false): StoredDirection[] =>
      comps.flatMap((c) => c.directions.map((d) => ({ component: c.component, block, head: c.head, index: d.index, singular_value: d.singularValue, top: swap ? d.bottom : d.top, bottom: swap ? d.top : d.bottom, tokens: [], neg_tokens: [] })));
    const same = storedCloseness(stored(0, [heads[0]]), stored(0, [heads[0]]));
    expect(same.matches.every((m) => m === 20)).toBe(true);
    expect(same.mean).toBe(20);
    // A sign-flipped copy (top and bottom swapped) still matches fully.
    expect(storedCloseness(stored(0, [heads[0]], true), stored(0, [heads[0]])).mean).toBe(20);
    // Different heads: compare with a naive count of both signs.
    const a = heads[1].directions;
    const b = heads[2].directions;
    const other = { ...heads[1], directions: b };
    const cl = storedCloseness(stored(0, [heads[1]]), stored(0, [other]));
    const naive = a.map((dir, i) => Math.max(dir.top.filter((t) => b[i].top.includes(t)).length, dir.bottom.filter((t) => b[i].top.includes(t)).length));
    a.forEach((dir, i) => {
      expect(cl.matches[i]).toBe(naive[i]);
      expect(matchesWithFinal(dir.top, dir.bottom, b[i].top)).toBe(naive[i]);
    });
    const naiveMean = naive.reduce((x, y) => x + y, 0) / naive.length;
    const byBlock = storedCloseness([...stored(0, heads), ...stored(1, [heads[1]])], [...stored(0, heads), ...stored(1, [other])]);
    expect(byBlock.perBlock.get('0')!.value).toBe(20);
    expect(byBlock.perBlock.get('1')!.value).toBeCloseTo(naiveMean, 12);
    expect(byBlock.mean).toBeCloseTo((20 + naiveMean) / 2, 12);
  });

  it('token mapping rejects mismatched shapes', async () => {
    await expect(tokenLists([new Float64Array(3)], un, 20)).rejects.toThrow(/direction of length 3/);
    expect(() => prepareUnembedding(unembed, e.vocab + 1, e.d)).toThrow(/unembedding has/);
  });
});
