// Llama family (llama, mistral, qwen2): raw names -> roles and config.json -> ModelConfig.
// k/v projections are [num_key_value_heads * head_dim, d] (grouped-query attention); SwiGLU MLP is
// down(silu(gate(x)) * up(x)). The three model types differ only in what config.json switches on,
// read here as transformers' modeling code reads it:
//   llama:   attention_bias puts biases on q/k/v *and* o_proj; mlp_bias on gate/up/down.
//   qwen2:   q/k/v always carry biases, o_proj never (attention_bias is not a Qwen2 key); sliding
//            window only with use_sliding_window, on layers >= max_window_layers (or layer_types).
//   mistral: no biases; sliding_window (when not null) on every layer.
// rope_scaling (or transformers 5's rope_parameters) is recorded as written and never rejected
// here: weight analyses do not need it, and the forward graph refuses the types it does not model.
import type { Component, ModelConfig } from '../../common/domain';
import { boolOr, kindOf, numberOr, otherRole, positiveInt, stringOr, stripPrefix, type ArchitectureRole, type FamilyModule, type HeadSlices, type QkvHeadSlice, ShapeError } from './types';

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
  // Newer transformers keep one model-level rotary embedding (model.rotary_emb.inv_freq): a buffer.
  if (n === 'rotary_emb.inv_freq') return { block: null, component: 'other', kind: 'buffer', canonical: null };
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

type Variant = 'llama' | 'mistral' | 'qwen2';

/** Which of the three model types: model_type, else the architectures[0] class name. */
function variantOf(c: Record<string, unknown>): Variant {
  const type = typeof c.model_type === 'string' ? c.model_type : '';
  if (type === 'mistral' || type === 'qwen2') return type;
  if (type === 'llama') return 'llama';
  const arch = Array.isArray(c.architectures) && typeof c.architectures[0] === 'string' ? c.architectures[0] : '';
  if (/^Mistral/.test(arch)) return 'mistral';
  if (/^Qwen2(For|Model)/.test(arch)) return 'qwen2';
  return 'llama';
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * rope_scaling as written. transformers copies a legacy `type` over `rope_type` when both are
 * present, so `type` wins here too. A rope_scaling that is not an object, or has no type, is
 * recorded under a type naming the problem, which the forward graph then reports.
 */
export function readRopeScaling(c: Record<string, unknown>): ModelConfig['ropeScaling'] {
  let raw: unknown = c.rope_scaling;
  // transformers 5 writes rope_parameters (with rope_theta inside) instead of rope_scaling.
  if ((raw === undefined || raw === null) && isRecord(c.rope_parameters)) raw = c.rope_parameters;
  if (raw === undefined || raw === null) return null;
  if (!isRecord(raw)) return { type: `(rope_scaling is not an object)`, factor: null, lowFreqFactor: null, highFreqFactor: null, originalMaxPositions: null };
  const type = typeof raw.type === 'string' ? raw.type : typeof raw.rope_type === 'string' ? raw.rope_type : raw === c.rope_parameters ? 'default' : '(no type or rope_type)';
  if (type === 'default') return null;
  return {
    type,
    factor: finiteOrNull(raw.factor),
    lowFreqFactor: finiteOrNull(raw.low_freq_factor),
    highFreqFactor: finiteOrNull(raw.high_freq_factor),
    originalMaxPositions: finiteOrNull(raw.original_max_position_embeddings),
  };
}

/** Sliding-window attention: the window and the layers that use it (null when none does). */
function readSlidingWindow(c: Record<string, unknown>, variant: Variant, layers: number): { window: number; layers?: number[] } | null {
  const w = c.sliding_window;
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1) return null;
  if (variant === 'mistral') return { window: w };
  if (variant !== 'qwen2' || c.use_sliding_window !== true) return null;
  // Qwen2Config: layer_types when given, else sliding_attention on layers >= max_window_layers.
  let used: number[];
  if (Array.isArray(c.layer_types) && c.layer_types.length === layers) {
    used = c.layer_types.flatMap((t, i) => (t === 'sliding_attention' ? [i] : []));
  } else {
    const from = typeof c.max_window_layers === 'number' && Number.isInteger(c.max_window_layers) ? c.max_window_layers : 28;
    used = Array.from({ length: layers }, (_, i) => i).filter((i) => i >= from);
  }
  return used.length > 0 ? { window: w, layers: used } : null;
}

/** max_position_embeddings defaults of LlamaConfig, MistralConfig and Qwen2Config. */
const DEFAULT_MAX_POSITIONS: Record<Variant, number> = { llama: 2048, mistral: 4096 * 32, qwen2: 32768 };

function readConfig(c: Record<string, unknown>): ModelConfig {
  const hidden = positiveInt(c, ['hidden_size']);
  const heads = positiveInt(c, ['num_attention_heads']);
  const layers = positiveInt(c, ['num_hidden_layers']);
  const modelType = typeof c.model_type === 'string' ? c.model_type : null;
  const variant = variantOf(c);
  const llamaBias = boolOr(c, 'attention_bias', false);
  const ropeParameters = isRecord(c.rope_parameters) ? c.rope_parameters : {};
  const sliding = readSlidingWindow(c, variant, layers);
  const config: ModelConfig = {
    family: 'llama',
    modelType,
    vocabSize: positiveInt(c, ['vocab_size']),
    hidden,
    layers,
    heads,
    kvHeads: positiveInt(c, ['num_key_value_heads'], heads),
    // head_dim may be explicit and differ from hidden / heads (Mistral-Nemo); null means absent.
    headDim: positiveInt(c, ['head_dim'], Math.floor(hidden / heads)),
    intermediate: positiveInt(c, ['intermediate_size']),
    maxPositions: positiveInt(c, ['max_position_embeddings'], DEFAULT_MAX_POSITIONS[variant]),
    normEps: numberOr(c, ['rms_norm_eps'], 1e-6),
    rotaryPct: 1,
    rotaryBase: numberOr(c, ['rope_theta'], numberOr(ropeParameters, ['rope_theta'], 10000)),
    parallelResidual: false,
    activation: stringOr(c, ['hidden_act'], 'silu'),
    tiedEmbeddings: boolOr(c, 'tie_word_embeddings', false),
    attentionBias: variant === 'qwen2' ? true : variant === 'llama' ? llamaBias : false,
    attentionOutBias: variant === 'llama' ? llamaBias : false,
    mlpBias: variant === 'llama' ? boolOr(c, 'mlp_bias', false) : false,
    ropeScaling: readRopeScaling(c),
    slidingWindow: sliding?.window ?? null,
  };
  if (sliding?.layers) config.slidingWindowLayers = sliding.layers;
  return config;
}


/**
 * Llama head slices with grouped-query attention: v_proj is [kvHeads*hd, d] and head h reads kv
 * head floor(h / (heads / kvHeads)); o_proj is [d, heads*hd] (head h = columns h*hd..(h+1)*hd).
 */
export function llamaHeadSlices(vProj: ArrayLike<number>, oProj: ArrayLike<number>, d: number, heads: number, kvHeads: number, hd: number, h: number): HeadSlices {
  if (heads % kvHeads !== 0) throw new ShapeError(`${heads} heads are not a multiple of ${kvHeads} kv heads`);
  if (vProj.length !== kvHeads * hd * d) throw new ShapeError(`v_proj has ${vProj.length} values, not ${kvHeads * hd} x ${d}`);
  if (oProj.length !== d * heads * hd) throw new ShapeError(`o_proj has ${oProj.length} values, not ${d} x ${heads * hd}`);
  const kv = Math.floor(h / (heads / kvHeads));
  const wV = new Float64Array(hd * d);
  for (let i = 0; i < hd * d; i++) wV[i] = vProj[kv * hd * d + i];
  const wO = new Float64Array(d * hd);
  for (let r = 0; r < d; r++) for (let c = 0; c < hd; c++) wO[r * hd + c] = oProj[r * heads * hd + h * hd + c];
  return { wO, wV, headDim: hd };
}

/**
 * Every head's Q, K and V [hd, d] from q_proj [heads*hd, d], k_proj and v_proj [kvHeads*hd, d]:
 * one K and one V per kv head under grouped-query attention (head = the kv head's index).
 */
export function llamaQkvSlices(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, d: number, heads: number, kvHeads: number, hd: number): QkvHeadSlice[] {
  const parts = [['q', q, heads], ['k', k, kvHeads], ['v', v, kvHeads]] as const;
  const out: QkvHeadSlice[] = [];
  for (const [part, w, n] of parts) {
    if (w.length !== n * hd * d) throw new ShapeError(`${part}_proj has ${w.length} values, not ${n * hd} x ${d}`);
    for (let h = 0; h < n; h++) out.push({ part, head: h, rows: hd, cols: d, data: Float64Array.from({ length: hd * d }, (_, i) => w[h * hd * d + i]) });
  }
  return out;
}

export const llama: FamilyModule = {
  family: 'llama',
  prefixes: ['model.'],
  roleOf, readConfig,
  runsModel: true, tiedByDefault: false,
  ovHeads: {
    components: ['attn.v', 'attn.out'],
    slice: (v, o, c, h) => llamaHeadSlices(v, o, c.hidden, c.heads, c.kvHeads, c.headDim, h),
  },
  qkvHeads: {
    components: ['attn.q', 'attn.k', 'attn.v'],
    slices: ([q, k, v], c) => llamaQkvSlices(q, k, v, c.hidden, c.heads, c.kvHeads, c.headDim),
  },
};
