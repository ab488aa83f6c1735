// GPT-2: raw names -> roles and config.json -> ModelConfig. Its Conv1D layers store weights as
// [in, out] (the transpose of torch.nn.Linear), flagged `transposed` for the forward graphs.
import type { Component, ModelConfig } from '../../common/domain';
import { boolOr, kindOf, numberOr, otherRole, positiveInt, stringOr, stripPrefix, type ArchitectureRole, type FamilyModule, type HeadSlices, type QkvHeadSlice, ShapeError } from './types';

/** Own keys only: tensor names come from files ("constructor" must not hit Object.prototype). */
const lookupPart = (key: string): { component: Component; conv1d: boolean } | undefined => (Object.hasOwn(LAYER_PARTS, key) ? LAYER_PARTS[key] : undefined);
const LAYER_PARTS: Record<string, { component: Component; conv1d: boolean }> = {
  ln_1: { component: 'ln.attn', conv1d: false },
  'attn.c_attn': { component: 'attn.qkv', conv1d: true },
  'attn.c_proj': { component: 'attn.out', conv1d: true },
  ln_2: { component: 'ln.mlp', conv1d: false },
  'mlp.c_fc': { component: 'mlp.in', conv1d: true },
  'mlp.c_proj': { component: 'mlp.out', conv1d: true },
};
const BUFFERS = new Set(['attn.bias', 'attn.masked_bias']);

function roleOf(name: string): ArchitectureRole {
  const n = stripPrefix(name, ['transformer.']);
  const kind = kindOf(n);
  const suffix = kind === 'weight' ? 'weight' : 'bias';
  if (n === 'wte.weight') return { block: 'embed', component: 'embed', kind, canonical: 'embed.weight' };
  if (n === 'wpe.weight') return { block: 'embed', component: 'pos_embed', kind, canonical: 'pos_embed.weight' };
  if (n === 'lm_head.weight') return { block: 'unembed', component: 'unembed', kind, canonical: 'unembed.weight' };
  if (n.startsWith('ln_f.') && kind !== 'other') return { block: 'final', component: 'ln.final', kind, canonical: `ln.final.${suffix}` };
  const m = /^h\.(\d+)\.(.+)$/.exec(n);
  if (m) {
    const block = Number(m[1]);
    const rest = m[2];
    if (BUFFERS.has(rest)) return { block, component: 'other', kind: 'buffer', canonical: null };
    const part = lookupPart(rest.replace(/\.(weight|bias)$/, ''));
    if (part && kind !== 'other') {
      return {
        block, component: part.component, kind, canonical: `layers.${block}.${part.component}.${suffix}`,
        ...(part.conv1d && kind === 'weight' ? { transposed: true } : {}),
      };
    }
  }
  return otherRole(n);
}

function readConfig(c: Record<string, unknown>): ModelConfig {
  const hidden = positiveInt(c, ['n_embd', 'hidden_size'], 768);
  const heads = positiveInt(c, ['n_head', 'num_attention_heads'], 12);
  const inner = c.n_inner;
  return {
    family: 'gpt2',
    modelType: typeof c.model_type === 'string' ? c.model_type : null,
    vocabSize: positiveInt(c, ['vocab_size'], 50257),
    hidden,
    layers: positiveInt(c, ['n_layer', 'num_hidden_layers'], 12),
    heads,
    kvHeads: heads,
    headDim: Math.floor(hidden / heads),
    intermediate: typeof inner === 'number' && inner > 0 ? inner : 4 * hidden,
    maxPositions: positiveInt(c, ['n_positions', 'max_position_embeddings'], 1024),
    normEps: numberOr(c, ['layer_norm_epsilon'], 1e-5),
    rotaryPct: 0,
    rotaryBase: 0,
    parallelResidual: false,
    activation: stringOr(c, ['activation_function'], 'gelu_new'),
    tiedEmbeddings: boolOr(c, 'tie_word_embeddings', true),
    attentionBias: true,
    mlpBias: true,
  };
}


/**
 * GPT-2 head slices. Conv1D stores [in, out]: c_attn is [d, 3d] with V in output columns 2d..3d
 * (head h at 2d + h*hd), c_proj is [d (concatenated heads), d]. W_V^h [hd, d] is the transpose of
 * c_attn's V columns of head h; W_O^h [d, hd] the transpose of c_proj's rows h*hd..(h+1)*hd.
 */
export function gpt2HeadSlices(cAttn: ArrayLike<number>, cProj: ArrayLike<number>, d: number, heads: number, h: number): HeadSlices {
  if (d % heads !== 0) throw new ShapeError(`hidden size ${d} is not divisible by ${heads} heads`);
  if (cAttn.length !== 3 * d * d) throw new ShapeError(`c_attn has ${cAttn.length} values, not ${d} x ${3 * d}`);
  if (cProj.length !== d * d) throw new ShapeError(`c_proj has ${cProj.length} values, not ${d} x ${d}`);
  const hd = d / heads;
  const wV = new Float64Array(hd * d);
  for (let r = 0; r < hd; r++) for (let c = 0; c < d; c++) wV[r * d + c] = cAttn[c * 3 * d + 2 * d + h * hd + r];
  const wO = new Float64Array(d * hd);
  for (let r = 0; r < d; r++) for (let c = 0; c < hd; c++) wO[r * hd + c] = cProj[(h * hd + c) * d + r];
  return { wO, wV, headDim: hd };
}

/**
 * Every head's Q, K and V [hd, d] from GPT-2's Conv1D c_attn [d, 3d] ([in, out]): part p of head
 * h is output columns p d + h hd .. p d + (h + 1) hd, transposed.
 */
export function gpt2QkvSlices(cAttn: ArrayLike<number>, d: number, heads: number): QkvHeadSlice[] {
  if (d % heads !== 0) throw new ShapeError(`hidden size ${d} is not divisible by ${heads} heads`);
  if (cAttn.length !== 3 * d * d) throw new ShapeError(`c_attn has ${cAttn.length} values, not ${d} x ${3 * d}`);
  const hd = d / heads;
  const out: QkvHeadSlice[] = [];
  for (let h = 0; h < heads; h++) {
    (['q', 'k', 'v'] as const).forEach((part, p) => {
      const data = new Float64Array(hd * d);
      for (let r = 0; r < hd; r++) for (let c = 0; c < d; c++) data[r * d + c] = cAttn[c * 3 * d + p * d + h * hd + r];
      out.push({ part, head: h, rows: hd, cols: d, data });
    });
  }
  return out;
}

export const gpt2: FamilyModule = {
  family: 'gpt2',
  prefixes: ['transformer.'],
  roleOf, readConfig,
  runsModel: true, tiedByDefault: true,
  ovHeads: {
    components: ['attn.qkv', 'attn.out'],
    slice: (cAttn, cProj, c, h) => gpt2HeadSlices(cAttn, cProj, c.hidden, c.heads, h),
  },
  qkvHeads: { components: ['attn.qkv'], slices: ([cAttn], c) => gpt2QkvSlices(cAttn, c.hidden, c.heads) },
};
