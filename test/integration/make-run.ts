// Test helper (not a test): a step-folder run of a small GPT-NeoX-shaped model in float32
// safetensors, deterministic from a seed, with weights that drift between checkpoints so every
// analysis has something to measure. Also returns the tensors so tests can compute expected
// values with naive float64 loops, independently of the code under test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { safetensorsBytes, type TinyTensor } from '../unit/readers/make-big-hub';

export interface MadeRun {
  root: string;
  steps: number[];
  /** tensors[c][name] = values of checkpoint c. */
  tensors: Array<Record<string, { shape: number[]; values: Float32Array }>>;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export function makeRun(root: string, opts: { checkpoints?: number; d?: number; layers?: number; vocab?: number; seed?: number } = {}): MadeRun {
  const n = opts.checkpoints ?? 4;
  const d = opts.d ?? 8;
  const layers = opts.layers ?? 1;
  const vocab = opts.vocab ?? 300;
  const r = rng(opts.seed ?? 7);
  const shapes: Record<string, number[]> = { 'gpt_neox.embed_in.weight': [vocab, d], 'embed_out.weight': [vocab, d], 'gpt_neox.final_layer_norm.weight': [d], 'gpt_neox.final_layer_norm.bias': [d] };
  for (let i = 0; i < layers; i++) {
    const p = `gpt_neox.layers.${i}.`;
    Object.assign(shapes, {
      [`${p}input_layernorm.weight`]: [d], [`${p}input_layernorm.bias`]: [d],
      [`${p}post_attention_layernorm.weight`]: [d], [`${p}post_attention_layernorm.bias`]: [d],
      [`${p}attention.query_key_value.weight`]: [3 * d, d], [`${p}attention.query_key_value.bias`]: [3 * d],
      [`${p}attention.dense.weight`]: [d, d], [`${p}attention.dense.bias`]: [d],
      [`${p}mlp.dense_h_to_4h.weight`]: [4 * d, d], [`${p}mlp.dense_h_to_4h.bias`]: [4 * d],
      [`${p}mlp.dense_4h_to_h.weight`]: [d, 4 * d], [`${p}mlp.dense_4h_to_h.bias`]: [d],
    });
  }
  const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  const init: Record<string, Float32Array> = {};
  const drift: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    init[name] = Float32Array.from({ length: numel(shape) }, () => (name.endsWith('layernorm.weight') ? 1 : 0.02 * gaussian(r)));
    drift[name] = Float32Array.from({ length: numel(shape) }, () => gaussian(r) * (r() < 0.01 ? 8 : 1));
  }
  const steps = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : 2 ** (i - 1) * 10));
  const config = {
    model_type: 'gpt_neox', architectures: ['GPTNeoXForCausalLM'], hidden_size: d, num_attention_heads: 2, num_hidden_layers: layers,
    vocab_size: vocab, intermediate_size: 4 * d, rotary_pct: 0.25, rotary_emb_base: 10000, max_position_embeddings: 64,
    layer_norm_eps: 1e-5, use_parallel_residual: true, hidden_act: 'gelu', tie_word_embeddings: false,
  };
  const tensors: MadeRun['tensors'] = [];
  steps.forEach((step, c) => {
    const folder = join(root, `step_${step}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
    const t = c / Math.max(1, n - 1);
    const file: Record<string, TinyTensor> = {};
    const values: MadeRun['tensors'][number] = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const v = Float32Array.from(init[name], (x, i) => x + 0.01 * t * drift[name][i]);
      values[name] = { shape, values: v };
      file[name] = { dtype: 'F32', shape, data: new Uint8Array(v.buffer) };
    }
    writeFileSync(join(folder, 'model.safetensors'), safetensorsBytes(file));
    tensors.push(values);
  });
  return { root, steps, tensors };
}
