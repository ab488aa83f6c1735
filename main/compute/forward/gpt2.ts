// GPT-2 forward graph, following HF GPT2LMHeadModel: token + learned position embeddings, Conv1D
// weights stored [in, out] (so y = x W + b, no transpose), q/k/v = consecutive d-wide column
// blocks of c_attn, sequential residual, gelu_new (tanh) MLP, final ln_f, unembedding tied to wte.
// The block is its own function, shared by the whole graph and the block-streamed run (streamed.ts).
import { GraphError } from '../onnx/graph';
import { activation, causalAttention, ForwardContext, head, layerNorm, tokenInput, type BlockOut, type FamilyParts } from './common';

function check(ctx: ForwardContext): void {
  const c = ctx.config;
  if (c.heads * c.headDim !== c.hidden) throw new GraphError('forward gpt2', `heads ${c.heads} x head_dim ${c.headDim} != hidden ${c.hidden}`);
}

export function gpt2Block(ctx: ForwardContext, x: string, p: string): BlockOut {
  const { g, config: c } = ctx;
  const { batch: B, seqLen: L } = ctx.opts;
  const d = c.hidden, H = c.heads, hd = c.headDim, F = c.intermediate;
  const conv1d = (h: string, name: string, nIn: number, nOut: number) =>
    g.gemm(h, ctx.weight(name + '.weight', [nIn, nOut]), ctx.weight(name + '.bias', [nOut]));
  const heads = (t: string) => g.transpose(g.reshape(t, [B, L, H, hd]), [0, 2, 1, 3]);
  const ln = (name: string, h: string) => layerNorm(ctx, h, ctx.weight(p + name + '.weight', [d]), ctx.weight(p + name + '.bias', [d]), c.normEps);
  const qkv = conv1d(ln('ln_1', x), p + 'attn.c_attn', d, 3 * d);
  const [q, k, v] = g.split(qkv, 1, [d, d, d]) as [string, string, string];
  const o = causalAttention(ctx, heads(q), heads(k), heads(v), H, H, hd);
  const afterAttn = g.add(x, conv1d(o, p + 'attn.c_proj', d, d));
  const a = activation(ctx, conv1d(ln('ln_2', afterAttn), p + 'mlp.c_fc', d, F), c.activation);
  return { x: g.add(afterAttn, conv1d(a, p + 'mlp.c_proj', F, d)), mlp: a };
}

export const gpt2Parts: FamilyParts = {
  check,
  embedding: 'transformer.wte.weight',
  positions: 'transformer.wpe.weight',
  unembedding: (c) => (c.tiedEmbeddings ? 'transformer.wte.weight' : 'lm_head.weight'),
  blockPrefix: (i) => `transformer.h.${i}.`,
  blockKind: () => 'block',
  block: (ctx, x, p) => gpt2Block(ctx, x, p),
  finalNorm: (ctx, x) => {
    const d = ctx.config.hidden;
    return layerNorm(ctx, x, ctx.weight('transformer.ln_f.weight', [d]), ctx.weight('transformer.ln_f.bias', [d]), ctx.config.normEps);
  },
};

export function buildGpt2(ctx: ForwardContext): void {
  const { g, config: c } = ctx;
  const { seqLen: L } = ctx.opts;
  check(ctx);
  const d = c.hidden;
  const ids = tokenInput(ctx);
  const wte = ctx.weight('transformer.wte.weight', [c.vocabSize, d]);
  const wpe = ctx.weight('transformer.wpe.weight', [c.maxPositions, d]);
  const positions = g.slice(wpe, [0], [L], [0]);
  let x = g.reshape(g.add(g.gather(wte, ids), positions), [ctx.n, d]);
  if (ctx.outputs.resid) ctx.emit(x, 'resid.0');
  for (let i = 0; i < c.layers; i++) {
    const out = gpt2Block(ctx, x, gpt2Parts.blockPrefix(i));
    if (ctx.outputs.mlp) ctx.emit(out.mlp, `mlp.${i}`);
    x = out.x;
    if (ctx.outputs.resid) ctx.emit(x, `resid.${i + 1}`);
  }
  const fn = gpt2Parts.finalNorm(ctx, x);
  const unembed = c.tiedEmbeddings ? wte : ctx.weight('lm_head.weight', [c.vocabSize, d]);
  head(ctx, fn, unembed, ids);
}
