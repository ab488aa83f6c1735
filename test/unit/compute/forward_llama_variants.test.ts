// Llama-family variants (rope_scaling llama3 / linear / dynamic, Llama attention_bias + mlp_bias,
// Mistral sliding window, Qwen2 q/k/v biases with a windowed upper layer): the float32 ONNX forward
// and backward against the PyTorch float64 references of tools/make_forward_fixtures.py, with the
// tolerances of forward_fixtures.test.ts and backward_gradients.test.ts; that each feature changes
// the result (so the fixture really exercises it); closed forms of the RoPE frequencies; config.json
// parsing of the three model types; and the error for rope types the forward does not model.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../../common/domain';
import { canonicalWeights, ConfigError, readModelConfig, roleOf } from '../../../main/architectures/index';
import { createSession } from '../../../main/compute/providers';
import { buildForward, runForward, type ForwardResult } from '../../../main/compute/forward/index';
import { slidingWindowMask } from '../../../main/compute/forward/common';
import { llamaForwardProblem, ropeInverseFrequencies } from '../../../main/compute/forward/llama';
import { expectActivationsMatch, expectStatsMatch, loadFixture, maxAbs, type Fixture } from '../../fixtures/forward/helpers';

const VARIANTS = ['llama_rope_llama3', 'llama_rope_linear', 'llama_rope_dynamic', 'llama_bias', 'mistral_sliding', 'qwen2_bias'] as const;

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

async function run(fx: Fixture, config: ModelConfig, gradients = false): Promise<ForwardResult> {
  const graph = buildForward(config, { batch: fx.summary.batch, seqLen: fx.summary.seq_len, gradients });
  const session = (await createSession(graph.model, { provider: 'cpu' })).session;
  return runForward(session, graph, fx.weights, fx.tokens);
}

describe.each(VARIANTS)('%s vs torch float64', (name) => {
  let fx: Fixture;
  let result: ForwardResult;
  beforeAll(async () => {
    fx = await loadFixture(name);
    result = await run(fx, fx.config, true);
  });

  it('takes exactly the checkpoint tensors as weight inputs and emits every activation', () => {
    expect([...result.gradients.keys()].sort()).toEqual([...fx.weights.keys()].sort());
    const L = fx.config.layers;
    const want = ['final_norm', 'logits', ...Array.from({ length: L + 1 }, (_, i) => `resid.${i}`), ...Array.from({ length: L }, (_, i) => `mlp.${i}`)].sort();
    expect([...result.activations.keys()].sort()).toEqual(want);
  });

  it('matches residual-stream statistics within 1e-5 relative', () => {
    expectStatsMatch(result, fx);
  });

  it('matches full tensors (atol 1e-5 x max|x|), the loss within 1e-5 and top-1 accuracy', () => {
    expectActivationsMatch(result, fx);
  });

  it('matches every gradient: norm and elementwise within 1e-4 of the tensor scale', () => {
    for (const [w, grad] of result.gradients) {
      const want = fx.expected.get(`grad.${w}`)!;
      const wantNorm = norm(want);
      expect(Math.abs(norm(grad) - fx.summary.grad_norms[w]) / wantNorm, `${w} norm`).toBeLessThan(1e-4);
      let scale = 0;
      const diff = new Float64Array(want.length);
      for (let i = 0; i < want.length; i++) {
        diff[i] = grad[i] - want[i];
        scale = Math.max(scale, Math.abs(want[i]));
      }
      expect(norm(diff) / wantNorm, `${w} relative difference`).toBeLessThan(1e-4);
      expect(maxAbs(diff), `${w} max elementwise`).toBeLessThan(1e-4 * scale + 1e-7);
    }
  });
});

describe('each variant fixture exercises its feature', () => {
  // The same weights through the graph with the feature switched off: the loss must move well
  // beyond the 1e-5 agreement above, or the fixture would not test the feature.
  it.each([
    ['llama_rope_llama3', (c: ModelConfig): ModelConfig => ({ ...c, ropeScaling: null })],
    ['llama_rope_linear', (c: ModelConfig): ModelConfig => ({ ...c, ropeScaling: null })],
    ['llama_rope_dynamic', (c: ModelConfig): ModelConfig => ({ ...c, ropeScaling: null })],
    ['mistral_sliding', (c: ModelConfig): ModelConfig => ({ ...c, slidingWindow: null })],
    ['qwen2_bias', (c: ModelConfig): ModelConfig => ({ ...c, slidingWindow: null })],
  ] as const)('%s', async (name, without) => {
    const fx = await loadFixture(name);
    const r = await run(fx, without(fx.config));
    expect(Math.abs(r.loss! - fx.summary.loss)).toBeGreaterThan(1e-3);
  });

  it('llama3 puts frequencies in all three bands; dynamic rescales only past max_position_embeddings', async () => {
    const fx = await loadFixture('llama_rope_llama3');
    const c = fx.config;
    const plain = ropeInverseFrequencies({ ...c, ropeScaling: null }, 16, 24);
    const scaled = ropeInverseFrequencies(c, 16, 24);
    const ratios = Array.from(plain, (f, j) => f / scaled[j]);
    expect(ratios.filter((r) => Math.abs(r - 1) < 1e-15).length).toBeGreaterThan(0);
    expect(ratios.filter((r) => Math.abs(r - 8) < 1e-12).length).toBeGreaterThan(0);
    expect(ratios.filter((r) => r > 1 + 1e-9 && r < 8 - 1e-9).length).toBeGreaterThan(0);
    const dyn = (await loadFixture('llama_rope_dynamic')).config;
    expect(dyn.maxPositions).toBe(16);
    expect(Array.from(ropeInverseFrequencies(dyn, 8, 16))).toEqual(Array.from(ropeInverseFrequencies({ ...dyn, ropeScaling: null }, 8, 16)));
  });
});

describe('RoPE inverse frequencies (closed forms)', () => {
  const base: ModelConfig = readModelConfig({
    model_type: 'llama', hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 1, vocab_size: 8, intermediate_size: 8,
    rope_theta: 500000, max_position_embeddings: 131072,
  });
  const plain = (dim: number, theta: number) => Array.from({ length: dim / 2 }, (_, j) => 1 / Math.pow(theta, (2 * j) / dim));

  it('default and linear', () => {
    expect(Array.from(ropeInverseFrequencies(base, 16, 8))).toEqual(plain(16, 500000));
    const linear = ropeInverseFrequencies({ ...base, ropeScaling: { type: 'linear', factor: 4, lowFreqFactor: null, highFreqFactor: null, originalMaxPositions: null } }, 16, 8);
    plain(16, 500000).forEach((f, j) => expect(linear[j]).toBeCloseTo(f / 4, 18));
  });

  it('dynamic NTK: theta ((f L / max) - (f - 1))^(d / (d - 2)) when L > max', () => {
    const c: ModelConfig = { ...base, maxPositions: 10, rotaryBase: 100, ropeScaling: { type: 'dynamic', factor: 3, lowFreqFactor: null, highFreqFactor: null, originalMaxPositions: null } };
    const theta = 100 * Math.pow((3 * 25) / 10 - 2, 8 / 6);
    const got = ropeInverseFrequencies(c, 8, 25);
    plain(8, theta).forEach((f, j) => expect(Math.abs(got[j] - f)).toBeLessThan(1e-15 * Math.max(1, f)));
    expect(Array.from(ropeInverseFrequencies(c, 8, 10))).toEqual(plain(8, 100));
  });

  it('llama3 (Llama 3.1 numbers): high frequencies kept, low divided by factor, the band between interpolated', () => {
    const c: ModelConfig = { ...base, ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } };
    const got = ropeInverseFrequencies(c, 128, 8);
    plain(128, 500000).forEach((f, j) => {
      const wavelen = (2 * Math.PI) / f;
      let want = f;
      if (wavelen > 8192) want = f / 8;
      else if (wavelen >= 2048) {
        const s = (8192 / wavelen - 1) / 3;
        want = (1 - s) * (f / 8) + s * f;
      }
      expect(Math.abs(got[j] - want)).toBeLessThan(1e-16 + 1e-14 * want);
    });
  });
});

describe('sliding-window mask', () => {
  it('lets query i see keys i - W < j <= i; with W >= L it is the causal mask', () => {
    const m = slidingWindowMask(5, 2);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(m[i * 5 + j], `${i},${j}`).toBe(j <= i && j > i - 2 ? 0 : -Infinity);
    const causal = slidingWindowMask(5, 5);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(causal[i * 5 + j]).toBe(j <= i ? 0 : -Infinity);
  });

  it('a window as long as the probe gives the full-causal result', async () => {
    const fx = await loadFixture('mistral_sliding');
    const full = await run(fx, { ...fx.config, slidingWindow: null });
    const wide = await run(fx, { ...fx.config, slidingWindow: fx.summary.seq_len });
    expect(wide.loss).toBe(full.loss);
  });
});

describe('Llama-family config.json', () => {
  const common = { hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 3, vocab_size: 8, intermediate_size: 8 };

  it('biases: Llama attention_bias covers q/k/v and o; Qwen2 always q/k/v, never o; Mistral none', () => {
    expect(readModelConfig({ ...common, model_type: 'llama', attention_bias: true, mlp_bias: true })).toMatchObject({ attentionBias: true, attentionOutBias: true, mlpBias: true });
    expect(readModelConfig({ ...common, model_type: 'llama' })).toMatchObject({ attentionBias: false, attentionOutBias: false, mlpBias: false });
    expect(readModelConfig({ ...common, model_type: 'qwen2', attention_bias: false })).toMatchObject({ attentionBias: true, attentionOutBias: false });
    expect(readModelConfig({ ...common, architectures: ['Qwen2ForCausalLM'] })).toMatchObject({ attentionBias: true, attentionOutBias: false });
    expect(readModelConfig({ ...common, model_type: 'mistral', attention_bias: true })).toMatchObject({ attentionBias: false, attentionOutBias: false, mlpBias: false });
  });

  it('sliding window: Mistral on every layer when not null; Qwen2 only with use_sliding_window, from max_window_layers or layer_types', () => {
    expect(readModelConfig({ ...common, model_type: 'mistral', sliding_window: 4096 })).toMatchObject({ slidingWindow: 4096 });
    expect(readModelConfig({ ...common, model_type: 'mistral', sliding_window: 4096 }).slidingWindowLayers).toBeUndefined();
    expect(readModelConfig({ ...common, model_type: 'mistral', sliding_window: null }).slidingWindow).toBeNull();
    expect(readModelConfig({ ...common, model_type: 'llama', sliding_window: 16 }).slidingWindow).toBeNull();
    expect(readModelConfig({ ...common, model_type: 'qwen2', sliding_window: 16, use_sliding_window: false, max_window_layers: 0 }).slidingWindow).toBeNull();
    expect(readModelConfig({ ...common, model_type: 'qwen2', sliding_window: 16, use_sliding_window: true, max_window_layers: 1 })).toMatchObject({ slidingWindow: 16, slidingWindowLayers: [1, 2] });
    expect(readModelConfig({ ...common, model_type: 'qwen2', sliding_window: 16, use_sliding_window: true }).slidingWindow).toBeNull();
    expect(readModelConfig({ ...common, model_type: 'qwen2', sliding_window: 16, use_sliding_window: true, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention'] }))
      .toMatchObject({ slidingWindow: 16, slidingWindowLayers: [0, 2] });
  });

  it('rope_scaling: type or rope_type (type wins, as transformers copies it), rope_parameters, default = none', () => {
    const llama3 = { rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192 };
    expect(readModelConfig({ ...common, model_type: 'llama', rope_scaling: llama3 }).ropeScaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(readModelConfig({ ...common, model_type: 'llama', rope_scaling: { type: 'linear', rope_type: 'dynamic', factor: 2 } }).ropeScaling?.type).toBe('linear');
    expect(readModelConfig({ ...common, model_type: 'llama', rope_scaling: null }).ropeScaling).toBeNull();
    expect(readModelConfig({ ...common, model_type: 'llama', rope_scaling: { rope_type: 'default' } }).ropeScaling).toBeNull();
    const v5 = readModelConfig({ ...common, model_type: 'llama', rope_parameters: { rope_type: 'default', rope_theta: 500000 } });
    expect(v5.rotaryBase).toBe(500000);
    expect(v5.ropeScaling).toBeNull();
    expect(readModelConfig({ ...common, model_type: 'llama', rope_theta: 1e6 }).rotaryBase).toBe(1e6);
    expect(readModelConfig({ ...common, model_type: 'llama' }).rotaryBase).toBe(10000);
  });

  it('head_dim explicit or null, tie_word_embeddings default false, max_position_embeddings defaults per type', () => {
    expect(readModelConfig({ ...common, model_type: 'mistral', head_dim: 128 }).headDim).toBe(128);
    expect(readModelConfig({ ...common, model_type: 'mistral', head_dim: null }).headDim).toBe(8);
    expect(readModelConfig({ ...common, model_type: 'qwen2' }).tiedEmbeddings).toBe(false);
    expect(readModelConfig({ ...common, model_type: 'qwen2', tie_word_embeddings: true }).tiedEmbeddings).toBe(true);
    expect(readModelConfig({ ...common, model_type: 'llama' }).maxPositions).toBe(2048);
    expect(readModelConfig({ ...common, model_type: 'qwen2' }).maxPositions).toBe(32768);
    expect(readModelConfig({ ...common, model_type: 'mistral' }).maxPositions).toBe(131072);
  });

  it('roles: q/k/v/o biases are attention biases with canonical keys; rotary inv_freq buffers', () => {
    expect(roleOf('llama', 'model.layers.2.self_attn.k_proj.bias')).toEqual({ block: 2, component: 'attn.k', kind: 'bias', canonical: 'layers.2.attn.k.bias' });
    expect(roleOf('llama', 'model.layers.0.self_attn.o_proj.bias')).toEqual({ block: 0, component: 'attn.out', kind: 'bias', canonical: 'layers.0.attn.out.bias' });
    expect(roleOf('llama', 'model.rotary_emb.inv_freq')).toEqual({ block: null, component: 'other', kind: 'buffer', canonical: null });
    const names = ['model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.q_proj.bias'];
    expect(canonicalWeights('llama', names, { tiedEmbeddings: true }).get('layers.0.attn.q.bias')).toBe('model.layers.0.self_attn.q_proj.bias');
  });
});

describe('rope types the forward does not model', () => {
  const cfg = (rope_scaling: unknown) => ({
    model_type: 'llama', hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 1, vocab_size: 8, intermediate_size: 8,
    max_position_embeddings: 4096, rope_scaling,
  });

  it('reads the config (weight analyses work) and refuses the forward with an error naming config.json and the type', () => {
    for (const type of ['yarn', 'longrope', 'ntk']) {
      const config = readModelConfig(cfg({ rope_type: type, factor: 4.0, original_max_position_embeddings: 1024 }));
      expect(config.ropeScaling?.type).toBe(type);
      expect(() => buildForward(config, { batch: 1, seqLen: 4 })).toThrow(ConfigError);
      expect(() => buildForward(config, { batch: 1, seqLen: 4, gradients: true })).toThrow(new RegExp(`^config\\.json: rope_scaling type "${type}" is not supported`));
    }
    expect(() => buildForward(readModelConfig(cfg({ factor: 2 })), { batch: 1, seqLen: 4 })).toThrow(/config\.json: rope_scaling type "\(no type or rope_type\)"/);
    expect(() => buildForward(readModelConfig(cfg('linear')), { batch: 1, seqLen: 4 })).toThrow(/config\.json: rope_scaling type "\(rope_scaling is not an object\)"/);
  });

  it('llamaForwardProblem reports the same message once per config (null when the forward can run)', () => {
    const yarn = readModelConfig(cfg({ type: 'yarn', factor: 4.0 }));
    expect(llamaForwardProblem(yarn)).toMatch(/^config\.json: rope_scaling type "yarn" is not supported/);
    expect(llamaForwardProblem(readModelConfig(cfg({ type: 'linear', factor: 4.0 })))).toBeNull();
    expect(llamaForwardProblem(readModelConfig(cfg(null)))).toBeNull();
  });

  it('names a missing parameter of a modelled type', () => {
    const config = readModelConfig(cfg({ rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0 }));
    expect(() => buildForward(config, { batch: 1, seqLen: 4 })).toThrow(/config\.json: rope_scaling type "llama3" needs a numeric original_max_position_embeddings/);
  });
});
