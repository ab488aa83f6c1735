// Llama family (llama, mistral, qwen2): raw names -> roles and config.json -> ModelConfig.
// k/v projections are [num_key_value_heads * head_dim, d] (grouped-query attention); Qwen2 adds
// biases on q/k/v; SwiGLU MLP is down(silu(gate(x)) * up(x)).
import type { Component, ModelConfig } from '../../common/domain';
import { boolOr, kindOf, numberOr, otherRole, positiveInt, stringOr, stripPrefix, type ArchitectureRole, type FamilyModule } from './types';

/** Own keys only: tensor names come from files ("constructor" must not hit Object.prototype). */
const lookupPart = (key: string): Component | undefined => (Object.hasOwn(LAYER_PARTS, key) ? LAYER_PARTS[key] : undefined);
const LAYER_PARTS: Record<string, Component> = {
  input_layernorm: 'ln.attn',
  'self_attn.q_proj': 'attn.q',
  'self_attn.k_proj': 'attn.k',
  'self_attn.v_proj': 'attn.v',
  'self_attn.o_proj': 'attn.out',
  post_attention_layernorm: 'ln.mlp',
  'mlp.gate_proj': 'mlp.gate',
  'mlp.up_proj': 'mlp.in',
  'mlp.down_proj': 'mlp.out',
};

function roleOf(name: string): ArchitectureRole {
  const n = stripPrefix(name, ['model.']);
  const kind = kindOf(n);
  const suffix = kind === 'weight' ? 'weight' : 'bias';
  if (n === 'embed_tokens.weight') return { block: 'embed', component: 'embed', kind, canonical: 'embed.weight' };
  if (n === 'lm_head.weight') return { block: 'unembed', component: 'unembed', kind, canonical: 'unembed.weight' };
  if (n.startsWith('norm.') && kind !== 'other') return { block: 'final', component: 'ln.final', kind, canonical: `ln.final.${suffix}` };
  const m = /^layers\.(\d+)\.(.+)$/.exec(n);
  if (m) {
    const block = Number(m[1]);
    const rest = m[2];
    if (rest === 'self_attn.rotary_emb.inv_freq') return { block, component: 'other', kind: 'buffer', canonical: null };
    const component = lookupPart(rest.replace(/\.(weight|bias)$/, ''));
    if (component && kind !== 'other') return { block, component, kind, canonical: `layers.${block}.${component}.${suffix}` };
  }
  return otherRole(n);
}

function readConfig(c: Record<string, unknown>): ModelConfig {
  const hidden = positiveInt(c, ['hidden_size']);
  const heads = positiveInt(c, ['num_attention_heads']);
  const modelType = typeof c.model_type === 'string' ? c.model_type : null;
  return {
    family: 'llama',
    modelType,
    vocabSize: positiveInt(c, ['vocab_size']),
    hidden,
    layers: positiveInt(c, ['num_hidden_layers']),
    heads,
    kvHeads: positiveInt(c, ['num_key_value_heads'], heads),
    headDim: positiveInt(c, ['head_dim'], Math.floor(hidden / heads)),
    intermediate: positiveInt(c, ['intermediate_size']),
    maxPositions: positiveInt(c, ['max_position_embeddings'], 2048),
    normEps: numberOr(c, ['rms_norm_eps'], 1e-6),
    rotaryPct: 1,
    rotaryBase: numberOr(c, ['rope_theta'], 10000),
    parallelResidual: false,
    activation: stringOr(c, ['hidden_act'], 'silu'),
    tiedEmbeddings: boolOr(c, 'tie_word_embeddings', false),
    attentionBias: boolOr(c, 'attention_bias', modelType === 'qwen2'),
    mlpBias: boolOr(c, 'mlp_bias', false),
  };
}

export const llama: FamilyModule = { family: 'llama', prefixes: ['model.'], roleOf, readConfig };
