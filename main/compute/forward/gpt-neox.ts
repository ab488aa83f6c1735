// GPT-NeoX (Pythia) forward graph, following HF GPTNeoXForCausalLM: fused QKV with rows grouped per
// head ([heads, 3, head_dim, d]), partial rotate-half rotary on the first rotary_pct * head_dim
// dims, exact-erf GELU MLP, parallel (x + attn(ln1 x) + mlp(ln2 x)) or sequential residual,
// untied unembedding `embed_out`. The block is its own function so that the block-streamed run
// (streamed.ts) builds one graph per block type from the same code as the whole graph.
import { GraphError } from '../onnx/graph';
import { activation, causalAttention, ForwardContext, head, layerNorm, linear, rotary, tokenInput, type BlockOut, type FamilyParts } from './common';

function check(ctx: ForwardContext): void {
  const c = ctx.config;
  if (c.heads * c.headDim !== c.hidden) throw new GraphError('forward gpt_neox', `heads ${c.heads} x head_dim ${c.headDim} != hidden ${c.hidden}`);
}

/** One transformer block on the residual stream x [N, d]; weights named `p` + HF suffix. */
export function neoxBlock(ctx: ForwardContext, x: string, p: string): BlockOut {
  const { g, config: c } = ctx;
  const { batch: B, seqLen: L } = ctx.opts;
  const d = c.hidden, H = c.heads, hd = c.headDim, F = c.intermediate;
  const rotaryDims = Math.floor(hd * c.rotaryPct);
  const bias = (name: string, shape: number[]) => (c.attentionBias ? ctx.weight(name, shape) : null);
  const attention = (h: string): string => {
    const qkv = linear(ctx, h, ctx.weight(p + 'attention.query_key_value.weight', [3 * d, d]), bias(p + 'attention.query_key_value.bias', [3 * d]));
    const perHead = g.transpose(g.reshape(qkv, [B, L, H, 3 * hd]), [0, 2, 1, 3]);
    const [q, k, v] = g.split(perHead, -1, [hd, hd, hd]) as [string, string, string];
    const qr = rotary(ctx, q, hd, rotaryDims, c.rotaryBase);
    const kr = rotary(ctx, k, hd, rotaryDims, c.rotaryBase);
    const o = causalAttention(ctx, qr, kr, v, H, H, hd);
    return linear(ctx, o, ctx.weight(p + 'attention.dense.weight', [d, d]), bias(p + 'attention.dense.bias', [d]));
  };
  let mlpAct = '';
  const mlp = (h: string): string => {
    const mlpBias = (name: string, shape: number[]) => (c.mlpBias ? ctx.weight(name, shape) : null);
    mlpAct = activation(ctx, linear(ctx, h, ctx.weight(p + 'mlp.dense_h_to_4h.weight', [F, d]), mlpBias(p + 'mlp.dense_h_to_4h.bias', [F])), c.activation);
    return linear(ctx, mlpAct, ctx.weight(p + 'mlp.dense_4h_to_h.weight', [d, F]), mlpBias(p + 'mlp.dense_4h_to_h.bias', [d]));
  };
  const ln = (name: string, h: string) =>
    layerNorm(ctx, h, ctx.weight(p + name + '.weight', [d]), ctx.weight(p + name + '.bias', [d]), c.normEps);
  if (c.parallelResidual) {
    const attnOut = attention(ln('input_layernorm', x));
    const mlpOut = mlp(ln('post_attention_layernorm', x));
    return { x: g.add(g.add(mlpOut, attnOut), x), mlp: mlpAct };
  }
  const afterAttn = g.add(attention(ln('input_layernorm', x)), x);
  return { x: g.add(mlp(ln('post_attention_layernorm', afterAttn)), afterAttn), mlp: mlpAct };
}

export const neoxParts: FamilyParts = {
  check,
  embedding: 'gpt_neox.embed_in.weight',
  unembedding: (c) => (c.tiedEmbeddings ? 'gpt_neox.embed_in.weight' : 'embed_out.weight'),
  blockPrefix: (i) => `gpt_neox.layers.${i}.`,
  blockKind: () => 'block',
  block: (ctx, x, p) => neoxBlock(ctx, x, p),
  finalNorm: (ctx, x) => {
    const d = ctx.config.hidden;
    return layerNorm(ctx, x, ctx.weight('gpt_neox.final_layer_norm.weight', [d]), ctx.weight('gpt_neox.final_layer_norm.bias', [d]), ctx.config.normEps);
  },
};

export function buildGptNeoX(ctx: ForwardContext): void {
  const { g, config: c } = ctx;
  check(ctx);
  const d = c.hidden;
  const ids = tokenInput(ctx);
  const embed = ctx.weight('gpt_neox.embed_in.weight', [c.vocabSize, d]);
  let x = g.reshape(g.gather(embed, ids), [ctx.n, d]);
  if (ctx.outputs.resid) ctx.emit(x, 'resid.0');
  for (let i = 0; i < c.layers; i++) {
    const out = neoxBlock(ctx, x, neoxParts.blockPrefix(i));
    if (ctx.outputs.mlp) ctx.emit(out.mlp, `mlp.${i}`);
    x = out.x;
    if (ctx.outputs.resid) ctx.emit(x, `resid.${i + 1}`);
  }
  const fn = neoxParts.finalNorm(ctx, x);
  const unembed = c.tiedEmbeddings ? embed : ctx.weight('embed_out.weight', [c.vocabSize, d]);
  head(ctx, fn, unembed, ids);
}
