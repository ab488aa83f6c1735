// Forward graphs (GPT-NeoX parallel/sequential, GPT-2, Llama GQA, Llama tied + q/k/v biases) run in
// onnxruntime float32 against reference models in PyTorch float64 (tools/make_forward_fixtures.py):
// residual-stream statistics, full tensors, logits, loss and top-1 accuracy.
import { beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../../main/compute/providers';
import { join } from 'node:path';
import { buildForward, lookupFromSource, runForward, normaliseWeightName, type ForwardResult } from '../../../main/compute/forward/index';
import { openSafetensors } from '../../../main/formats/safetensors';
import { activationStats } from '../../../main/metrics/activations';
import { expectActivationsMatch, expectStatsMatch, FIXTURE_DIR, FIXTURE_MODELS, loadFixture, type Fixture } from '../../fixtures/forward/helpers';


describe.each(FIXTURE_MODELS)('forward %s vs torch float64', (name) => {
  let fx: Fixture;
  let result: ForwardResult;
  beforeAll(async () => {
    fx = await loadFixture(name);
    const graph = buildForward(fx.config, { batch: fx.summary.batch, seqLen: fx.summary.seq_len });
    const session = (await createSession(graph.model, { provider: 'cpu' })).session;
    result = await runForward(session, graph, fx.weights, fx.tokens);
  });

  it('emits every residual stream, final_norm, mlp activations and logits', () => {
    const names = [...result.activations.keys()].sort();
    const L = fx.config.layers;
    const want = ['final_norm', 'logits', ...Array.from({ length: L + 1 }, (_, i) => `resid.${i}`), ...Array.from({ length: L }, (_, i) => `mlp.${i}`)].sort();
    expect(names).toEqual(want);
    expect(result.activations.get('logits')!.dims).toEqual([fx.summary.batch, fx.summary.seq_len, fx.config.vocabSize]);
  });

  it('matches residual-stream statistics within 1e-5 relative (max|x|, std, rms, mean, kurtosis)', () => {
    expectStatsMatch(result, fx);
  });

  it('matches full tensors elementwise (atol 1e-5 x max|x|) and the loss within 1e-5', () => {
    expectActivationsMatch(result, fx);
  });
});

describe('forward: names, inputs and failures', () => {
  it('accepts weight names without the outer prefix', async () => {
    const fx = await loadFixture('neox_parallel');
    const stripped = new Map([...fx.weights].map(([k, v]) => [k.replace(/^gpt_neox\./, ''), v]));
    expect(stripped.has('layers.0.attention.dense.weight')).toBe(true);
    expect(normaliseWeightName('gpt_neox', 'layers.0.attention.dense.weight')).toBe('gpt_neox.layers.0.attention.dense.weight');
    expect(normaliseWeightName('gpt_neox', 'embed_out.weight')).toBe('embed_out.weight');
    expect(normaliseWeightName('llama', 'lm_head.weight')).toBe('lm_head.weight');
    expect(normaliseWeightName('gpt2', 'h.0.ln_1.weight')).toBe('transformer.h.0.ln_1.weight');
    const graph = buildForward(fx.config, { batch: 2, seqLen: 8, outputs: { resid: false, mlp: false, logits: false, finalNorm: false } });
    expect(graph.outputNames.sort()).toEqual(['argmax', 'loss']);
    const session = (await createSession(graph.model, { provider: 'cpu' })).session;
    const r = await runForward(session, graph, stripped, fx.tokens);
    expect(Math.abs(r.loss! - fx.summary.loss)).toBeLessThan(1e-5);
  });

  it('reads weights lazily from a TensorSource', async () => {
    const fx = await loadFixture('llama_tied_bias');
    const source = await openSafetensors(join(FIXTURE_DIR, 'llama_tied_bias', 'model.safetensors'));
    const graph = buildForward(fx.config, { batch: 2, seqLen: 8, outputs: { resid: false, mlp: false } });
    const session = (await createSession(graph.model, { provider: 'cpu' })).session;
    const r = await runForward(session, graph, lookupFromSource(source, 'llama'), fx.tokens);
    await source.close();
    expect(Math.abs(r.loss! - fx.summary.loss)).toBeLessThan(1e-5);
  });

  it('takes weights as graph inputs named by their raw names (one graph for every checkpoint)', async () => {
    const fx = await loadFixture('gpt2');
    const graph = buildForward(fx.config, { batch: 1, seqLen: 4 });
    expect(graph.inputNames[0]).toBe('input_ids');
    expect([...graph.weightInputs].sort()).toEqual([...fx.weights.keys()].sort());
    expect(graph.weightShapes.get('transformer.h.0.attn.c_attn.weight')).toEqual([32, 96]);
  });

  it('reports a checkpoint whose forward is not finite instead of crashing', async () => {
    const fx = await loadFixture('llama');
    const broken = new Map(fx.weights);
    const w = Float32Array.from(broken.get('model.layers.1.mlp.down_proj.weight')!);
    w[5] = Number.NaN;
    broken.set('model.layers.1.mlp.down_proj.weight', w);
    const graph = buildForward(fx.config, { batch: 2, seqLen: 8 });
    const session = (await createSession(graph.model, { provider: 'cpu' })).session;
    const r = await runForward(session, graph, broken, fx.tokens);
    expect(Number.isNaN(r.loss!)).toBe(true);
    const ok = activationStats(r.activations.get('resid.1')!.data, 32);
    expect(ok.nonFinite.nan).toBe(0);
    const bad = activationStats(r.activations.get('resid.2')!.data, 32);
    expect(bad.nonFinite.nan).toBeGreaterThan(0);
    expect(bad.count + bad.nonFinite.nan + bad.nonFinite.posInf + bad.nonFinite.negInf).toBe(2 * 8 * 32);
  });

  it('rejects missing weights, wrong sizes and out-of-vocabulary tokens with named errors', async () => {
    const fx = await loadFixture('gpt2');
    const graph = buildForward(fx.config, { batch: 2, seqLen: 8 });
    const session = (await createSession(graph.model, { provider: 'cpu' })).session;
    const missing = new Map(fx.weights);
    missing.delete('transformer.ln_f.bias');
    await expect(runForward(session, graph, missing, fx.tokens)).rejects.toThrow(/transformer\.ln_f\.bias: weight missing/);
    const wrong = new Map(fx.weights);
    wrong.set('transformer.ln_f.bias', new Float32Array(3));
    await expect(runForward(session, graph, wrong, fx.tokens)).rejects.toThrow(/ln_f\.bias: has 3 elements/);
    await expect(runForward(session, graph, fx.weights, fx.tokens.map(() => 97))).rejects.toThrow(/outside the vocabulary/);
    expect(() => buildForward(fx.config, { batch: 1, seqLen: 17 })).toThrow(/learned positions/);
  });
});

describe('activationStats', () => {
  it('computes closed-form stats, top dims and skips non-finite values', () => {
    // rows x d = 2 x 3
    const x = Float32Array.from([1, -4, 0, 3, 2, Number.POSITIVE_INFINITY]);
    const s = activationStats(x, 3, { topK: 2, edges: [-4, 0, 4] });
    const vals = [1, -4, 0, 3, 2];
    const mean = vals.reduce((a, b) => a + b) / 5;
    const m2 = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / 5;
    const m4 = vals.reduce((a, v) => a + (v - mean) ** 4, 0) / 5;
    expect(s.count).toBe(5);
    expect(s.nonFinite).toEqual({ nan: 0, posInf: 1, negInf: 0 });
    expect(s.mean).toBeCloseTo(mean, 14);
    expect(s.std).toBeCloseTo(Math.sqrt(m2), 14);
    expect(s.rms).toBeCloseTo(Math.sqrt(vals.reduce((a, v) => a + v * v, 0) / 5), 14);
    expect(s.excess_kurtosis).toBeCloseTo(m4 / m2 ** 2 - 3, 12);
    expect(s.max_abs).toBe(4);
    expect(s.topDims).toEqual([{ dim: 1, maxAbs: 4 }, { dim: 0, maxAbs: 3 }]);
    expect(s.histogram!.counts).toEqual([1, 4]);
    const constant = activationStats(new Float32Array(6).fill(2), 2);
    expect(constant.excess_kurtosis).toBeNull();
    expect(constant.std).toBe(0);
    expect(() => activationStats(new Float32Array(5), 2)).toThrow(/multiple of the width/);
  });
});
