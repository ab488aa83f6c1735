// GraphBuilder: builds ONNX models in TypeScript, node by node, and serialises them with the
// hand-kept onnx.proto subset in ./proto. It records every node with its inputs, outputs,
// attributes and (where the op is one we know) the static shape and element type of each output,
// because main/compute/backward/ walks this record to emit gradient nodes and needs the shapes to
// undo broadcasting. Symbolic dims (strings) are allowed on inputs; ops then propagate them where
// they can and give up (shape = null) where they cannot, which only matters for backward.
import { AttributeType, encodeModel, OnnxDataType, type AttributeObject, type NodeObject, type TensorProtoObject, type ValueInfoObject } from './proto';

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

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function broadcastShapes(graph: string, shapes: (Shape | null)[]): Shape | null {
  if (shapes.some((s) => s === null)) return null;
  const rank = Math.max(...shapes.map((s) => s!.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes as Shape[]) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d) throw new GraphError(graph, `cannot broadcast shapes ${JSON.stringify(shapes)}`);
    }
    out.push(dim);
  }
  return out;
}

const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

export class GraphBuilder {
  readonly nodes: NodeRecord[] = [];
  readonly inputs: string[] = [];
  readonly outputs: string[] = [];
  private readonly metas = new Map<string, ValueMeta>();
  private readonly initializers = new Map<string, { data: TypedData; dims: number[]; dtype: ElemType }>();
  /** Integer constants' values, so Reshape/Slice/Expand shapes can be inferred. */
  private readonly constInts = new Map<string, number[]>();
  private readonly constCache = new Map<string, string>();
  private counter = 0;

  constructor(readonly name = 'graph', readonly opset = 17) {}

  /** A fresh value name, unique within this graph. */
  fresh(prefix = 'v'): string {
    let candidate: string;
    do candidate = `${prefix}__${this.counter++}`;
    while (this.metas.has(candidate));
    return candidate;
  }

  meta(value: string): ValueMeta {
    const m = this.metas.get(value);
    if (!m) throw new GraphError(this.name, `unknown value ${value}`);
    return m;
  }

  /** Static shape, throwing when some dim is symbolic or unknown (backward needs numbers). */
  staticShape(value: string): number[] {
    const s = this.meta(value).shape;
    if (!s || s.some((d) => typeof d !== 'number')) {
      throw new GraphError(this.name, `value ${value} has no static shape (${JSON.stringify(s)})`);
    }
    return s as number[];
  }

  has(value: string): boolean {
    return this.metas.has(value);
  }

  isInitializer(value: string): boolean {
    return this.initializers.has(value);
  }

  constIntValues(value: string): number[] | undefined {
    return this.constInts.get(value);
  }

  input(name: string, dtype: ElemType, shape: Shape): string {
    if (this.metas.has(name)) throw new GraphError(this.name, `duplicate value name ${name}`);
    this.metas.set(name, { dtype, shape: [...shape] });
    this.inputs.push(name);
    return name;
  }

  /** Mark `value` as a graph output, named `as` (an Identity is inserted when the names differ). */
  output(value: string, as?: string): string {
    let name = value;
    if (as !== undefined && as !== value) name = this.node('Identity', [value], {}, { out: as });
    if (this.outputs.includes(name)) throw new GraphError(this.name, `duplicate output ${name}`);
    this.outputs.push(name);
    return name;
  }

  /** A constant tensor stored in the model (small constants: shapes, masks, rotary tables). */
  initializer(data: TypedData, dims: number[], dtype: ElemType, name?: string): string {
    const expected = numel(dims);
    if (data.length !== expected) {
      throw new GraphError(this.name, `initializer ${name ?? ''} has ${data.length} elements, dims ${JSON.stringify(dims)}`);
    }
    const id = name ?? this.fresh('const');
    if (this.metas.has(id)) throw new GraphError(this.name, `duplicate value name ${id}`);
    this.initializers.set(id, { data, dims: [...dims], dtype });
    this.metas.set(id, { dtype, shape: [...dims] });
    if (dtype === 'int64' || dtype === 'int32') this.constInts.set(id, Array.from(data as BigInt64Array | Int32Array, Number));
    return id;
  }

  /** An int64 constant (deduplicated): shapes, axes, indices. dims default to [n] (or [] with scalar). */
  int64(values: readonly number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const cached = this.constCache.get(key);
    if (cached) return cached;
    const id = this.initializer(BigInt64Array.from(values, (v) => BigInt(v)), dims, 'int64');
    this.constCache.set(key, id);
    return id;
  }

  /** A float scalar (or small tensor) constant of the given float type (deduplicated). */
  scalar(value: number, dtype: ElemType = 'float32'): string {
    return this.floats([value], [], dtype);
  }

  floats(values: ArrayLike<number>, dims: number[], dtype: ElemType = 'float32'): string {
    const small = values.length <= 16;
    const key = small ? `${dtype}:${dims.join('x')}:${Array.from(values).join(',')}` : '';
    if (small) {
      const cached = this.constCache.get(key);
      if (cached) return cached;
    }
    const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
    const id = this.initializer(data, dims, dtype);
    if (small) this.constCache.set(key, id);
    return id;
  }

  /** Add a node with one output; returns the output's name. */
  node(opType: string, inputs: string[], attrs: Attrs = {}, opts: { out?: string; domain?: string } = {}): string {
    return this.nodeMulti(opType, inputs, attrs, { outputs: [opts.out ?? this.fresh(opType.toLowerCase())], domain: opts.domain })[0]!;
  }

  /**
   * Add a node; `outputs` is either a count (fresh names) or the names to use. An empty string in
   * `inputs` is an omitted optional input (ONNX convention).
   */
  nodeMulti(
    opType: string,
    inputs: string[],
    attrs: Attrs = {},
    opts: { outputs?: number | string[]; domain?: string } = {},
  ): string[] {
    for (const i of inputs) if (i !== '' && !this.metas.has(i)) throw new GraphError(this.name, `${opType}: unknown input ${i}`);
    const spec = opts.outputs ?? 1;
    const outputs = typeof spec === 'number' ? Array.from({ length: spec }, () => this.fresh(opType.toLowerCase())) : spec;
    for (const o of outputs) if (o !== '' && this.metas.has(o)) throw new GraphError(this.name, `${opType}: output name ${o} already used`);
    const domain = opts.domain ?? '';
    const inferred = this.infer(opType, inputs, attrs, outputs.length);
    outputs.forEach((o, k) => {
      if (o !== '') this.metas.set(o, inferred[k] ?? { dtype: this.meta(inputs[0]!).dtype, shape: null });
    });
    this.nodes.push({ opType, domain, inputs: [...inputs], outputs, attrs, name: `${opType}_${this.nodes.length}` });
    return outputs;
  }

  // ---- shape and type inference for the ops we use -------------------------------------------
  private infer(op: string, inputs: string[], attrs: Attrs, nOut: number): (ValueMeta | undefined)[] {
    const g = this.name;
    const m = (k: number) => this.meta(inputs[k]!);
    const x = inputs.length > 0 && inputs[0] !== '' ? m(0) : undefined;
    const same = (): ValueMeta[] => [{ dtype: x!.dtype, shape: x!.shape ? [...x!.shape] : null }];
    const intAttr = (k: string, dflt: number): number => (typeof attrs[k] === 'number' ? (attrs[k] as number) : dflt);
    switch (op) {
      case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Pow': case 'Max': case 'Min': case 'Sum':
        return [{ dtype: x!.dtype, shape: broadcastShapes(g, inputs.map((_, k) => m(k).shape)) }];
      case 'Equal': case 'Less': case 'Greater': case 'And': case 'Or':
        return [{ dtype: 'bool', shape: broadcastShapes(g, [m(0).shape, m(1).shape]) }];
      case 'Where':
        return [{ dtype: m(1).dtype, shape: broadcastShapes(g, [m(0).shape, m(1).shape, m(2).shape]) }];
      case 'Neg': case 'Sqrt': case 'Erf': case 'Tanh': case 'Sigmoid': case 'Exp': case 'Log': case 'Reciprocal':
      case 'Relu': case 'Identity': case 'Softmax': case 'LogSoftmax': case 'Abs': case 'Gelu': case 'FastGelu':
        return same();
      case 'Cast': {
        const to = intAttr('to', 1);
        const dtype = (Object.keys(ONNX_ELEM_TYPE) as ElemType[]).find((k) => ONNX_ELEM_TYPE[k] === to) ?? 'float32';
        return [{ dtype, shape: x!.shape ? [...x!.shape] : null }];
      }
      case 'MatMul': {
        const a = m(0).shape, b = m(1).shape;
        if (!a || !b) return [{ dtype: x!.dtype, shape: null }];
        const a2 = a.length === 1 ? [1, a[0]!] : a, b2 = b.length === 1 ? [b[0]!, 1] : b;
        const batch = broadcastShapes(g, [a2.slice(0, -2), b2.slice(0, -2)])!;
        const shape: Shape = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
        if (a.length === 1) shape.splice(shape.length - 2, 1);
        if (b.length === 1) shape.splice(shape.length - 1, 1);
        return [{ dtype: x!.dtype, shape }];
      }
      case 'Gemm': {
        const a = m(0).shape, b = m(1).shape;
        if (!a || !b) return [{ dtype: x!.dtype, shape: null }];
        const rows = intAttr('transA', 0) ? a[1]! : a[0]!;
        const cols = intAttr('transB', 0) ? b[0]! : b[1]!;
        return [{ dtype: x!.dtype, shape: [rows, cols] }];
      }
      case 'Transpose': {
        const perm = attrs.perm as number[] | undefined;
        if (!x!.shape) return [{ dtype: x!.dtype, shape: null }];
        const p = perm ?? x!.shape.map((_, i) => x!.shape!.length - 1 - i);
        return [{ dtype: x!.dtype, shape: p.map((i) => x!.shape![i]!) }];
      }
      case 'Reshape': {
        const target = this.constInts.get(inputs[1]!);
        if (!target) return [{ dtype: x!.dtype, shape: null }];
        const shape: Shape = target.map((d, i) => (d === 0 ? x!.shape?.[i] ?? 0 : d));
        const minus = shape.indexOf(-1);
        if (minus >= 0) {
          if (!x!.shape || x!.shape.some((d) => typeof d !== 'number')) return [{ dtype: x!.dtype, shape: null }];
          const known = numel(shape.filter((_, i) => i !== minus) as number[]);
          shape[minus] = numel(x!.shape as number[]) / known;
        }
        return [{ dtype: x!.dtype, shape }];
      }
      case 'Expand': {
        const target = this.constInts.get(inputs[1]!);
        if (!target || !x!.shape) return [{ dtype: x!.dtype, shape: null }];
        return [{ dtype: x!.dtype, shape: broadcastShapes(g, [x!.shape, target]) }];
      }
      case 'Unsqueeze': case 'Squeeze': {
        const axes = this.constInts.get(inputs[1] ?? '');
        if (!x!.shape || !axes) return [{ dtype: x!.dtype, shape: null }];
        if (op === 'Unsqueeze') {
          const rank = x!.shape.length + axes.length;
          const ax = axes.map((a) => normAxis(a, rank));
          const out: Shape = [];
          let k = 0;
          for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : x!.shape[k++]!);
          return [{ dtype: x!.dtype, shape: out }];
        }
        const ax = axes.map((a) => normAxis(a, x!.shape!.length));
        return [{ dtype: x!.dtype, shape: x!.shape.filter((_, i) => !ax.includes(i)) }];
      }
      case 'Split': {
        const axis = normAxis(intAttr('axis', 0), x!.shape?.length ?? 0);
        const sizes = this.constInts.get(inputs[1] ?? '');
        return Array.from({ length: nOut }, (_, k) => {
          if (!x!.shape || !sizes) return { dtype: x!.dtype, shape: null };
          const s = [...x!.shape];
          s[axis] = sizes[k]!;
          return { dtype: x!.dtype, shape: s };
        });
      }
      case 'Concat': {
        const shapes = inputs.map((_, k) => m(k).shape);
        if (shapes.some((s) => !s)) return [{ dtype: x!.dtype, shape: null }];
        const axis = normAxis(intAttr('axis', 0), shapes[0]!.length);
        const s = [...shapes[0]!];
        const dims = shapes.map((q) => q![axis]!);
        s[axis] = dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a + b, 0) : '?';
        return [{ dtype: x!.dtype, shape: s }];
      }
      case 'Slice': {
        const starts = this.constInts.get(inputs[1]!), ends = this.constInts.get(inputs[2]!);
        const axes = inputs[3] ? this.constInts.get(inputs[3]) : starts?.map((_, i) => i);
        const steps = inputs[4] ? this.constInts.get(inputs[4]) : undefined;
        if (!x!.shape || !starts || !ends || !axes || (steps && steps.some((s) => s !== 1))) return [{ dtype: x!.dtype, shape: null }];
        const s = [...x!.shape];
        axes.forEach((a, k) => {
          const ax = normAxis(a, s.length);
          const d = s[ax];
          if (typeof d !== 'number') return;
          const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
          s[ax] = Math.max(0, clamp(ends[k]!) - clamp(starts[k]!));
        });
        return [{ dtype: x!.dtype, shape: s }];
      }
      case 'Pad': {
        const pads = this.constInts.get(inputs[1]!);
        if (!x!.shape || !pads) return [{ dtype: x!.dtype, shape: null }];
        const r = x!.shape.length;
        return [{ dtype: x!.dtype, shape: x!.shape.map((d, i) => (typeof d === 'number' ? d + pads[i]! + pads[i + r]! : d)) }];
      }
      case 'Gather': {
        const data = m(0).shape, idx = m(1).shape;
        if (!data || !idx) return [{ dtype: x!.dtype, shape: null }];
        const axis = normAxis(intAttr('axis', 0), data.length);
        return [{ dtype: x!.dtype, shape: [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)] }];
      }
      case 'GatherElements':
        return [{ dtype: x!.dtype, shape: m(1).shape ? [...m(1).shape!] : null }];
      case 'ScatterElements': case 'ScatterND':
        return same();
      case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceSumSquare': case 'ReduceL2': {
        // opset 13-17: ReduceSum takes axes as an input, the others as an attribute (all inputs from 18).
        const axes = (op === 'ReduceSum' || this.opset >= 18) ? this.constInts.get(inputs[1] ?? '') : (attrs.axes as number[] | undefined);
        const keep = intAttr('keepdims', 1);
        if (!x!.shape) return [{ dtype: x!.dtype, shape: null }];
        const rank = x!.shape.length;
        const ax = axes ? axes.map((a) => normAxis(a, rank)) : x!.shape.map((_, i) => i);
        const s: Shape = [];
        x!.shape.forEach((d, i) => {
          if (!ax.includes(i)) s.push(d);
          else if (keep) s.push(1);
        });
        return [{ dtype: x!.dtype, shape: s }];
      }
      case 'ArgMax': {
        if (!x!.shape) return [{ dtype: 'int64', shape: null }];
        const ax = normAxis(intAttr('axis', 0), x!.shape.length);
        const keep = intAttr('keepdims', 1);
        const s = keep ? x!.shape.map((d, i) => (i === ax ? 1 : d)) : x!.shape.filter((_, i) => i !== ax);
        return [{ dtype: 'int64', shape: s }];
      }
      case 'LayerNormalization': {
        const axis = normAxis(intAttr('axis', -1), x!.shape?.length ?? 0);
        const stat = x!.shape ? x!.shape.map((d, i) => (i < axis ? d : 1)) : null;
        return [same()[0]!, { dtype: x!.dtype, shape: stat }, { dtype: x!.dtype, shape: stat }];
      }
      case 'ConstantOfShape': {
        const target = this.constInts.get(inputs[0]!);
        return [{ dtype: 'float32', shape: target ? [...target] : null }];
      }
      case 'Shape':
        return [{ dtype: 'int64', shape: x!.shape ? [x!.shape.length] : null }];
      case 'Trilu':
        return same();
      default:
        return [];
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------
  add(a: string, b: string): string { return this.node('Add', [a, b]); }
  sub(a: string, b: string): string { return this.node('Sub', [a, b]); }
  mul(a: string, b: string): string { return this.node('Mul', [a, b]); }
  div(a: string, b: string): string { return this.node('Div', [a, b]); }
  neg(a: string): string { return this.node('Neg', [a]); }
  sqrt(a: string): string { return this.node('Sqrt', [a]); }
  exp(a: string): string { return this.node('Exp', [a]); }
  erf(a: string): string { return this.node('Erf', [a]); }
  tanh(a: string): string { return this.node('Tanh', [a]); }
  sigmoid(a: string): string { return this.node('Sigmoid', [a]); }
  relu(a: string): string { return this.node('Relu', [a]); }
  matmul(a: string, b: string): string { return this.node('MatMul', [a, b]); }
  identity(a: string, out?: string): string { return this.node('Identity', [a], {}, { out }); }

  /** y = op(a) @ op(b) (+ c): the fastest 2-D product on the CPU provider. */
  gemm(a: string, b: string, c?: string, opts: { transA?: boolean; transB?: boolean } = {}): string {
    return this.node('Gemm', c ? [a, b, c] : [a, b], { transA: opts.transA ? 1 : 0, transB: opts.transB ? 1 : 0 });
  }
  reshape(x: string, shape: number[]): string { return this.node('Reshape', [x, this.int64(shape)]); }
  transpose(x: string, perm: number[]): string { return this.node('Transpose', [x], { perm }); }
  softmax(x: string, axis = -1): string { return this.node('Softmax', [x], { axis }); }
  logSoftmax(x: string, axis = -1): string { return this.node('LogSoftmax', [x], { axis }); }
  unsqueeze(x: string, axes: number[]): string { return this.node('Unsqueeze', [x, this.int64(axes)]); }
  squeeze(x: string, axes: number[]): string { return this.node('Squeeze', [x, this.int64(axes)]); }
  expand(x: string, shape: number[]): string { return this.node('Expand', [x, this.int64(shape)]); }
  cast(x: string, to: ElemType): string { return this.node('Cast', [x], { to: ONNX_ELEM_TYPE[to] }); }
  gather(data: string, indices: string, axis = 0): string { return this.node('Gather', [data, indices], { axis }); }
  concat(xs: string[], axis: number): string { return this.node('Concat', xs, { axis }); }
  split(x: string, axis: number, sizes: number[]): string[] {
    return this.nodeMulti('Split', [x, this.int64(sizes)], { axis }, { outputs: sizes.length });
  }
  slice(x: string, starts: number[], ends: number[], axes: number[]): string {
    return this.node('Slice', [x, this.int64(starts), this.int64(ends), this.int64(axes)]);
  }
  reduceSum(x: string, axes: number[], keepdims = true): string {
    return this.node('ReduceSum', [x, this.int64(axes)], { keepdims: keepdims ? 1 : 0 });
  }
  reduceMean(x: string, axes: number[], keepdims = true): string {
    return this.opset >= 18
      ? this.node('ReduceMean', [x, this.int64(axes)], { keepdims: keepdims ? 1 : 0 })
      : this.node('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 });
  }
  /** LayerNormalization-17 over the last axis (weight and bias of shape [d]). */
  layerNorm(x: string, weight: string, bias: string | undefined, eps: number): string {
    return this.node('LayerNormalization', bias ? [x, weight, bias] : [x, weight], { axis: -1, epsilon: f(eps) });
  }
  /** Zeros of a static shape (used by backward for scatter targets and unused split outputs). */
  zeros(shape: number[], dtype: ElemType = 'float32'): string {
    const one = dtype === 'float64' ? new Float64Array(1) : dtype === 'int64' ? new BigInt64Array(1) : new Float32Array(1);
    const out = this.node('ConstantOfShape', [this.int64(shape)], { value: { tensor: one, dims: [1], dtype } });
    this.meta(out).dtype = dtype;
    return out;
  }

  // ---- serialisation ------------------------------------------------------------------------
  private attrToProto(name: string, value: AttrValue): AttributeObject {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new GraphError(this.name, `attribute ${name}=${value}: wrap floats with f()`);
      return { name, type: AttributeType.INT, i: value };
    }
    if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
    if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
    if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
    if ('tensor' in value) return { name, type: AttributeType.TENSOR, t: tensorProto(name, value.tensor, value.dims, value.dtype) };
    return { name, type: AttributeType.FLOATS, floats: value.floats };
  }

  private valueInfo(name: string): ValueInfoObject {
    const meta = this.meta(name);
    const tensorType: ValueInfoObject['type']['tensorType'] = { elemType: ONNX_ELEM_TYPE[meta.dtype] };
    if (meta.shape) {
      tensorType.shape = { dim: meta.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
    }
    return { name, type: { tensorType } };
  }

  /** Serialise to ONNX bytes, ready for `InferenceSession.create(bytes)`. */
  toBuffer(): Uint8Array {
    const used = new Set<string>();
    for (const n of this.nodes) for (const i of n.inputs) used.add(i);
    for (const o of this.outputs) used.add(o);
    const nodes: NodeObject[] = this.nodes.map((n) => ({
      input: n.inputs,
      output: n.outputs,
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      attribute: Object.entries(n.attrs)
        .filter((e): e is [string, AttrValue] => e[1] !== undefined)
        .map(([k, v]) => this.attrToProto(k, v)),
    }));
    const initializer = [...this.initializers.entries()]
      .filter(([k]) => used.has(k))
      .map(([k, v]) => tensorProto(k, v.data, v.dims, v.dtype));
    const domains = new Set(this.nodes.map((n) => n.domain).filter((d) => d !== ''));
    return encodeModel({
      irVersion: 8,
      producerName: 'checkpoint-atlas',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: this.opset }, ...[...domains].map((d) => ({ domain: d, version: 1 }))],
      graph: {
        name: this.name,
        node: nodes,
        initializer,
        input: this.inputs.map((i) => this.valueInfo(i)),
        output: this.outputs.map((o) => this.valueInfo(o)),
      },
    });
  }
}

function tensorProto(name: string, data: TypedData, dims: number[], dtype: ElemType): TensorProtoObject {
  // raw_data is little-endian; typed arrays on every platform Node runs on are little-endian.
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { name, dims, dataType: ONNX_ELEM_TYPE[dtype], rawData: bytes };
}
