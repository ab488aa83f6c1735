// Outlier dimensions (main/jobs/units/outlier-dims.ts, common/analyses/outliers.ts) on the forward
// fixtures: our block-streamed forward pass, per-dimension max |x| and top dimensions, and the
// reading norms' gains, against float64 PyTorch (tools/make_random_matrix_expectations.py from the
// residual streams of tools/make_forward_fixtures.py). Tolerance as the activations' stats: 1e-5 of max |x|.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readerFromLookup, StreamedModel } from '../../../main/compute/forward/streamed';
import { openSafetensors } from '../../../main/formats/safetensors';
import { activationStats } from '../../../main/metrics/activations';
import { outlierDimsFrames, readingNorms } from '../../../main/jobs/units/outlier-dims';
import { maxEverByDepth, outlierDimsExportShape, outlierDimsOverTime, topDims, type OutlierDimsFrame } from '../../../common/analyses/outliers';
import { FIXTURE_DIR, loadFixture } from '../../fixtures/forward/helpers';

const fx = JSON.parse(readFileSync(join(FIXTURE_DIR, '..', 'random-matrix', 'expectations.json'), 'utf8'));

describe.each(['neox_parallel', 'neox_sequential', 'gpt2', 'llama'])('outlier dims of %s', (name) => {
  it('match float64 PyTorch: max |x| per dimension, top dimensions, norm gains', async () => {
    const f = await loadFixture(name);
    const model = new StreamedModel(f.config, { batch: f.summary.batch, seqLen: f.summary.seq_len, gradients: false, resid: true, provider: 'cpu' });
    const dimMax = new Map<string, Float64Array>();
    await model.run(readerFromLookup(f.weights, f.config.family), f.tokens, {
      activation: (n, data, dims) => {
        if (n.startsWith('resid.')) dimMax.set(n, activationStats(data, dims[dims.length - 1]).dimMaxAbs);
      },
      gradient: () => undefined,
    });
    await model.release();
    const src = await openSafetensors(join(FIXTURE_DIR, name, 'model.safetensors'));
    const frames = await outlierDimsFrames(src, f.config.family, f.config, dimMax);
    await src.close();
    const expected = fx.outlier_dims[name] as Array<{ tensor: string; dim_max_abs: number[]; top_dims: number[]; norms: Array<{ component: string; tensor: string; gain: number[] }> }>;
    expect(frames.map((a) => a.tensor).sort()).toEqual(expected.map((e) => e.tensor).sort());
    for (const e of expected) {
      const got = frames.find((a) => a.tensor === e.tensor)!.data as OutlierDimsFrame;
      const scale = Math.max(...e.dim_max_abs);
      e.dim_max_abs.forEach((v, i) => expect(Math.abs(got.dim_max_abs[i] - v), `${e.tensor} dim ${i}`).toBeLessThanOrEqual(1e-5 * scale));
      // Near-ties may swap under float32; the set of the top dims with a clear margin must agree.
      const margin = 1e-4 * scale;
      const clear = e.top_dims.filter((d, k) => k === e.top_dims.length - 1 || e.dim_max_abs[d] - e.dim_max_abs[e.top_dims[k + 1]] > margin);
      for (const d of clear.slice(0, 3)) expect(got.top_dims, e.tensor).toContain(d);
      expect(got.top_dims[0]).toBe(e.top_dims[0]);
      expect(got.norms.map((n) => [n.component, n.tensor])).toEqual(e.norms.map((n) => [n.component, n.tensor]));
      got.norms.forEach((n, k) => expect(Array.from(n.gain)).toEqual(e.norms[k].gain.map((g) => Math.fround(g))));
    }
  }, 60_000);
});

describe('outlier helpers', () => {
  it('readingNorms: next block ln.attn (+ ln.mlp when parallel), ln.final after the last block', () => {
    expect(readingNorms(0, { layers: 2, parallelResidual: true })).toEqual([{ block: 0, component: 'ln.attn' }, { block: 0, component: 'ln.mlp' }]);
    expect(readingNorms(1, { layers: 2, parallelResidual: false })).toEqual([{ block: 1, component: 'ln.attn' }]);
    expect(readingNorms(2, { layers: 2, parallelResidual: true })).toEqual([{ block: 'final', component: 'ln.final' }]);
  });

  it('topDims orders by value then index; maxEverByDepth takes each row\'s maximum and skips other tensors', () => {
    expect(topDims([1, 5, 5, 0, 7], 3)).toEqual([4, 1, 2]);
    const bars = maxEverByDepth(['resid.1', 'final_norm', 'resid.0'], [[1, null, 3], [9, 9, 9], [null, null, null]]);
    expect(bars).toEqual([
      { tensor: 'resid.0', depth: 0, maxEver: null, atColumn: null },
      { tensor: 'resid.1', depth: 1, maxEver: 3, atColumn: 2 },
    ]);
  });

  it('outlierDimsOverTime unions the top dims by their peak; the export shape picks gains at those dims', () => {
    const a: OutlierDimsFrame = { dim_max_abs: [1, 9, 2, 0], top_dims: [1, 2], norms: [{ component: 'ln.attn', tensor: 'w', gain: [10, 11, 12, 13] }] };
    const b: OutlierDimsFrame = { dim_max_abs: [20, 1, 2, 0], top_dims: [0, 2], norms: [] };
    expect(outlierDimsOverTime([a, null, b], 2)).toEqual([0, 1, 2]);
    expect(outlierDimsExportShape(a as unknown as Record<string, unknown>)).toEqual({ dims: [1, 2], max_abs: [9, 2], ln_gain: { 'ln.attn': [11, 12] }, ln_tensor: { 'ln.attn': 'w' } });
  });
});
