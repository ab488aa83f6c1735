// ONNX bytes of a graph built by GraphBuilder (main/compute/onnx/graph.ts), through the hand-kept
// onnx.proto subset in ./proto.
import { AttributeType, encodeModel, type AttributeObject, type NodeObject, type TensorProtoObject, type ValueInfoObject } from './proto';
import { GraphError, ONNX_ELEM_TYPE, type AttrValue, type ElemType, type NodeRecord, type TypedData, type ValueMeta } from './types';

/** What serialisation reads of a built graph (GraphBuilder provides it). */
export interface SerialisableGraph {
  readonly name: string;
  readonly opset: number;
  readonly nodes: readonly NodeRecord[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  meta(value: string): ValueMeta;
}

export type Initializers = ReadonlyMap<string, { data: TypedData; dims: number[]; dtype: ElemType }>;

function attrToProto(graph: string, name: string, value: AttrValue): AttributeObject {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new GraphError(graph, `attribute ${name}=${value}: wrap floats with f()`);
    return { name, type: AttributeType.INT, i: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('tensor' in value) return { name, type: AttributeType.TENSOR, t: tensorProto(name, value.tensor, value.dims, value.dtype) };
  return { name, type: AttributeType.FLOATS, floats: value.floats };
}

function valueInfo(g: SerialisableGraph, name: string): ValueInfoObject {
  const meta = g.meta(name);
  const tensorType: ValueInfoObject['type']['tensorType'] = { elemType: ONNX_ELEM_TYPE[meta.dtype] };
  if (meta.shape) {
    tensorType.shape = { dim: meta.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  }
  return { name, type: { tensorType } };
}

/** Serialise to ONNX bytes, ready for `InferenceSession.create(bytes)`; unused initializers are left out. */
export function encodeGraph(g: SerialisableGraph, initializers: Initializers): Uint8Array {
  const used = new Set<string>();
  for (const n of g.nodes) for (const i of n.inputs) used.add(i);
  for (const o of g.outputs) used.add(o);
  const nodes: NodeObject[] = g.nodes.map((n) => ({
    input: n.inputs,
    output: n.outputs,
    name: n.name,
    opType: n.opType,
    domain: n.domain,
    attribute: Object.entries(n.attrs)
      .filter((e): e is [string, AttrValue] => e[1] !== undefined)
      .map(([k, v]) => attrToProto(g.name, k, v)),
  }));
  const initializer = [...initializers.entries()]
    .filter(([k]) => used.has(k))
    .map(([k, v]) => tensorProto(k, v.data, v.dims, v.dtype));
  const domains = new Set(g.nodes.map((n) => n.domain).filter((d) => d !== ''));
  return encodeModel({
    irVersion: 8,
    producerName: 'checkpoint-atlas',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: g.opset }, ...[...domains].map((d) => ({ domain: d, version: 1 }))],
    graph: {
      name: g.name,
      node: nodes,
      initializer,
      input: g.inputs.map((i) => valueInfo(g, i)),
      output: g.outputs.map((o) => valueInfo(g, o)),
    },
  });
}

function tensorProto(name: string, data: TypedData, dims: number[], dtype: ElemType): TensorProtoObject {
  // raw_data is little-endian; typed arrays on every platform Node runs on are little-endian.
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name, dims, dataType: ONNX_ELEM_TYPE[dtype], rawData: bytes };
}
