// GPT-NeoX (Pythia) forward graph, following HF GPTNeoXForCausalLM: fused QKV with rows grouped per
// head ([heads, 3, head_dim, d]), partial rotate-half rotary on the first rotary_pct * head_dim
// dims, exact-erf GELU MLP, parallel (x + attn(ln1 x) + mlp(ln2 x)) or sequential residual,
// untied unembedding `embed_out`.
import { GraphError } from '../onnx/graph';
import { activation, causalAttention, ForwardContext, head, layerNorm, linear, rotary, tokenInput } from './common';

export function buildGptNeoX(ctx: ForwardContext): void {
  const { g, config: c } = ctx;
  const { batch: B, seqLen: L } = ctx.opts;
  const d = c.hidden, H = c.heads, hd = c.headDim, F = c.intermediate;
  if (H * hd !== d) throw new GraphError('forward gpt_neox', `heads ${H} x head_dim ${hd} != hidden ${d}`);
  const rotaryDims = Math.floor(hd * c.rotaryPct);
  const ids = tokenInput(ctx);
  const embed = ctx.weight('gpt_neox.embed_in.weight', [c.vocabSize, d]);
  let x = g.reshape(g.gather(embed, ids), [ctx.n, d]);
  if (ctx.outputs.resid) ctx.emit(x, 'resid.0');
  const bias = (name: string, shape: number[]) => (c.attentionBias ? ctx.weight(name, shape) : null);
  for (let i = 0; i < c.layers; i++) {
    const p = `gpt_neox.layers.${i}.`;
    const attention = (h: string): string => {
      const qkv = linear(ctx, h, ctx.weight(p + 'attention.query_key_value.weight', [3 * d, d]), bias(p + 'attention.query_key_value.bias', [3 * d]));
      const perHead = g.transpose(g.reshape(qkv, [B, L, H, 3 * hd]), [0, 2, 1, 3]);
      const [q, k, v] = g.split(perHead, -1, [hd, hd, hd]) as [string, string, string];
      const qr = rotary(ctx, q, hd, rotaryDims, c.rotaryBase);
      const kr = rotary(ctx, k, hd, rotaryDims, c.rotaryBase);
      const o = causalAttention(ctx, qr, kr, v, H, H, hd);
      return linear(ctx, o, ctx.weight(p + 'attention.dense.weight', [d, d]), bias(p + 'attention.dense.bias', [d]));
    };
    const mlp = (h: string): string => {
      const mlpBias = (name: string, shape: number[]) => (c.mlpBias ? ctx.weight(name, shape) : null);
      const a = activation(ctx, linear(ctx, h, ctx.weight(p + 'mlp.dense_h_to_4h.weight', [F, d]), mlpBias(p + 'mlp.dense_h_to_4h.bias', [F])), c.activation);
      if (ctx.outputs.mlp) ctx.emit(a, `mlp.${i}`);
      return linear(ctx, a, ctx.weight(p + 'mlp.dense_4h_to_h.weight', [d, F]), mlpBias(p + 'mlp.dense_4h_to_h.bias', [d]));
    };
    const ln = (name: string, h: string) =>
      layerNorm(ctx, h, ctx.weight(p + name + '.weight', [d]), ctx.weight(p + name + '.bias', [d]), c.normEps);
    if (c.parallelResidual) {
      const attnOut = attention(ln('input_layernorm', x));
      const mlpOut = mlp(ln('post_attention_layernorm', x));
      x = g.add(g.add(mlpOut, attnOut), x);
    } else {
      const afterAttn = g.add(attention(ln('input_layernorm', x)), x);
      x = g.add(mlp(ln('post_attention_layernorm', afterAttn)), afterAttn);
    }
    if (ctx.outputs.resid) ctx.emit(x, `resid.${i + 1}`);
  }
  const fn = layerNorm(ctx, x, ctx.weight('gpt_neox.final_layer_norm.weight', [d]), ctx.weight('gpt_neox.final_layer_norm.bias', [d]), c.normEps);
  const unembed = c.tiedEmbeddings ? embed : ctx.weight('embed_out.weight', [c.vocabSize, d]);
  head(ctx, fn, unembed, ids);
}
