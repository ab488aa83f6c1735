// Architecture families against the torch-made fixtures: every tensor of the tiny Pythia, GPT-2
// and grouped-query Llama checkpoints gets its FORMATS.md role, buffers are buffers, canonical
// keys cover each layer, and config.json reads into the expected ModelConfig.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalWeights, familyOf, readModelConfig, roleOf, ConfigError } from '../../../main/architectures/index';
import { openSafetensors } from '../../../main/formats/safetensors';
import { FIXTURES, loadExpected } from './expected';

const config = (folder: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, folder, 'config.json'), 'utf8')) as Record<string, unknown>;
const namesOf = (file: string): string[] => loadExpected(join(FIXTURES, file)).map((t) => t.name);

describe('families from config.json', () => {
  it('model_type picks the family; architectures[0] infers it when model_type is absent', () => {
    expect(familyOf(config('pythia-old'))).toBe('gpt_neox');
    expect(familyOf(config('gpt2-tied'))).toBe('gpt2');
    expect(familyOf(config('llama-gqa'))).toBe('llama');
    expect(familyOf({ model_type: 'mistral' })).toBe('llama');
    expect(familyOf({ model_type: 'qwen2' })).toBe('llama');
    expect(familyOf({ architectures: ['GPTNeoXForCausalLM'] })).toBe('gpt_neox');
    expect(familyOf({ model_type: 'mamba' })).toBe('unknown');
    expect(familyOf(null)).toBe('unknown');
  });

  it('reads ModelConfig per family', () => {
    expect(readModelConfig(config('pythia-old'))).toMatchObject({
      family: 'gpt_neox', hidden: 8, layers: 2, heads: 2, kvHeads: 2, headDim: 4, intermediate: 32, vocabSize: 16,
      rotaryPct: 0.25, rotaryBase: 10000, parallelResidual: true, activation: 'gelu', tiedEmbeddings: false, normEps: 1e-5,
    });
    expect(readModelConfig(config('gpt2-tied'))).toMatchObject({
      family: 'gpt2', hidden: 8, layers: 2, heads: 2, intermediate: 32, maxPositions: 4, rotaryPct: 0,
      parallelResidual: false, activation: 'gelu_new', tiedEmbeddings: true, attentionBias: true,
    });
    expect(readModelConfig(config('llama-gqa'))).toMatchObject({
      family: 'llama', hidden: 8, heads: 4, kvHeads: 2, headDim: 2, intermediate: 12, rotaryPct: 1, rotaryBase: 500000,
      normEps: 1e-6, activation: 'silu', attentionBias: false, mlpBias: false,
    });
    expect(readModelConfig({ model_type: 'qwen2', hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, vocab_size: 4, intermediate_size: 8 }).attentionBias).toBe(true);
    expect(() => readModelConfig({ model_type: 'llama' })).toThrow(ConfigError);
  });
});

describe('roles of real state-dict names', () => {
  it('GPT-NeoX with old buffers', () => {
    const names = namesOf('pythia-old/pytorch_model.bin');
    expect(roleOf('gpt_neox', 'gpt_neox.embed_in.weight')).toMatchObject({ block: 'embed', component: 'embed', kind: 'weight' });
    expect(roleOf('gpt_neox', 'embed_in.weight')).toMatchObject({ block: 'embed', component: 'embed' }); // base model, no prefix
    expect(roleOf('gpt_neox', 'gpt_neox.layers.1.attention.query_key_value.bias')).toMatchObject({ block: 1, component: 'attn.qkv', kind: 'bias', canonical: 'layers.1.attn.qkv.bias' });
    expect(roleOf('gpt_neox', 'gpt_neox.layers.0.mlp.dense_4h_to_h.weight')).toMatchObject({ block: 0, component: 'mlp.out' });
    expect(roleOf('gpt_neox', 'embed_out.weight')).toMatchObject({ block: 'unembed', component: 'unembed' });
    for (const buffer of ['attention.bias', 'attention.masked_bias', 'attention.rotary_emb.inv_freq']) {
      expect(roleOf('gpt_neox', `gpt_neox.layers.1.${buffer}`)).toMatchObject({ block: 1, kind: 'buffer' });
    }
    const roles = names.map((n) => roleOf('gpt_neox', n));
    expect(roles.filter((r) => r.kind === 'buffer').length).toBe(6);
    expect(roles.filter((r) => r.component === 'other' && r.kind !== 'buffer')).toEqual([]);
    const canon = canonicalWeights('gpt_neox', names);
    expect(canon.size).toBe(names.length - 6);
    expect(canon.get('layers.1.attn.qkv.weight')).toBe('gpt_neox.layers.1.attention.query_key_value.weight');
    expect(canon.get('unembed.weight')).toBe('embed_out.weight');
  });

  it('GPT-2: Conv1D weights are transposed, buffers are buffers, tied unembedding', () => {
    const names = namesOf('gpt2-tied/pytorch_model.bin');
    expect(roleOf('gpt2', 'transformer.h.0.attn.c_attn.weight')).toMatchObject({ block: 0, component: 'attn.qkv', kind: 'weight', transposed: true });
    expect(roleOf('gpt2', 'h.0.attn.c_attn.bias')).toMatchObject({ block: 0, component: 'attn.qkv', kind: 'bias' });
    expect(roleOf('gpt2', 'h.0.attn.c_attn.bias').transposed).toBeUndefined();
    expect(roleOf('gpt2', 'transformer.h.1.attn.bias')).toMatchObject({ block: 1, kind: 'buffer' });
    expect(roleOf('gpt2', 'transformer.h.1.attn.masked_bias')).toMatchObject({ block: 1, kind: 'buffer' });
    expect(roleOf('gpt2', 'transformer.wpe.weight')).toMatchObject({ block: 'embed', component: 'pos_embed' });
    expect(roleOf('gpt2', 'transformer.ln_f.bias')).toMatchObject({ block: 'final', component: 'ln.final', kind: 'bias' });
    const roles = names.map((n) => roleOf('gpt2', n));
    expect(roles.filter((r) => r.component === 'other' && r.kind !== 'buffer')).toEqual([]);
    const withoutHead = canonicalWeights('gpt2', names.filter((n) => n !== 'lm_head.weight'));
    expect(withoutHead.get('unembed.weight')).toBe('transformer.wte.weight');
    expect(withoutHead.get('layers.1.mlp.out.weight')).toBe('transformer.h.1.mlp.c_proj.weight');
  });

  it('Llama with grouped-query attention', async () => {
    const src = await openSafetensors(join(FIXTURES, 'llama-gqa', 'model.safetensors'));
    const tensorNames = src.list().map((e) => e.name);
    await src.close();
    const canon = canonicalWeights('llama', tensorNames);
    for (const part of ['attn.q', 'attn.k', 'attn.v', 'attn.out', 'mlp.gate', 'mlp.in', 'mlp.out', 'ln.attn', 'ln.mlp']) {
      expect(canon.has(`layers.1.${part}.weight`), part).toBe(true);
    }
    expect(canon.get('layers.0.mlp.in.weight')).toBe('model.layers.0.mlp.up_proj.weight');
    expect(canon.get('ln.final.weight')).toBe('model.norm.weight');
    expect(canon.get('unembed.weight')).toBe('lm_head.weight');
    expect(roleOf('llama', 'model.layers.0.self_attn.rotary_emb.inv_freq').kind).toBe('buffer');
    expect(canonicalWeights('llama', tensorNames.filter((n) => n !== 'lm_head.weight'), { tiedEmbeddings: true }).get('unembed.weight')).toBe('model.embed_tokens.weight');
  });

  it('unknown families keep raw names, with a layer index when visible', () => {
    expect(roleOf('unknown', 'backbone.layers.7.mixer.in_proj.weight')).toEqual({ block: 7, component: 'other', kind: 'weight', canonical: null });
    expect(roleOf('unknown', 'lm_head.weight')).toEqual({ block: null, component: 'other', kind: 'weight', canonical: null });
  });
});

describe('familyOf on hostile model_type values', () => {
  it('does not resolve Object.prototype members as families', async () => {
    const { familyOf, readModelConfig } = await import('../../../main/architectures');
    for (const t of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(familyOf({ model_type: t })).toBe('unknown');
      expect(() => readModelConfig({ model_type: t })).not.toThrow(TypeError);
    }
  });
});

describe('roleOf on hostile tensor names', () => {
  it('maps Object.prototype member names to plain roles, never to functions', () => {
    for (const family of ['gpt_neox', 'gpt2', 'llama'] as const) {
      for (const name of ['gpt_neox.layers.0.constructor', 'transformer.h.0.constructor.weight', 'model.layers.0.__proto__.weight', 'model.layers.1.toString']) {
        const role = roleOf(family, name);
        expect(typeof role.component).toBe('string');
      }
    }
  });
});
