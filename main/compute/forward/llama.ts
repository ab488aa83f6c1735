// Llama-family forward graph (llama, mistral, qwen2), following HF LlamaForCausalLM: RMSNorm,
// separate q/k/v/o projections (optional q/k/v biases as in Qwen2), grouped-query attention with
// kv heads repeated, rotate-half RoPE over the whole head_dim with base rope_theta, SwiGLU MLP
// down(silu(gate(x)) * up(x)), final norm, lm_head unless tie_word_embeddings.
import { activation, causalAttention, ForwardContext, head, linear, rmsNorm, rotary, tokenInput } from './common';

export function buildLlama(ctx: ForwardContext): void {
  const { g, config: c } = ctx;
  const { batch: B, seqLen: L } = ctx.opts;
  const d = c.hidden, H = c.heads, KV = c.kvHeads, hd = c.headDim, F = c.intermediate;
  const ids = tokenInput(ctx);
  const embed = ctx.weight('model.embed_tokens.weight', [c.vocabSize, d]);
  let x = g.reshape(g.gather(embed, ids), [ctx.n, d]);
  if (ctx.outputs.resid) ctx.emit(x, 'resid.0');
  const rotaryDims = Math.floor(hd * (c.rotaryPct > 0 ? c.rotaryPct : 1));
  for (let i = 0; i < c.layers; i++) {
    const p = `model.layers.${i}.`;
    const h = rmsNorm(ctx, x, ctx.weight(p + 'input_layernorm.weight', [d]), c.normEps);
    const proj = (name: string, heads: number) => {
      const y = linear(ctx, h, ctx.weight(p + `self_attn.${name}.weight`, [heads * hd, d]),
        c.attentionBias ? ctx.weight(p + `self_attn.${name}.bias`, [heads * hd]) : null);
      return g.transpose(g.reshape(y, [B, L, heads, hd]), [0, 2, 1, 3]);
    };
    const q = rotary(ctx, proj('q_proj', H), hd, rotaryDims, c.rotaryBase);
    const k = rotary(ctx, proj('k_proj', KV), hd, rotaryDims, c.rotaryBase);
    const v = proj('v_proj', KV);
    const o = causalAttention(ctx, q, k, v, H, KV, hd);
    x = g.add(x, linear(ctx, o, ctx.weight(p + 'self_attn.o_proj.weight', [d, H * hd]), null));
    const h2 = rmsNorm(ctx, x, ctx.weight(p + 'post_attention_layernorm.weight', [d]), c.normEps);
    const mlpBias = (name: string, n: number) => (c.mlpBias ? ctx.weight(p + `mlp.${name}.bias`, [n]) : null);
    const gate = linear(ctx, h2, ctx.weight(p + 'mlp.gate_proj.weight', [F, d]), mlpBias('gate_proj', F));
    const up = linear(ctx, h2, ctx.weight(p + 'mlp.up_proj.weight', [F, d]), mlpBias('up_proj', F));
    const a = g.mul(activation(ctx, gate, c.activation), up);
    if (ctx.outputs.mlp) ctx.emit(a, `mlp.${i}`);
    x = g.add(x, linear(ctx, a, ctx.weight(p + 'mlp.down_proj.weight', [d, F]), mlpBias('down_proj', d)));
    if (ctx.outputs.resid) ctx.emit(x, `resid.${i + 1}`);
  }
  const fn = rmsNorm(ctx, x, ctx.weight('model.norm.weight', [d]), c.normEps);
  const unembed = c.tiedEmbeddings ? embed : ctx.weight('lm_head.weight', [c.vocabSize, d]);
  head(ctx, fn, unembed, ids);
}
