// The small ONNX graphs of the block-streamed run (streamed.ts), built from the same family code as
// the whole graph (FamilyParts in common.ts), so both compute the same ops:
//   block forward   x [N, d] + one block's weights -> next residual stream (+ its MLP activation,
//                   + its attention probabilities when asked)
//   block backward  x, weights, dy = d(loss)/d(block output) -> d(loss)/dx and every weight's
//                   gradient; the block is recomputed inside (nothing but residual streams is kept
//                   between blocks), and the gradients come from main/compute/backward/autodiff.ts
//                   applied to the scalar sum(y * dy), whose gradient is exactly the chain rule's
//   head forward    final norm and R unembedding rows -> per-row max, log sum exp(z), argmax and
//                   the target's logit over those R vocabulary entries (the log-sum-exp and loss are
//                   combined across row pieces in float64 by the runner)
//   head backward   the same rows given the full max and log sum exp -> d(loss)/d(rows), d(loss)/dx and the
//                   final norm's gradients, from sum_n w_n sum_v exp(z - max - log sum) - sum_n w_n z[n, t_n]
//                   (its gradient in z is w (softmax - onehot), the cross-entropy's)
// Block weights are graph inputs named `block.` + the HF suffix, so one graph serves every block
// of a kind; the runner maps them to each block's full names.
import type { ModelConfig } from '../../../common/domain';
import { addGradients } from '../backward/autodiff';
import { GraphError } from '../onnx/graph';
import { ForwardContext, type FamilyParts } from './common';
import { gpt2Parts } from './gpt2';
import { neoxParts } from './gpt-neox';
import { llamaParts } from './llama';

/** Placeholder prefix of a block graph's weight inputs. */
export const BLOCK_PREFIX = 'block.';

export function familyParts(config: ModelConfig): FamilyParts {
  switch (config.family) {
    case 'gpt_neox': return neoxParts;
    case 'gpt2': return gpt2Parts;
    case 'llama': return llamaParts;
    default: throw new GraphError(`forward ${config.family}`, `no forward graph for family ${config.family}`);
  }
}

export interface SmallGraph {
  model: Uint8Array;
  /** Weight inputs (block graphs: `block.` names; head graphs: full names plus `unembed`). */
  weights: string[];
  weightShapes: Map<string, number[]>;
  outputs: string[];
}

function finish(ctx: ForwardContext, weights: string[]): SmallGraph {
  return {
    model: ctx.g.toBuffer(),
    weights,
    weightShapes: new Map(weights.map((w) => [w, ctx.g.staticShape(w)] as const)),
    outputs: [...ctx.g.outputs],
  };
}

function context(config: ModelConfig, batch: number, seqLen: number): ForwardContext {
  return new ForwardContext(config, { batch, seqLen, outputs: { loss: false } });
}

/** Block `layer`'s graph (any block of the same kind gives the same graph). */
export function buildBlockGraph(config: ModelConfig, batch: number, seqLen: number, layer: number, backward: boolean, mlp: boolean, attention = false): SmallGraph {
  const parts = familyParts(config);
  const ctx = context(config, batch, seqLen);
  parts.check(ctx);
  const g = ctx.g;
  const x = g.input('x', 'float32', [ctx.n, config.hidden]);
  const out = parts.block(ctx, x, BLOCK_PREFIX, layer);
  const weights = [...ctx.weightInputs];
  if (!backward) {
    g.output(out.x, 'y');
    if (mlp) ctx.emit(out.mlp, 'mlp');
    // The attention probabilities [B, H, L, L] (query heads) for the induction score.
    if (attention) g.output(ctx.attentionProbs[0], 'attn');
    return finish(ctx, weights);
  }
  const dy = g.input('dy', 'float32', [ctx.n, config.hidden]);
  const pseudo = g.node('ReduceSum', [g.mul(out.x, dy)], { keepdims: 0 });
  const grads = addGradients(g, pseudo, [x, ...weights]);
  g.output(grads.get(x)!, 'dx');
  for (const w of weights) g.output(grads.get(w)!, `grad.${w}`);
  return finish(ctx, weights);
}

/** Unembedding rows fed to a head graph. */
export const UNEMBED_PIECE = 'unembed';

/** Head graph over `rows` unembedding rows: forward statistics, or (backward) the gradients. */
export function buildHeadGraph(config: ModelConfig, batch: number, seqLen: number, rows: number, backward: boolean): SmallGraph {
  const parts = familyParts(config);
  const ctx = context(config, batch, seqLen);
  const g = ctx.g;
  const N = ctx.n;
  const x = g.input('x', 'float32', [N, config.hidden]);
  const fn = parts.finalNorm(ctx, x);
  const normWeights = [...ctx.weightInputs];
  const unembed = g.input(UNEMBED_PIECE, 'float32', [rows, config.hidden]);
  const targets = g.input('targets', 'int64', [N, 1]);
  const z = g.gemm(fn, unembed, undefined, { transB: true });
  if (!backward) {
    ctx.emit(fn, 'final_norm');
    // One fused, max-shifted log-sum-exp over the piece (onnxruntime's ReduceLogSumExp subtracts the
    // row max) instead of ReduceMax + Sub + Exp + ReduceSum: fewer passes over the [N, rows] logits,
    // which the logit lens makes once per block. The max is the argmax's logit.
    const argmax = g.node('ArgMax', [z], { axis: 1, keepdims: 1 });
    g.output(g.node('ReduceLogSumExp', [z], { axes: [1], keepdims: 1 }), 'lse');
    g.output(g.node('GatherElements', [z, argmax], { axis: 1 }), 'max');
    g.output(argmax, 'argmax');
    g.output(g.node('GatherElements', [z, targets], { axis: 1 }), 'target_logit');
    return finish(ctx, normWeights);
  }
  // log softmax as onnxruntime's LogSoftmax computes it: (z - max) - log(sum exp(z - max)).
  const max = g.input('max', 'float32', [N, 1]);
  const logSum = g.input('log_sum', 'float32', [N, 1]);
  const rowWeight = g.input('row_w', 'float32', [N, 1]);
  const targetWeight = g.input('target_w', 'float32', [N, 1]);
  const spread = g.node('ReduceSum', [g.mul(g.exp(g.sub(g.sub(z, max), logSum)), rowWeight)], { keepdims: 0 });
  const picked = g.node('ReduceSum', [g.mul(g.node('GatherElements', [z, targets], { axis: 1 }), targetWeight)], { keepdims: 0 });
  const pseudo = g.sub(spread, picked);
  const grads = addGradients(g, pseudo, [x, ...normWeights, unembed]);
  g.output(grads.get(x)!, 'dx');
  g.output(grads.get(unembed)!, `grad.${UNEMBED_PIECE}`);
  for (const w of normWeights) g.output(grads.get(w)!, `grad.${w}`);
  return finish(ctx, normWeights);
}
