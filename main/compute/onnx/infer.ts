// Static shape and element type of each output of the ONNX ops GraphBuilder
// (main/compute/onnx/graph.ts) knows; main/compute/backward/ needs them to undo broadcasting.
// Symbolic dims (strings) propagate where they can; shape = null where they cannot.
import { GraphError, ONNX_ELEM_TYPE, type Attrs, type Dim, type ElemType, type Shape, type ValueMeta } from './types';

/** What inference reads of the graph being built (GraphBuilder provides it). */
export interface InferenceContext {
  readonly name: string;
  readonly opset: number;
  meta(value: string): ValueMeta;
  constIntValues(value: string): number[] | undefined;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

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

/** Output metas of one node (undefined entries: not inferred; the caller falls back to input 0's type). */
export function inferOutputs(graph: InferenceContext, op: string, inputs: string[], attrs: Attrs, nOut: number): (ValueMeta | undefined)[] {
  const g = graph.name;
  const m = (k: number) => graph.meta(inputs[k]);
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
      const a2 = a.length === 1 ? [1, a[0]] : a, b2 = b.length === 1 ? [b[0], 1] : b;
      const batch = broadcastShapes(g, [a2.slice(0, -2), b2.slice(0, -2)])!;
      const shape: Shape = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
      if (a.length === 1) shape.splice(shape.length - 2, 1);
      if (b.length === 1) shape.splice(shape.length - 1, 1);
      return [{ dtype: x!.dtype, shape }];
    }
    case 'Gemm': {
      const a = m(0).shape, b = m(1).shape;
      if (!a || !b) return [{ dtype: x!.dtype, shape: null }];
      const rows = intAttr('transA', 0) ? a[1] : a[0];
      const cols = intAttr('transB', 0) ? b[0] : b[1];
      return [{ dtype: x!.dtype, shape: [rows, cols] }];
    }
    case 'Transpose': {
      const perm = attrs.perm as number[] | undefined;
      if (!x!.shape) return [{ dtype: x!.dtype, shape: null }];
      const p = perm ?? x!.shape.map((_, i) => x!.shape!.length - 1 - i);
      return [{ dtype: x!.dtype, shape: p.map((i) => x!.shape![i]) }];
    }
    case 'Reshape': {
      const target = graph.constIntValues(inputs[1]);
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
      const target = graph.constIntValues(inputs[1]);
      if (!target || !x!.shape) return [{ dtype: x!.dtype, shape: null }];
      return [{ dtype: x!.dtype, shape: broadcastShapes(g, [x!.shape, target]) }];
    }
    case 'Unsqueeze': case 'Squeeze': {
      const axes = graph.constIntValues(inputs[1] ?? '');
      if (!x!.shape || !axes) return [{ dtype: x!.dtype, shape: null }];
      if (op === 'Unsqueeze') {
        const rank = x!.shape.length + axes.length;
        const ax = axes.map((a) => normAxis(a, rank));
        const out: Shape = [];
        let k = 0;
        for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : x!.shape[k++]);
        return [{ dtype: x!.dtype, shape: out }];
      }
      const ax = axes.map((a) => normAxis(a, x!.shape!.length));
      return [{ dtype: x!.dtype, shape: x!.shape.filter((_, i) => !ax.includes(i)) }];
    }
    case 'Split': {
      const axis = normAxis(intAttr('axis', 0), x!.shape?.length ?? 0);
      const sizes = graph.constIntValues(inputs[1] ?? '');
      return Array.from({ length: nOut }, (_, k) => {
        if (!x!.shape || !sizes) return { dtype: x!.dtype, shape: null };
        const s = [...x!.shape];
        s[axis] = sizes[k];
        return { dtype: x!.dtype, shape: s };
      });
    }
    case 'Concat': {
      const shapes = inputs.map((_, k) => m(k).shape);
      if (shapes.some((s) => !s)) return [{ dtype: x!.dtype, shape: null }];
      const axis = normAxis(intAttr('axis', 0), shapes[0]!.length);
      const s = [...shapes[0]!];
      const dims = shapes.map((q) => q![axis]);
      s[axis] = dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a + b, 0) : '?';
      return [{ dtype: x!.dtype, shape: s }];
    }
    case 'Slice': {
      const starts = graph.constIntValues(inputs[1]), ends = graph.constIntValues(inputs[2]);
      const axes = inputs[3] ? graph.constIntValues(inputs[3]) : starts?.map((_, i) => i);
      const steps = inputs[4] ? graph.constIntValues(inputs[4]) : undefined;
      if (!x!.shape || !starts || !ends || !axes || (steps && steps.some((s) => s !== 1))) return [{ dtype: x!.dtype, shape: null }];
      const s = [...x!.shape];
      axes.forEach((a, k) => {
        const ax = normAxis(a, s.length);
        const d = s[ax];
        if (typeof d !== 'number') return;
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
        s[ax] = Math.max(0, clamp(ends[k]) - clamp(starts[k]));
      });
      return [{ dtype: x!.dtype, shape: s }];
    }
    case 'Pad': {
      const pads = graph.constIntValues(inputs[1]);
      if (!x!.shape || !pads) return [{ dtype: x!.dtype, shape: null }];
      const r = x!.shape.length;
      return [{ dtype: x!.dtype, shape: x!.shape.map((d, i) => (typeof d === 'number' ? d + pads[i] + pads[i + r] : d)) }];
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
      const axes = (op === 'ReduceSum' || graph.opset >= 18) ? graph.constIntValues(inputs[1] ?? '') : (attrs.axes as number[] | undefined);
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
      return [same()[0], { dtype: x!.dtype, shape: stat }, { dtype: x!.dtype, shape: stat }];
    }
    case 'ConstantOfShape': {
      const target = graph.constIntValues(inputs[0]);
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
