// GPT-NeoX (Pythia): raw names -> roles and config.json -> ModelConfig (FORMATS.md table).
// Old Pythia files carry the causal mask, masked_bias and rotary inv_freq as buffers.
import type { Component, ModelConfig } from '../../common/domain';
import { boolOr, kindOf, numberOr, otherRole, positiveInt, stringOr, stripPrefix, type ArchitectureRole, type FamilyModule, type HeadSlices, type QkvHeadSlice, ShapeError } from './types';

const LAYER_PARTS: Record<string, Component> = {
  input_layernorm: 'ln.attn',
  post_attention_layernorm: 'ln.mlp',
  'attention.query_key_value': 'attn.qkv',
  'attention.dense': 'attn.out',
  'mlp.dense_h_to_4h': 'mlp.in',
  'mlp.dense_4h_to_h': 'mlp.out',
};
const BUFFERS = new Set(['attention.bias', 'attention.masked_bias', 'attention.rotary_emb.inv_freq']);

function roleOf(name: string): ArchitectureRole {
  const n = stripPrefix(name, ['gpt_neox.']);
  const kind = kindOf(n);
  const suffix = kind === 'weight' ? 'weight' : 'bias';
  if (n === 'embed_in.weight') return { block: 'embed', component: 'embed', kind, canonical: 'embed.weight' };
  if (n === 'embed_out.weight') return { block: 'unembed', component: 'unembed', kind, canonical: 'unembed.weight' };
  if (n.startsWith('final_layer_norm.') && kind !== 'other') return { block: 'final', component: 'ln.final', kind, canonical: `ln.final.${suffix}` };
  const m = /^layers\.(\d+)\.(.+)$/.exec(n);
  if (m) {
    const block = Number(m[1]);
    const rest = m[2];
    if (BUFFERS.has(rest)) return { block, component: 'other', kind: 'buffer', canonical: null };
    const part = rest.replace(/\.(weight|bias)$/, '');
    const component = (Object.hasOwn(LAYER_PARTS, part) ? LAYER_PARTS[part] : undefined);
    if (component && kind !== 'other') return { block, component, kind, canonical: `layers.${block}.${component}.${suffix}` };
  }
  return otherRole(n);
}

function readConfig(c: Record<string, unknown>): ModelConfig {
  const hidden = positiveInt(c, ['hidden_size']);
  const heads = positiveInt(c, ['num_attention_heads']);
  return {
    family: 'gpt_neox',
    modelType: typeof c.model_type === 'string' ? c.model_type : null,
    vocabSize: positiveInt(c, ['vocab_size']),
    hidden,
    layers: positiveInt(c, ['num_hidden_layers']),
    heads,
    kvHeads: heads,
    headDim: Math.floor(hidden / heads),
    intermediate: positiveInt(c, ['intermediate_size'], 4 * hidden),
    maxPositions: positiveInt(c, ['max_position_embeddings'], 2048),
    normEps: numberOr(c, ['layer_norm_eps'], 1e-5),
    rotaryPct: numberOr(c, ['rotary_pct'], 0.25),
    rotaryBase: numberOr(c, ['rotary_emb_base', 'rope_theta'], 10000),
    parallelResidual: boolOr(c, 'use_parallel_residual', true),
    activation: stringOr(c, ['hidden_act'], 'gelu'),
    tiedEmbeddings: boolOr(c, 'tie_word_embeddings', false),
    attentionBias: boolOr(c, 'attention_bias', true),
    mlpBias: true,
  };
}


/** W_O^h [d, hd] and W_V^h [hd, d] of head h from GPT-NeoX's fused QKV [3d, d] and dense [d, d]. */
export function gptNeoxHeadSlices(
  qkv: ArrayLike<number>,
  dense: ArrayLike<number>,
  d: number,
  heads: number,
  h: number,
): HeadSlices {
  if (d % heads !== 0) throw new ShapeError(`hidden size ${d} is not divisible by ${heads} heads`);
  if (qkv.length !== 3 * d * d) throw new ShapeError(`query_key_value has ${qkv.length} values, not ${3 * d} x ${d}`);
  if (dense.length !== d * d) throw new ShapeError(`attention.dense has ${dense.length} values, not ${d} x ${d}`);
  if (!(h >= 0 && h < heads)) throw new ShapeError(`head ${h} out of range 0..${heads - 1}`);
  const hd = d / heads;
  const wV = new Float64Array(hd * d);
  const vStart = (h * 3 + 2) * hd * d;
  for (let i = 0; i < hd * d; i++) wV[i] = qkv[vStart + i];
  const wO = new Float64Array(d * hd);
  for (let r = 0; r < d; r++) for (let c = 0; c < hd; c++) wO[r * hd + c] = dense[r * d + h * hd + c];
  return { wO, wV, headDim: hd };
}

/**
 * Every head's Q, K and V [hd, d] from GPT-NeoX's fused query_key_value [3d, d], whose rows are
 * grouped per head: head h's query rows start at (3h) hd, key at (3h + 1) hd, value at (3h + 2) hd.
 */
export function gptNeoxQkvSlices(qkv: ArrayLike<number>, d: number, heads: number): QkvHeadSlice[] {
  if (d % heads !== 0) throw new ShapeError(`hidden size ${d} is not divisible by ${heads} heads`);
  if (qkv.length !== 3 * d * d) throw new ShapeError(`query_key_value has ${qkv.length} values, not ${3 * d} x ${d}`);
  const hd = d / heads;
  const out: QkvHeadSlice[] = [];
  for (let h = 0; h < heads; h++) {
    (['q', 'k', 'v'] as const).forEach((part, p) => {
      const start = (h * 3 + p) * hd * d;
      out.push({ part, head: h, rows: hd, cols: d, data: Float64Array.from({ length: hd * d }, (_, i) => qkv[start + i]) });
    });
  }
  return out;
}

export const gptNeox: FamilyModule = {
  family: 'gpt_neox',
  prefixes: ['gpt_neox.'],
  roleOf, readConfig,
  runsModel: true, tiedByDefault: false,
  ovHeads: {
    components: ['attn.qkv', 'attn.out'],
    slice: (qkv, dense, c, h) => gptNeoxHeadSlices(qkv, dense, c.hidden, c.heads, h),
  },
  qkvHeads: { components: ['attn.qkv'], slices: ([qkv], c) => gptNeoxQkvSlices(qkv, c.hidden, c.heads) },
};
