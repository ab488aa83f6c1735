// Entry points for the model-running analyses: buildForward(config, opts) makes one float32 ONNX
// graph per (family, batch, seqLen) whose weights are graph inputs (so one session serves every
// checkpoint of a run), optionally with the backward pass; runForward feeds one checkpoint's
// weights and the probe tokens and returns activations, loss, top-1 accuracy and gradients.
import * as ort from 'onnxruntime-node';
import type { Family, ModelConfig } from '../../../common/domain';
import type { TensorSource } from '../../formats/types';
import { addGradients } from '../backward/autodiff';
import { GraphError } from '../onnx/graph';
import { ForwardContext, type ForwardOptions } from './common';
import { buildGpt2 } from './gpt2';
import { buildGptNeoX } from './gpt-neox';
import { buildLlama } from './llama';
import { normaliseWeightName } from './names';

export type { ForwardOptions, ForwardOutputs } from './common';
export { normaliseWeightName } from './names';

export interface ForwardGraph {
  /** Serialised ONNX model. */
  model: Uint8Array;
  config: ModelConfig;
  batch: number;
  seqLen: number;
  /** All graph inputs: `input_ids` then the weights. */
  inputNames: string[];
  /** Raw (full HF) names of the weights the graph takes, in input order. */
  weightInputs: string[];
  weightShapes: Map<string, number[]>;
  outputNames: string[];
  /** raw weight name -> output name of d(loss)/d(weight), when built with gradients. */
  gradientOutputs: Map<string, string>;
}

export class ForwardError extends Error {
  constructor(readonly what: string, readonly problem: string) {
    super(`${what}: ${problem}`);
    this.name = 'ForwardError';
  }
}

export function buildForward(config: ModelConfig, opts: ForwardOptions): ForwardGraph {
  const ctx = new ForwardContext(config, opts);
  switch (config.family) {
    case 'gpt_neox': buildGptNeoX(ctx); break;
    case 'gpt2': buildGpt2(ctx); break;
    case 'llama': buildLlama(ctx); break;
    default: throw new GraphError(`forward ${config.family}`, `no forward graph for family ${config.family}`);
  }
  const g = ctx.g;
  const gradientOutputs = new Map<string, string>();
  if (opts.gradients) {
    // The loss output is an Identity of the scalar; differentiate its source.
    const grads = addGradients(g, 'loss', ctx.weightInputs);
    for (const w of ctx.weightInputs) gradientOutputs.set(w, g.output(grads.get(w)!, `grad.${w}`));
  }
  const weightShapes = new Map(ctx.weightInputs.map((w) => [w, g.staticShape(w)] as const));
  return {
    model: g.toBuffer(),
    config,
    batch: opts.batch,
    seqLen: opts.seqLen,
    inputNames: [...g.inputs],
    weightInputs: [...ctx.weightInputs],
    weightShapes,
    outputNames: [...g.outputs],
    gradientOutputs,
  };
}

export interface ActivationTensor {
  data: Float32Array;
  dims: number[];
}

export interface ForwardResult {
  /** resid.i, final_norm, mlp.i, logits (those the graph was built to emit). */
  activations: Map<string, ActivationTensor>;
  loss: number | null;
  top1Accuracy: number | null;
  /** raw weight name -> d(loss)/d(weight), same shape as the weight. */
  gradients: Map<string, Float32Array>;
}

export type WeightLookup = Map<string, Float32Array> | ((rawName: string) => Promise<Float32Array>);

/**
 * A weight loader over a checkpoint's TensorSource: graph input names (full HF names) are matched
 * to the source's names whether or not those carry the outer prefix; each weight is read (as
 * float32) only when the run asks for it.
 */
export function lookupFromSource(source: TensorSource, family: Family): (rawName: string) => Promise<Float32Array> {
  const byFull = new Map<string, string>();
  for (const entry of source.list()) byFull.set(normaliseWeightName(family, entry.name), entry.name);
  return async (name) => {
    const stored = byFull.get(name);
    if (!stored) throw new ForwardError(`${source.path}: ${name}`, 'weight missing from the checkpoint');
    return (await source.read(stored, 'f32')) as Float32Array;
  };
}

/**
 * Run one checkpoint. `weights` is keyed by raw names with or without the outer prefix (or is a
 * loader called once per weight input); `tokens` holds B x L ids, row-major.
 */
export async function runForward(
  session: ort.InferenceSession,
  graph: ForwardGraph,
  weights: WeightLookup,
  tokens: ArrayLike<number> | BigInt64Array,
): Promise<ForwardResult> {
  const { batch: B, seqLen: L, config } = graph;
  if (tokens.length !== B * L) throw new ForwardError('probe batch', `expected ${B * L} token ids, got ${tokens.length}`);
  const ids = tokens instanceof BigInt64Array ? tokens : BigInt64Array.from(Array.from(tokens as ArrayLike<number>), (t) => BigInt(t));
  for (const t of ids) {
    if (t < 0n || t >= BigInt(config.vocabSize)) throw new ForwardError('probe batch', `token id ${t} outside the vocabulary (${config.vocabSize})`);
  }
  let lookup: (name: string) => Promise<Float32Array>;
  if (weights instanceof Map) {
    const byFull = new Map<string, Float32Array>();
    for (const [k, v] of weights) byFull.set(normaliseWeightName(config.family, k), v);
    lookup = async (name) => {
      const w = byFull.get(name);
      if (!w) throw new ForwardError(name, 'weight missing from the checkpoint');
      return w;
    };
  } else lookup = weights;
  // Weight names come from the checkpoint: a null-prototype object keeps any name an own key.
  const feeds = Object.create(null) as Record<string, ort.Tensor>;
  feeds.input_ids = new ort.Tensor('int64', ids, [B, L]);
  for (const name of graph.weightInputs) {
    const data = await lookup(name);
    const shape = graph.weightShapes.get(name)!;
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new ForwardError(name, `has ${data.length} elements, the config implies ${JSON.stringify(shape)}`);
    feeds[name] = new ort.Tensor('float32', data, shape);
  }
  const out = await session.run(feeds);
  const activations = new Map<string, ActivationTensor>();
  const gradients = new Map<string, Float32Array>();
  const gradNames = new Map([...graph.gradientOutputs].map(([w, o]) => [o, w]));
  let loss: number | null = null, top1Accuracy: number | null = null;
  for (const [name, tensor] of Object.entries(out)) {
    if (name === 'loss') loss = Number((tensor.data as Float32Array)[0]);
    else if (name === 'argmax') {
      const pred = tensor.data as BigInt64Array;
      let hits = 0;
      for (let b = 0; b < B; b++) for (let t = 0; t < L - 1; t++) if (pred[b * L + t] === ids[b * L + t + 1]) hits++;
      top1Accuracy = hits / (B * (L - 1));
    } else if (gradNames.has(name)) gradients.set(gradNames.get(name)!, tensor.data as Float32Array);
    else activations.set(name, { data: tensor.data as Float32Array, dims: [...tensor.dims] });
  }
  return { activations, loss, top1Accuracy, gradients };
}
