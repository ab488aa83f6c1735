// The value, attribute and node types of main/compute/onnx/graph.ts (GraphBuilder), shared with
// its shape inference (infer.ts) and serialisation (serialise.ts).
import { OnnxDataType } from './proto';

export type ElemType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';
export type Dim = number | string;
export type Shape = Dim[];

export const ONNX_ELEM_TYPE: Record<ElemType, number> = {
  float32: OnnxDataType.FLOAT,
  float64: OnnxDataType.DOUBLE,
  int64: OnnxDataType.INT64,
  int32: OnnxDataType.INT32,
  bool: OnnxDataType.BOOL,
  uint8: OnnxDataType.UINT8,
};

/** A float attribute must be wrapped so that `1.0` is not written as the integer 1. */
export interface FloatAttr { float: number }
export interface FloatsAttr { floats: number[] }
/** A tensor attribute (e.g. ConstantOfShape's `value`). */
export interface TensorAttr { tensor: TypedData; dims: number[]; dtype: ElemType }
export type AttrValue = number | number[] | string | FloatAttr | FloatsAttr | TensorAttr;
export type Attrs = Record<string, AttrValue | undefined>;
export const f = (value: number): FloatAttr => ({ float: value });

export interface ValueMeta {
  dtype: ElemType;
  /** Static shape when known (numbers), symbolic dims as strings; null when not inferred. */
  shape: Shape | null;
}

export interface NodeRecord {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
  name: string;
}

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export class GraphError extends Error {
  constructor(readonly graph: string, readonly problem: string) {
    super(`ONNX graph ${graph}: ${problem}`);
    this.name = 'GraphError';
  }
}
