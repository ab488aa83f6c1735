/**
 * Small shared helpers for running tiny ONNX graphs with onnxruntime-node on the CPU:
 * session creation (intra-op thread count) with a cache, float64/float32 tensors, and a compact
 * description (TinyGraph) for graphs made of a handful of standard ops with no initializers
 * (MatMul, Gemm, Cast, Concat...), as the linear-algebra kernels (gram.ts, eigen.ts) use them.
 * TinyGraphs are serialised by the same ONNX encoder as the model graphs (onnx/proto.ts).
 */
import * as ort from 'onnxruntime-node';
import { AttributeType, encodeModel, type AttributeObject, type ValueInfoObject } from './onnx/proto';

export class OrtHelperError extends Error {
  constructor(message: string) {
    super(`main/compute/ort.ts: ${message}`);
    this.name = 'OrtHelperError';
  }
}

/** ONNX TensorProto.DataType codes used here. */
export const OnnxType = { float32: 1, float64: 11, int64: 7, float16: 10 } as const;
export type OnnxElemType = (typeof OnnxType)[keyof typeof OnnxType];

export interface TinyValue {
  name: string;
  elemType: OnnxElemType;
  /** Fixed sizes or symbolic names (one session then serves every size). */
  dims: (number | string)[];
}

export type TinyAttribute = { name: string; int: number } | { name: string; float: number } | { name: string; ints: number[] };

export interface TinyNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: TinyAttribute[];
}

export interface TinyGraph {
  name: string;
  inputs: TinyValue[];
  outputs: TinyValue[];
  nodes: TinyNode[];
  /** Default opset 17 (all ops used here are stable there). */
  opset?: number;
}

function valueInfo(v: TinyValue): ValueInfoObject {
  return {
    name: v.name,
    type: { tensorType: { elemType: v.elemType, shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(a: TinyAttribute): AttributeObject {
  if ('int' in a) return { name: a.name, type: AttributeType.INT, i: a.int };
  if ('float' in a) return { name: a.name, type: AttributeType.FLOAT, f: a.float };
  return { name: a.name, type: AttributeType.INTS, ints: a.ints };
}

/** Serialise a tiny graph as an ONNX ModelProto (IR version 8), with the model builder's encoder. */
export function encodeTinyModel(graph: TinyGraph): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: 'checkpoint-atlas',
    producerVersion: '',
    opsetImport: [{ domain: '', version: graph.opset ?? 17 }],
    graph: {
      name: graph.name,
      node: graph.nodes.map((n, i) => ({ input: n.inputs, output: n.outputs, name: `${n.opType}_${i}`, opType: n.opType, attribute: (n.attributes ?? []).map(attribute) })),
      initializer: [],
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  });
}

export interface SessionOptions {
  /** onnxruntime intra-op threads; default: all cores onnxruntime sees (0). */
  intraOpThreads?: number;
}

const sessionCache = new Map<string, Promise<ort.InferenceSession>>();

/**
 * An inference session for `graph`, created once per (graph name, thread count) and reused:
 * graph names must therefore identify the graph's structure (symbolic dims make one session
 * serve every size).
 */
export function cachedSession(graph: TinyGraph, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const threads = opts.intraOpThreads ?? 0;
  const key = `${graph.name}|${threads}`;
  let session = sessionCache.get(key);
  if (!session) {
    session = ort.InferenceSession.create(encodeTinyModel(graph), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableCpuMemArena: false,
      executionProviders: ['cpu'],
    });
    session.catch(() => sessionCache.delete(key));
    sessionCache.set(key, session);
  }
  return session;
}

export function float64Tensor(data: Float64Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float64', data, dims);
}

/** IEEE float16 codes (raw 16-bit patterns, as TensorSource.readCodes gives them) as a float16 tensor. */
export function float16CodesTensor(data: Uint16Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float16', data, dims);
}

export function float32Tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/** Runs `session` and returns the named float64 output's data. */
export async function runForFloat64(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  outputName: string,
): Promise<Float64Array> {
  const result = await session.run(feeds);
  const out = result[outputName];
  if (!out) throw new OrtHelperError(`graph produced no output named ${outputName}`);
  if (out.type !== 'float64') throw new OrtHelperError(`output ${outputName} is ${out.type}, expected float64`);
  return out.data as Float64Array;
}

export { ort };
