// Closed-form parameter counts (main/architectures/params.ts) against (a) the numbers
// transformers' `model.num_parameters()` gives for published configs of each family (GPT-2 small,
// Llama-2-7B, TinyLlama-1.1B with grouped-query attention, Qwen2-0.5B with q/k/v biases and a tied
// head), and (b) the demo runs' real checkpoints: the element counts of every tensor in the
// safetensors headers, read here with a plain JSON parse of the header (no reader of the app).
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readModelConfig } from '../../../main/architectures';
import { parameterCount } from '../../../main/architectures/params';

const count = (raw: Record<string, unknown>) => parameterCount(readModelConfig(raw))!;

describe('parameterCount', () => {
  it('GPT-2 small: 124,439,808 (tied head counted once, learned positions included)', () => {
    const c = count({ model_type: 'gpt2', vocab_size: 50257, n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024 });
    expect(c.total).toBe(124_439_808);
    // Kaplan's N: without wte and wpe.
    expect(c.nonEmbedding).toBe(124_439_808 - 50257 * 768 - 1024 * 768);
  });
  it('Llama-2-7B: 6,738,415,616', () => {
    const c = count({ model_type: 'llama', vocab_size: 32000, hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, intermediate_size: 11008, max_position_embeddings: 4096 });
    expect(c.total).toBe(6_738_415_616);
    expect(c.nonEmbedding).toBe(6_738_415_616 - 2 * 32000 * 4096);
  });
  it('TinyLlama-1.1B (GQA, 4 kv heads): 1,100,048,384', () => {
    const c = count({ model_type: 'llama', vocab_size: 32000, hidden_size: 2048, num_hidden_layers: 22, num_attention_heads: 32, num_key_value_heads: 4, intermediate_size: 5632, max_position_embeddings: 2048 });
    expect(c.total).toBe(1_100_048_384);
  });
  it('Qwen2-0.5B (q/k/v biases, tied head): 494,032,768', () => {
    const c = count({ model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, max_position_embeddings: 32768, tie_word_embeddings: true });
    expect(c.total).toBe(494_032_768);
  });
  it('unknown family and no config: null', () => {
    expect(parameterCount(null)).toBeNull();
  });

  const hub = join(__dirname, '..', '..', '..', 'resources', 'demo', 'hub');
  for (const model of readdirSync(hub).filter((m) => m.startsWith('models--'))) {
    it(`${model}: equals the element count of every tensor in a checkpoint's safetensors header`, () => {
      const snaps = join(hub, model, 'snapshots');
      const snap = join(snaps, readdirSync(snaps).sort()[0]);
      const config = JSON.parse(readFileSync(join(snap, 'config.json'), 'utf8')) as Record<string, unknown>;
      const bytes = readFileSync(realpathSync(join(snap, 'model.safetensors')));
      const len = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Record<string, { shape: number[] }>;
      let elements = 0;
      for (const [name, entry] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        elements += entry.shape.reduce((a, b) => a * b, 1);
      }
      expect(elements).toBeGreaterThan(10_000);
      expect(count(config).total).toBe(elements);
    });
  }
});
