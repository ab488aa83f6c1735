// A Llama run whose config.json has a rope_scaling type the forward does not model, through the
// whole engine (scan -> jobs -> SQLite): the weights analysis completes, and the activations are
// skipped for the run with one warning naming config.json and the rope type, instead of computing
// activations of a model the graph does not reproduce. The same run with llama3 scaling runs the
// forward.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../../main/api/engine';
import { projectRoot } from '../../../main/paths';
import { Store } from '../../../main/store/store';
import { safetensorsBytes, type TinyTensor } from '../readers/make-big-hub';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-llama-rope-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two step folders of a 1-layer Llama (vocab 512: the demo tokenizer's) with the given rope_scaling. */
function makeLlamaRun(root: string, ropeScaling: Record<string, unknown>): void {
  const d = 8, vocab = 512, F = 16, kvRows = 4;
  const config = {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: vocab, hidden_size: d, num_hidden_layers: 1,
    num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: F, rms_norm_eps: 1e-6, hidden_act: 'silu',
    max_position_embeddings: 64, rope_theta: 10000.0, tie_word_embeddings: false, rope_scaling: ropeScaling,
  };
  const shapes: Record<string, number[]> = {
    'model.embed_tokens.weight': [vocab, d], 'lm_head.weight': [vocab, d], 'model.norm.weight': [d],
    'model.layers.0.input_layernorm.weight': [d], 'model.layers.0.post_attention_layernorm.weight': [d],
    'model.layers.0.self_attn.q_proj.weight': [d, d], 'model.layers.0.self_attn.k_proj.weight': [kvRows, d],
    'model.layers.0.self_attn.v_proj.weight': [kvRows, d], 'model.layers.0.self_attn.o_proj.weight': [d, d],
    'model.layers.0.mlp.gate_proj.weight': [F, d], 'model.layers.0.mlp.up_proj.weight': [F, d], 'model.layers.0.mlp.down_proj.weight': [d, F],
  };
  for (const [c, step] of [0, 10].entries()) {
    const folder = join(root, `step_${step}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
    const file: Record<string, TinyTensor> = {};
    let k = 0;
    for (const [name, shape] of Object.entries(shapes)) {
      const n = shape.reduce((a, b) => a * b, 1);
      // Deterministic, small, different per checkpoint: the values do not matter here.
      const v = Float32Array.from({ length: n }, (_, i) => (name.endsWith('norm.weight') ? 1 : 0.05 * Math.sin(1 + i * 0.37 + k * 1.3 + c)));
      file[name] = { dtype: 'F32', shape, data: new Uint8Array(v.buffer) };
      k++;
    }
    writeFileSync(join(folder, 'model.safetensors'), safetensorsBytes(file));
  }
}

/** The demo model's tokenizer.json (512 tokens) beside the step folders. */
function copyDemoTokenizer(root: string): void {
  const repo = join(projectRoot(), 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny');
  const commit = readFileSync(join(repo, 'refs', 'main'), 'utf8').trim();
  copyFileSync(join(repo, 'snapshots', commit, 'tokenizer.json'), join(root, 'tokenizer.json'));
}

async function analyze(root: string): Promise<{ state: string; done: number; failed: number; warnings: string[]; total: number }> {
  const store = new Store(join(root, '..', `${Math.random().toString(36).slice(2)}.sqlite`));
  const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
  try {
    const opened = await engine.openPaths({ paths: [root] });
    expect(opened.errors).toEqual([]);
    expect(opened.runs).toHaveLength(1);
    const { jobId } = await engine.startAnalysis({ runId: opened.runs[0].id, analyses: ['weights', 'activations'] });
    return await engine.jobs.wait(jobId);
  } finally {
    await engine.close();
    store.close();
  }
}

describe('rope_scaling through the engine', () => {
  it('yarn: weights are analysed, activations are skipped once for the run naming config.json and the rope type', async () => {
    const root = join(dir, 'yarn');
    makeLlamaRun(root, { rope_type: 'yarn', factor: 4.0, original_max_position_embeddings: 16 });
    copyDemoTokenizer(root);
    const job = await analyze(root);
    expect(job.state).toBe('done');
    expect(job.failed).toBe(0);
    // Two checkpoints: weights + histogram units of each are computed; no activations unit is planned.
    expect(job.total).toBe(4);
    expect(job.done).toBe(4);
    expect(job.warnings).toHaveLength(1);
    expect(job.warnings[0]).toMatch(/^activations: skipped for this run: config\.json: rope_scaling type "yarn" is not supported by the activations\/gradients forward pass/);
  }, 60_000);

  it('llama3: the same run computes activations', async () => {
    const root = join(dir, 'llama3');
    makeLlamaRun(root, { rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 16 });
    copyDemoTokenizer(root);
    const job = await analyze(root);
    expect(job.state).toBe('done');
    expect(job.failed).toBe(0);
    expect(job.warnings).toEqual([]);
  }, 60_000);
});
