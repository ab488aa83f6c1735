// GraphBuilder: builds ONNX models in TypeScript, node by node, and serialises them with the
// hand-kept onnx.proto subset in ./proto. It records every node with its inputs, outputs,
// attributes and (where the op is one we know) the static shape and element type of each output,
// because main/compute/backward/ walks this record to emit gradient nodes and needs the shapes to
// undo broadcasting. Symbolic dims (strings) are allowed on inputs; ops then propagate them where
// they can and give up (shape = null) where they cannot, which only matters for backward.
// Shape inference lives in ./infer.ts, serialisation in ./serialise.ts, the types in ./types.ts.
import { inferOutputs, numel } from './infer';
import { encodeGraph } from './serialise';
import { GraphError, ONNX_ELEM_TYPE, f, type Attrs, type ElemType, type NodeRecord, type Shape, type TypedData, type ValueMeta } from './types';

export * from './types';

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
    return this.nodeMulti(opType, inputs, attrs, { outputs: [opts.out ?? this.fresh(opType.toLowerCase())], domain: opts.domain })[0];
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
    const inferred = inferOutputs(this, opType, inputs, attrs, outputs.length);
    outputs.forEach((o, k) => {
      if (o !== '') this.metas.set(o, inferred[k] ?? { dtype: this.meta(inputs[0]).dtype, shape: null });
    });
    this.nodes.push({ opType, domain, inputs: [...inputs], outputs, attrs, name: `${opType}_${this.nodes.length}` });
    return outputs;
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

  /** Serialise to ONNX bytes, ready for `InferenceSession.create(bytes)`. */
  toBuffer(): Uint8Array {
    return encodeGraph(this, this.initializers);
  }
}
