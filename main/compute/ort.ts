/**
 * Small shared helpers for running tiny ONNX graphs with onnxruntime-node on the CPU:
 * session creation (intra-op thread count) with a cache, float64/float32 tensors, and a minimal
 * ModelProto encoder for graphs made of a handful of standard ops (MatMul, Gemm, Cast, Concat...).
 *
 * The encoder writes only the ModelProto fields such graphs need (opset import, nodes with int /
 * float attributes, typed inputs and outputs with fixed or symbolic dims) with protobufjs's Writer.
 * It exists so that the spectrum kernels (gram.ts, eigen.ts) do not wait for the general graph
 * builder in main/compute/onnx/; it is not a general ONNX writer.
 */
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs/minimal.js';

export class OrtHelperError extends Error {
  constructor(message: string) {
    super(`main/compute/ort.ts: ${message}`);
    this.name = 'OrtHelperError';
  }
}

/** ONNX TensorProto.DataType codes used here. */
export const OnnxType = { float32: 1, float64: 11, int64: 7 } as const;
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

type Writer = protobuf.Writer;

// Wire types: 0 varint, 2 length-delimited, 5 fixed32.
function tag(field: number, wireType: number): number {
  return ((field << 3) | wireType) >>> 0;
}

function writeString(w: Writer, field: number, value: string): void {
  w.uint32(tag(field, 2)).string(value);
}

function writeValueInfo(w: Writer, field: number, v: TinyValue): void {
  w.uint32(tag(field, 2)).fork();
  writeString(w, 1, v.name); // ValueInfoProto.name
  w.uint32(tag(2, 2)).fork(); // ValueInfoProto.type: TypeProto
  w.uint32(tag(1, 2)).fork(); // TypeProto.tensor_type
  w.uint32(tag(1, 0)).int32(v.elemType); // Tensor.elem_type
  w.uint32(tag(2, 2)).fork(); // Tensor.shape: TensorShapeProto
  for (const d of v.dims) {
    w.uint32(tag(1, 2)).fork(); // TensorShapeProto.dim
    if (typeof d === 'number') w.uint32(tag(1, 0)).int64(d); // dim_value
    else writeString(w, 2, d); // dim_param
    w.ldelim();
  }
  w.ldelim();
  w.ldelim();
  w.ldelim();
  w.ldelim();
}

function writeNode(w: Writer, node: TinyNode, index: number): void {
  w.uint32(tag(1, 2)).fork(); // GraphProto.node
  for (const i of node.inputs) writeString(w, 1, i);
  for (const o of node.outputs) writeString(w, 2, o);
  writeString(w, 3, `${node.opType}_${index}`);
  writeString(w, 4, node.opType);
  for (const a of node.attributes ?? []) {
    w.uint32(tag(5, 2)).fork(); // NodeProto.attribute
    writeString(w, 1, a.name);
    if ('int' in a) {
      w.uint32(tag(3, 0)).int64(a.int);
      w.uint32(tag(20, 0)).int32(2); // AttributeType.INT
    } else if ('float' in a) {
      w.uint32(tag(2, 5)).float(a.float);
      w.uint32(tag(20, 0)).int32(1); // AttributeType.FLOAT
    } else {
      for (const v of a.ints) w.uint32(tag(8, 0)).int64(v);
      w.uint32(tag(20, 0)).int32(7); // AttributeType.INTS
    }
    w.ldelim();
  }
  w.ldelim();
}

/** Serialise a tiny graph as an ONNX ModelProto (IR version 8). */
export function encodeTinyModel(graph: TinyGraph): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(tag(1, 0)).int64(8); // ModelProto.ir_version
  writeString(w, 2, 'checkpoint-atlas'); // producer_name
  w.uint32(tag(7, 2)).fork(); // ModelProto.graph
  graph.nodes.forEach((n, i) => writeNode(w, n, i));
  writeString(w, 2, graph.name);
  for (const v of graph.inputs) writeValueInfo(w, 11, v);
  for (const v of graph.outputs) writeValueInfo(w, 12, v);
  w.ldelim();
  w.uint32(tag(8, 2)).fork(); // ModelProto.opset_import
  writeString(w, 1, '');
  w.uint32(tag(2, 0)).int64(graph.opset ?? 17);
  w.ldelim();
  return w.finish();
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
