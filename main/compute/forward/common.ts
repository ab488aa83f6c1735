// Shared pieces of the per-family forward graphs: weight inputs, norms, activations, rotary
// embeddings, causal attention, and the head (logits, next-token loss, argmax). Everything is
// float32 and written with ops that main/compute/backward/ knows how to differentiate, so the
// same graph yields gradients when asked. Shapes are static (batch and sequence length are fixed
// per graph), which lets backward undo broadcasting without runtime shape ops.
import type { ModelConfig } from '../../../common/domain';
import { GraphBuilder, GraphError, f } from '../onnx/graph';

export interface ForwardOutputs {
  /** resid.0 .. resid.L ([B, L, d]). Default true. */
  resid?: boolean;
  /** final_norm ([B, L, d]). Default true. */
  finalNorm?: boolean;
  /** logits ([B, L, V]). Default true. */
  logits?: boolean;
  /** mlp.i: each block's MLP hidden activation after the activation function ([B, L, F]). Default true. */
  mlp?: boolean;
  /** loss (scalar) and argmax ([B, L] int64, for top-1 accuracy). Default true. */
  loss?: boolean;
}

export interface ForwardOptions {
  batch: number;
  seqLen: number;
  outputs?: ForwardOutputs;
  /** Add the backward pass: one `grad.{raw name}` output per weight input (needs the loss). */
  gradients?: boolean;
}

/** What one transformer block leaves: the new residual stream and its MLP hidden activation, both [N, *]. */
export interface BlockOut {
  x: string;
  mlp: string;
}

/**
 * A family's model cut into the pieces the block-streamed run (streamed.ts) builds graphs from;
 * the whole-graph builders use the same functions, so both runs compute the same ops.
 */
export interface FamilyParts {
  /** Throws a GraphError/ConfigError for a config the graphs cannot run, before any node. */
  check(ctx: ForwardContext): void;
  /** Token embedding [V, d] (full name). */
  embedding: string;
  /** Learned positions [maxPositions, d] added to the embedding (GPT-2). */
  positions?: string;
  /** Unembedding [V, d]: the embedding itself when tied. */
  unembedding(config: ModelConfig): string;
  /** Full-name prefix of block i's weights, e.g. `gpt_neox.layers.3.`. */
  blockPrefix(i: number): string;
  /** Blocks with equal kinds share one graph (e.g. Llama layers with and without a sliding window). */
  blockKind(config: ModelConfig, i: number): string;
  block(ctx: ForwardContext, x: string, prefix: string, i: number): BlockOut;
  /** The final norm of x [N, d] (weights by their full names). */
  finalNorm(ctx: ForwardContext, x: string): string;
}

/** State shared while one family's graph is built. */
export class ForwardContext {
  readonly g: GraphBuilder;
  readonly weightInputs: string[] = [];
  /** Each causalAttention's probabilities [B, H, L, L], in call order (streamed-graphs.ts can output them). */
  readonly attentionProbs: string[] = [];
  readonly n: number;
  readonly outputs: Required<ForwardOutputs>;

  constructor(readonly config: ModelConfig, readonly opts: ForwardOptions) {
    if (!Number.isInteger(opts.batch) || opts.batch < 1 || !Number.isInteger(opts.seqLen) || opts.seqLen < 1) {
      throw new GraphError(`forward ${config.family}`, `batch and seqLen must be positive integers (got ${opts.batch}, ${opts.seqLen})`);
    }
    if (config.maxPositions > 0 && opts.seqLen > config.maxPositions && config.family === 'gpt2') {
      throw new GraphError(`forward ${config.family}`, `seqLen ${opts.seqLen} exceeds the ${config.maxPositions} learned positions`);
    }
    this.g = new GraphBuilder(`forward_${config.family}`);
    this.n = opts.batch * opts.seqLen;
    const o = opts.outputs ?? {};
    this.outputs = {
      resid: o.resid ?? true,
      finalNorm: o.finalNorm ?? true,
      logits: o.logits ?? true,
      mlp: o.mlp ?? true,
      loss: o.loss ?? true,
    };
    if (opts.gradients) this.outputs.loss = true;
    if (opts.seqLen < 2 && this.outputs.loss) {
      throw new GraphError(`forward ${config.family}`, 'the next-token loss needs seqLen >= 2');
    }
  }

  /** Declare a weight as a float32 graph input named by its raw (full) name. */
  weight(name: string, shape: number[]): string {
    if (this.g.has(name)) return name;
    this.weightInputs.push(name);
    return this.g.input(name, 'float32', shape);
  }

  /** Expose a [N, k] activation as a [B, L, k] output. */
  emit(value: string, name: string): void {
    const k = this.g.staticShape(value).at(-1)!;
    this.g.output(this.g.reshape(value, [this.opts.batch, this.opts.seqLen, k]), name);
  }
}

/** LayerNorm over the last axis; LayerNormalization-17 with its Mean and InvStdDev outputs (backward reuses them). */
export function layerNorm(ctx: ForwardContext, x: string, weight: string, bias: string | null, eps: number): string {
  const g = ctx.g;
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return g.nodeMulti('LayerNormalization', inputs, { axis: -1, epsilon: f(eps) }, { outputs: 3 })[0];
}

/** Llama RMSNorm: weight * (x / sqrt(mean(x^2) + eps)), as in LlamaRMSNorm. */
export function rmsNorm(ctx: ForwardContext, x: string, weight: string, eps: number): string {
  const g = ctx.g;
  const variance = g.reduceMean(g.mul(x, x), [-1]);
  const inv = g.node('Reciprocal', [g.sqrt(g.add(variance, g.scalar(eps)))]);
  return g.mul(g.mul(x, inv), weight);
}

/** The MLP activation by its HF name. */
export function activation(ctx: ForwardContext, x: string, name: string): string {
  const g = ctx.g;
  switch (name) {
    case 'gelu':
      // Exact erf GELU: 0.5 x (1 + erf(x / sqrt 2)).
      return g.mul(g.mul(x, g.scalar(0.5)), g.add(g.erf(g.mul(x, g.scalar(Math.SQRT1_2))), g.scalar(1)));
    case 'gelu_new': case 'gelu_fast': case 'gelu_pytorch_tanh': {
      // Tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
      const cube = g.mul(g.mul(x, x), x);
      const inner = g.mul(g.add(x, g.mul(cube, g.scalar(0.044715))), g.scalar(Math.sqrt(2 / Math.PI)));
      return g.mul(g.mul(x, g.scalar(0.5)), g.add(g.tanh(inner), g.scalar(1)));
    }
    case 'silu': case 'swish':
      return g.mul(x, g.sigmoid(x));
    case 'relu':
      return g.relu(x);
    default:
      throw new GraphError(`forward ${ctx.config.family}`, `activation ${name} is not supported`);
  }
}

/**
 * Rotate-half rotary embedding on the first `rotaryDims` of the last axis of x [B, H, L, hd],
 * positions 0..L-1. cos/sin tables are computed in float64 (as the reference) and stored float32.
 * rotate_half(x) * sin is written as concat(x2, x1) * [-sin, sin], which saves a Neg.
 * `invFreq` (rotaryDims / 2 values) replaces the plain 1 / base^(2j / rotaryDims) frequencies, for
 * scaled RoPE (Llama rope_scaling); without it the tables are the plain ones.
 */
export function rotary(ctx: ForwardContext, x: string, headDim: number, rotaryDims: number, base: number, invFreq?: ArrayLike<number>): string {
  if (rotaryDims <= 0) return x;
  if (rotaryDims % 2 !== 0) throw new GraphError(`forward ${ctx.config.family}`, `rotary dims ${rotaryDims} must be even`);
  const g = ctx.g;
  const L = ctx.opts.seqLen;
  const half = rotaryDims / 2;
  if (invFreq && invFreq.length !== half) throw new GraphError(`forward ${ctx.config.family}`, `${invFreq.length} rotary frequencies for ${rotaryDims} rotary dims`);
  const cos = new Float32Array(L * rotaryDims), sin = new Float32Array(L * rotaryDims);
  for (let p = 0; p < L; p++) {
    for (let j = 0; j < half; j++) {
      const angle = p * (invFreq ? invFreq[j] : 1 / Math.pow(base, (2 * j) / rotaryDims));
      cos[p * rotaryDims + j] = cos[p * rotaryDims + j + half] = Math.cos(angle);
      sin[p * rotaryDims + j] = -Math.sin(angle);
      sin[p * rotaryDims + j + half] = Math.sin(angle);
    }
  }
  const tag = invFreq ? '_scaled' : '';
  const cosT = ctxConst(ctx, 'rotary_cos' + tag, cos, [L, rotaryDims]);
  const sinT = ctxConst(ctx, 'rotary_sin_signed' + tag, sin, [L, rotaryDims]);
  let rot = x, pass: string | null = null;
  if (rotaryDims < headDim) [rot, pass] = g.split(x, -1, [rotaryDims, headDim - rotaryDims]) as [string, string];
  const [x1, x2] = g.split(rot, -1, [half, half]) as [string, string];
  const rotated = g.add(g.mul(rot, cosT), g.mul(g.concat([x2, x1], -1), sinT));
  return pass ? g.concat([rotated, pass], -1) : rotated;
}

const constNames = new WeakMap<GraphBuilder, Map<string, string>>();
function ctxConst(ctx: ForwardContext, key: string, data: Float32Array, dims: number[]): string {
  let m = constNames.get(ctx.g);
  if (!m) constNames.set(ctx.g, (m = new Map()));
  const k = `${key}:${dims.join('x')}`;
  let name = m.get(k);
  if (!name) m.set(k, (name = ctx.g.initializer(data, dims, 'float32')));
  return name;
}

/**
 * Causal softmax attention on q, k, v [B, H, L, hd] (k, v may have fewer heads: grouped-query,
 * repeated as HF's repeat_kv does, head h using kv head h // (H / kvH)); returns [N, H * hd].
 * `window` W limits query i to keys i - W < j <= i (transformers' sliding_window_overlay); with
 * W >= L that band is the whole causal triangle, so the plain mask is used.
 */
export function causalAttention(ctx: ForwardContext, q: string, k: string, v: string, heads: number, kvHeads: number, headDim: number, window: number | null = null): string {
  const g = ctx.g;
  const { batch: B, seqLen: L } = ctx.opts;
  if (kvHeads !== heads) {
    if (heads % kvHeads !== 0) throw new GraphError(`forward ${ctx.config.family}`, `heads ${heads} not a multiple of kv heads ${kvHeads}`);
    const rep = heads / kvHeads;
    const repeat = (t: string) => g.reshape(g.expand(g.unsqueeze(t, [2]), [B, kvHeads, rep, L, headDim]), [B, heads, L, headDim]);
    k = repeat(k);
    v = repeat(v);
  }
  const qScaled = g.mul(q, g.scalar(1 / Math.sqrt(headDim)));
  const scores = g.matmul(qScaled, g.transpose(k, [0, 1, 3, 2]));
  if (window !== null && (!Number.isInteger(window) || window < 1)) throw new GraphError(`forward ${ctx.config.family}`, `sliding window ${window} must be a positive integer`);
  let mask: string;
  if (window !== null && window < L) {
    mask = ctxConst(ctx, `sliding_mask_${window}`, slidingWindowMask(L, window), [L, L]);
  } else {
    // Causal mask: -inf strictly above the diagonal, 0 elsewhere (Trilu keeps j >= i + 1).
    const full = g.node('ConstantOfShape', [g.int64([L, L])], { value: { tensor: Float32Array.of(-Infinity), dims: [1], dtype: 'float32' } });
    mask = g.node('Trilu', [full, g.int64([1], [])], { upper: 1 });
  }
  const probs = g.softmax(g.add(scores, mask), -1);
  ctx.attentionProbs.push(probs);
  const context = g.matmul(probs, v);
  return g.reshape(g.transpose(context, [0, 2, 1, 3]), [ctx.n, heads * headDim]);
}

/** Additive [L, L] mask: 0 where query i may see key j (i - window < j <= i), -inf elsewhere. */
export function slidingWindowMask(L: number, window: number): Float32Array {
  const mask = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) if (j > i || j <= i - window) mask[i * L + j] = -Infinity;
  return mask;
}

/** y = x W^T (+ b) for an HF Linear weight [out, in]; x is [N, in]. */
export function linear(ctx: ForwardContext, x: string, weight: string, bias: string | null): string {
  return ctx.g.gemm(x, weight, bias ?? undefined, { transB: true });
}

/** Token ids [B, L] int64 input. */
export function tokenInput(ctx: ForwardContext): string {
  return ctx.g.input('input_ids', 'int64', [ctx.opts.batch, ctx.opts.seqLen]);
}

/**
 * The head: logits = final_norm W_U^T, and when asked the mean next-token cross-entropy over
 * B x (L-1) predictions (natural log) and the argmax per position. `unembedIsLinear` is true
 * for [V, d] weights (every family here: GPT-2 ties to wte [V, d]).
 */
export function head(ctx: ForwardContext, finalNorm: string, unembed: string, ids: string): void {
  const g = ctx.g;
  const { batch: B, seqLen: L } = ctx.opts;

  const logits = g.gemm(finalNorm, unembed, undefined, { transB: true });
  if (ctx.outputs.finalNorm) ctx.emit(finalNorm, 'final_norm');
  if (ctx.outputs.logits) ctx.emit(logits, 'logits');
  if (!ctx.outputs.loss) return;
  g.output(g.reshape(g.node('ArgMax', [logits], { axis: 1, keepdims: 0 }), [B, L]), 'argmax');
  // Targets: ids shifted left by one; the last position of each row gets a dummy target 0 and
  // weight 0, so the log-softmax stays on the full [N, V] tensor (no slicing of the big one).
  const next = g.slice(ids, [1], [L], [1]);
  const targets = g.reshape(g.concat([next, g.int64(new Array(B).fill(0), [B, 1])], 1), [ctx.n, 1]);
  const weights = new Float32Array(ctx.n);
  for (let b = 0; b < B; b++) for (let t = 0; t < L - 1; t++) weights[b * L + t] = 1 / (B * (L - 1));
  const logp = g.logSoftmax(logits, 1);
  const picked = g.node('GatherElements', [logp, targets], { axis: 1 });
  const weighted = g.mul(picked, g.initializer(weights, [ctx.n, 1], 'float32'));
  const total = g.node('ReduceSum', [weighted], { keepdims: 0 });
  g.output(g.neg(total), 'loss');

}
