// Llama-family forward graph (llama, mistral, qwen2), following HF LlamaForCausalLM /
// MistralForCausalLM / Qwen2ForCausalLM: RMSNorm, separate q/k/v/o projections (q/k/v biases for
// Qwen2 and for Llama with attention_bias, which also biases o_proj), grouped-query attention with
// kv heads repeated, rotate-half RoPE over the whole head_dim with base rope_theta and the
// rope_scaling types default / linear / dynamic / llama3 (frequencies as transformers'
// modeling_rope_utils computes them, here in float64), causal attention optionally limited to a
// sliding window (Mistral, Qwen2 with use_sliding_window), SwiGLU MLP down(silu(gate(x)) * up(x))
// (with biases under Llama's mlp_bias), final norm, lm_head unless tie_word_embeddings.
import type { ModelConfig } from '../../../common/domain';
import { ConfigError } from '../../architectures/types';
import { activation, causalAttention, ForwardContext, head, linear, rmsNorm, rotary, tokenInput, type BlockOut, type FamilyParts } from './common';

/** rope_scaling types whose frequencies the graph computes. */
export const MODELLED_ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3'] as const;

/**
 * RoPE inverse frequencies (dim / 2 values) for a probe of `seqLen` positions, as transformers
 * computes them (modeling_rope_utils):
 *   default  1 / theta^(2j / dim)
 *   linear   default / factor (the same as positions / factor)
 *   dynamic  NTK: when seqLen > max_position_embeddings (transformers recomputes the frequencies
 *            with seq_len = max position id + 1 only then), theta' = theta ((factor seqLen / max)
 *            - (factor - 1))^(dim / (dim - 2)); otherwise the default frequencies
 *   llama3   wavelengths 2 pi / f above original / low_freq_factor are divided by factor, those
 *            below original / high_freq_factor kept, and those between interpolated with
 *            s = (original / wavelength - low) / (high - low): (1 - s) f / factor + s f
 * Any other type, or a missing parameter, is a ConfigError naming config.json: the forward refuses
 * to run rather than compute activations of a model it does not reproduce.
 */
export function ropeInverseFrequencies(config: ModelConfig, dim: number, seqLen: number): Float64Array {
  const scaling = config.ropeScaling ?? null;
  const type = scaling?.type ?? 'default';
  if (!(MODELLED_ROPE_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`rope_scaling type ${JSON.stringify(type)} is not supported by the activations/gradients forward pass (supported: ${MODELLED_ROPE_TYPES.join(', ')}); weight analyses are unaffected`);
  }
  const need = (value: number | null | undefined, key: string): number => {
    if (value === null || value === undefined) throw new ConfigError(`rope_scaling type ${JSON.stringify(type)} needs a numeric ${key}`);
    return value;
  };
  let base = config.rotaryBase;
  if (type === 'dynamic') {
    const factor = need(scaling?.factor, 'factor');
    const maxPositions = config.maxPositions;
    if (seqLen > maxPositions) base = base * Math.pow(factor * seqLen / maxPositions - (factor - 1), dim / (dim - 2));
  }
  const half = dim / 2;
  const inv = new Float64Array(half);
  for (let j = 0; j < half; j++) inv[j] = 1 / Math.pow(base, (2 * j) / dim);
  if (type === 'linear') {
    const factor = need(scaling?.factor, 'factor');
    for (let j = 0; j < half; j++) inv[j] = inv[j] / factor;
  } else if (type === 'llama3') {
    const factor = need(scaling?.factor, 'factor');
    const low = need(scaling?.lowFreqFactor, 'low_freq_factor');
    const high = need(scaling?.highFreqFactor, 'high_freq_factor');
    const original = need(scaling?.originalMaxPositions, 'original_max_position_embeddings');
    const lowFreqWavelen = original / low, highFreqWavelen = original / high;
    for (let j = 0; j < half; j++) {
      const f = inv[j];
      const wavelen = (2 * Math.PI) / f;
      if (wavelen > lowFreqWavelen) inv[j] = f / factor;
      else if (wavelen >= highFreqWavelen) {
        const smooth = (original / wavelen - low) / (high - low);
        inv[j] = ((1 - smooth) * f) / factor + smooth * f;
      }
    }
  }
  return inv;
}

/**
 * Why the forward cannot run this Llama-family config (the ConfigError message), or null: lets a
 * caller report an unmodelled rope_scaling once per run instead of once per checkpoint.
 */
export function llamaForwardProblem(config: ModelConfig): string | null {
  if (config.family !== 'llama' || !config.ropeScaling) return null;
  try {
    ropeInverseFrequencies(config, Math.floor(config.headDim * (config.rotaryPct > 0 ? config.rotaryPct : 1)), 1);
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

function windowOf(c: ModelConfig, layer: number): number | null {
  const slidingLayers = c.slidingWindowLayers ? new Set(c.slidingWindowLayers) : null;
  return (c.slidingWindow ?? null) !== null && (!slidingLayers || slidingLayers.has(layer)) ? c.slidingWindow! : null;
}

/** One decoder layer on x [N, d]; weights named `p` + HF suffix; `window` = its sliding window (null: causal). */
export function llamaBlock(ctx: ForwardContext, x: string, p: string, window: number | null): BlockOut {
  const { g, config: c } = ctx;
  const { batch: B, seqLen: L } = ctx.opts;
  const d = c.hidden, H = c.heads, KV = c.kvHeads, hd = c.headDim, F = c.intermediate;
  const rotaryDims = Math.floor(hd * (c.rotaryPct > 0 ? c.rotaryPct : 1));
  const invFreq = c.ropeScaling ? ropeInverseFrequencies(c, rotaryDims, L) : undefined;
  const h = rmsNorm(ctx, x, ctx.weight(p + 'input_layernorm.weight', [d]), c.normEps);
  const proj = (name: string, heads: number) => {
    const y = linear(ctx, h, ctx.weight(p + `self_attn.${name}.weight`, [heads * hd, d]),
      c.attentionBias ? ctx.weight(p + `self_attn.${name}.bias`, [heads * hd]) : null);
    return g.transpose(g.reshape(y, [B, L, heads, hd]), [0, 2, 1, 3]);
  };
  const q = rotary(ctx, proj('q_proj', H), hd, rotaryDims, c.rotaryBase, invFreq);
  const k = rotary(ctx, proj('k_proj', KV), hd, rotaryDims, c.rotaryBase, invFreq);
  const v = proj('v_proj', KV);
  const o = causalAttention(ctx, q, k, v, H, KV, hd, window);
  const outBias = c.attentionOutBias ? ctx.weight(p + 'self_attn.o_proj.bias', [d]) : null;
  const afterAttn = g.add(x, linear(ctx, o, ctx.weight(p + 'self_attn.o_proj.weight', [d, H * hd]), outBias));
  const h2 = rmsNorm(ctx, afterAttn, ctx.weight(p + 'post_attention_layernorm.weight', [d]), c.normEps);
  const mlpBias = (name: string, n: number) => (c.mlpBias ? ctx.weight(p + `mlp.${name}.bias`, [n]) : null);
  const gate = linear(ctx, h2, ctx.weight(p + 'mlp.gate_proj.weight', [F, d]), mlpBias('gate_proj', F));
  const up = linear(ctx, h2, ctx.weight(p + 'mlp.up_proj.weight', [F, d]), mlpBias('up_proj', F));
  const a = g.mul(activation(ctx, gate, c.activation), up);
  return { x: g.add(afterAttn, linear(ctx, a, ctx.weight(p + 'mlp.down_proj.weight', [d, F]), mlpBias('down_proj', d))), mlp: a };
}

export const llamaParts: FamilyParts = {
  check: (ctx) => {
    const c = ctx.config;
    // Before any node: an unsupported rope_scaling stops the analysis at its start.
    if (c.ropeScaling) ropeInverseFrequencies(c, Math.floor(c.headDim * (c.rotaryPct > 0 ? c.rotaryPct : 1)), ctx.opts.seqLen);
  },
  embedding: 'model.embed_tokens.weight',
  unembedding: (c) => (c.tiedEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'),
  blockPrefix: (i) => `model.layers.${i}.`,
  blockKind: (c, i) => `window:${windowOf(c, i)}`,
  block: (ctx, x, p, i) => llamaBlock(ctx, x, p, windowOf(ctx.config, i)),
  finalNorm: (ctx, x) => rmsNorm(ctx, x, ctx.weight('model.norm.weight', [ctx.config.hidden]), ctx.config.normEps),
};

export function buildLlama(ctx: ForwardContext): void {
  const { g, config: c } = ctx;
  const d = c.hidden;
  llamaParts.check(ctx);
  const ids = tokenInput(ctx);
  const embed = ctx.weight('model.embed_tokens.weight', [c.vocabSize, d]);
  let x = g.reshape(g.gather(embed, ids), [ctx.n, d]);
  if (ctx.outputs.resid) ctx.emit(x, 'resid.0');
  for (let i = 0; i < c.layers; i++) {
    const out = llamaBlock(ctx, x, llamaParts.blockPrefix(i), windowOf(c, i));
    if (ctx.outputs.mlp) ctx.emit(out.mlp, `mlp.${i}`);
    x = out.x;
    if (ctx.outputs.resid) ctx.emit(x, `resid.${i + 1}`);
  }
  const fn = llamaParts.finalNorm(ctx, x);
  const unembed = c.tiedEmbeddings ? embed : ctx.weight('lm_head.weight', [c.vocabSize, d]);
  head(ctx, fn, unembed, ids);
}
