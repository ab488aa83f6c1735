// Vector-Jacobian products, one per ONNX op the forward graphs use, each emitted as ONNX nodes.
// Shapes are static, so broadcasting is undone with ReduceSum over the broadcast axes and
// gradients of shape-moving ops (Reshape, Transpose, Split, Concat, Slice, Expand, Gather) are
// their adjoint ops. LayerNormalization uses its own Mean / InvStdDev outputs (no recomputation).
import { GraphBuilder, GraphError, type NodeRecord } from '../onnx/graph';

type Grad = string | null;

/** Sum `grad` down to `target`'s shape (undo numpy broadcasting). */
export function unbroadcast(g: GraphBuilder, grad: string, target: number[]): string {
  const shape = g.staticShape(grad);
  if (shape.length === target.length && shape.every((d, i) => d === target[i])) return grad;
  const lead = shape.length - target.length;
  let out = grad;
  if (lead > 0) out = g.reduceSum(out, Array.from({ length: lead }, (_, i) => i), false);
  const axes: number[] = [];
  target.forEach((d, i) => {
    if (d === 1 && shape[lead + i] !== 1) axes.push(i);
  });
  if (axes.length) out = g.reduceSum(out, axes, true);
  const now = g.staticShape(out);
  if (now.length !== target.length || now.some((d, i) => d !== target[i])) out = g.reshape(out, target);
  return out;
}

const swapLast = (g: GraphBuilder, x: string): string => {
  const r = g.staticShape(x).length;
  const perm = Array.from({ length: r }, (_, i) => i);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return g.transpose(x, perm);
};

const normAxis = (a: number, r: number) => (a < 0 ? a + r : a);
const intAttr = (n: NodeRecord, k: string, dflt: number): number => (typeof n.attrs[k] === 'number' ? (n.attrs[k] as number) : dflt);

/** Gradients of the node's inputs given the gradients of its outputs (null = zero / not wanted). */
export function vjp(g: GraphBuilder, n: NodeRecord, dOut: Grad[], wanted: boolean[]): Grad[] {
  const [x, y] = [n.inputs[0], n.inputs[1] ?? ''];
  const out = n.outputs[0];
  const dy = dOut[0] ?? null;
  const shapeOf = (v: string) => g.staticShape(v);
  // Constants take the element type of the values they meet (float32 or float64 graphs).
  const dt = g.meta(out).dtype;
  const k = (value: number) => g.scalar(value, dt);
  const fail = (why: string): never => {
    throw new GraphError(g.name, `backward through ${n.opType} (${n.name}): ${why}`);
  };
  if (dy === null && n.opType !== 'Split' && n.opType !== 'LayerNormalization') return n.inputs.map(() => null);
  switch (n.opType) {
    case 'Identity':
      return [dy];
    case 'Add':
      return [wanted[0] ? unbroadcast(g, dy!, shapeOf(x)) : null, wanted[1] ? unbroadcast(g, dy!, shapeOf(y)) : null];
    case 'Sum':
      return n.inputs.map((i, k) => (wanted[k] ? unbroadcast(g, dy!, shapeOf(i)) : null));
    case 'Sub':
      return [wanted[0] ? unbroadcast(g, dy!, shapeOf(x)) : null, wanted[1] ? unbroadcast(g, g.neg(dy!), shapeOf(y)) : null];
    case 'Mul':
      return [
        wanted[0] ? unbroadcast(g, g.mul(dy!, y), shapeOf(x)) : null,
        wanted[1] ? unbroadcast(g, g.mul(dy!, x), shapeOf(y)) : null,
      ];
    case 'Div':
      return [
        wanted[0] ? unbroadcast(g, g.div(dy!, y), shapeOf(x)) : null,
        // d(a/b)/db = -(a/b)/b
        wanted[1] ? unbroadcast(g, g.neg(g.mul(dy!, g.div(out, y))), shapeOf(y)) : null,
      ];
    case 'Neg':
      return [g.neg(dy!)];
    case 'Sqrt':
      return [g.div(g.mul(dy!, k(0.5)), out)];
    case 'Reciprocal':
      return [g.neg(g.mul(dy!, g.mul(out, out)))];
    case 'Exp':
      return [g.mul(dy!, out)];
    case 'Log':
      return [g.div(dy!, x)];
    case 'Pow': {
      // y = x^p: dy/dx = p x^(p-1) = p y / x is unsafe at x = 0, so use x^(p-1) directly.
      const pMinus1 = g.sub(y, g.scalar(1, g.meta(y).dtype));
      return [
        wanted[0] ? unbroadcast(g, g.mul(dy!, g.mul(y, g.node('Pow', [x, pMinus1]))), shapeOf(x)) : null,
        wanted[1] ? unbroadcast(g, g.mul(dy!, g.mul(out, g.node('Log', [x]))), shapeOf(y)) : null,
      ];
    }
    case 'Erf': {
      // d erf(x)/dx = 2/sqrt(pi) exp(-x^2)
      const e = g.exp(g.neg(g.mul(x, x)));
      return [g.mul(dy!, g.mul(e, k(2 / Math.sqrt(Math.PI))))];
    }
    case 'Tanh':
      return [g.mul(dy!, g.sub(k(1), g.mul(out, out)))];
    case 'Sigmoid':
      return [g.mul(dy!, g.mul(out, g.sub(k(1), out)))];
    case 'Relu':
      return [g.mul(dy!, g.cast(g.node('Greater', [x, k(0)]), dt))];
    case 'MatMul': {
      if (shapeOf(x).length < 2 || shapeOf(y).length < 2) fail('1-D operands are not supported');
      return [
        wanted[0] ? unbroadcast(g, g.matmul(dy!, swapLast(g, y)), shapeOf(x)) : null,
        wanted[1] ? unbroadcast(g, g.matmul(swapLast(g, x), dy!), shapeOf(y)) : null,
      ];
    }
    case 'Gemm': {
      const transA = intAttr(n, 'transA', 0), transB = intAttr(n, 'transB', 0);
      if (n.attrs.alpha !== undefined || n.attrs.beta !== undefined) fail('alpha/beta are not supported');
      const a = x, b = y;
      let da: Grad = null, db: Grad = null, dc: Grad = null;
      if (wanted[0]) {
        // Y = op(A) op(B): d op(A) = dY op(B)^T
        da = transA
          ? g.gemm(b, dy!, undefined, { transA: !!transB, transB: true }) // dA = op(B) dY^T
          : g.gemm(dy!, b, undefined, { transB: !transB });
      }
      if (wanted[1]) {
        db = transB
          ? g.gemm(dy!, a, undefined, { transA: true, transB: !!transA }) // dB = dY^T op(A)
          : g.gemm(a, dy!, undefined, { transA: !transA });
      }
      if (n.inputs[2] && wanted[2]) dc = unbroadcast(g, dy!, shapeOf(n.inputs[2]));
      return [da, db, dc];
    }
    case 'Reshape': case 'Unsqueeze': case 'Squeeze':
      return [g.reshape(dy!, shapeOf(x)), null];
    case 'Transpose': {
      const perm = (n.attrs.perm as number[] | undefined) ?? shapeOf(x).map((_, i, a) => a.length - 1 - i);
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => (inverse[p] = i));
      return [g.transpose(dy!, inverse)];
    }
    case 'Expand':
      return [unbroadcast(g, dy!, shapeOf(x)), null];
    case 'Split': {
      const axis = intAttr(n, 'axis', 0);
      const parts = n.outputs.map((o, k) => dOut[k] ?? g.zeros(shapeOf(o), g.meta(o).dtype));
      return [g.concat(parts, axis), null];
    }
    case 'Concat': {
      const r = shapeOf(x).length;
      const axis = normAxis(intAttr(n, 'axis', 0), r);
      const sizes = n.inputs.map((i) => shapeOf(i)[axis]);
      const parts = g.split(dy!, axis, sizes);
      return parts.map((p, j) => (wanted[j] ? p : null));
    }
    case 'Slice': {
      const xs = shapeOf(x);
      const starts = g.constIntValues(n.inputs[1]), ends = g.constIntValues(n.inputs[2]);
      const axes = n.inputs[3] ? g.constIntValues(n.inputs[3]) : starts?.map((_, i) => i);
      if (!starts || !ends || !axes || (n.inputs[4] && g.constIntValues(n.inputs[4])!.some((s) => s !== 1))) fail('needs constant starts/ends/axes and unit steps');
      const pads = new Array<number>(2 * xs.length).fill(0);
      axes!.forEach((a, k) => {
        const ax = normAxis(a, xs.length);
        const d = xs[ax];
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
        const s = clamp(starts![k]), e = clamp(ends![k]);
        pads[ax] = s;
        pads[ax + xs.length] = d - Math.max(s, e);
      });
      return [g.node('Pad', [dy!, g.int64(pads)]), null, null, null, null];
    }
    case 'Gather': {
      if (intAttr(n, 'axis', 0) !== 0) fail('only axis 0 is supported');
      // Embedding lookup: scatter-add the rows back (ScatterND reduction=add, opset 16+).
      const idx = g.unsqueeze(y, [-1]);
      const zeros = g.zeros(shapeOf(x), g.meta(x).dtype);
      return [g.node('ScatterND', [zeros, idx, dy!], { reduction: 'add' }), null];
    }
    case 'GatherElements': {
      const zeros = g.zeros(shapeOf(x), g.meta(x).dtype);
      return [g.node('ScatterElements', [zeros, y, dy!], { axis: intAttr(n, 'axis', 0), reduction: 'add' }), null];
    }
    case 'ReduceSum': case 'ReduceMean': {
      const xs = shapeOf(x);
      const keep = intAttr(n, 'keepdims', 1);
      const axesList = n.opType === 'ReduceSum' || g.opset >= 18 ? (n.inputs[1] ? g.constIntValues(n.inputs[1]) : undefined) : (n.attrs.axes as number[] | undefined);
      const axes = (axesList ?? xs.map((_, i) => i)).map((a) => normAxis(a, xs.length));
      let d = dy!;
      if (!keep) d = g.reshape(d, xs.map((s, i) => (axes.includes(i) ? 1 : s)));
      if (n.opType === 'ReduceMean') {
        const count = axes.reduce((p, a) => p * xs[a], 1);
        d = g.mul(d, g.scalar(1 / count, g.meta(x).dtype));
      }
      return [g.expand(d, xs), null];
    }
    case 'Softmax': {
      const axis = intAttr(n, 'axis', -1);
      const yd = g.mul(out, dy!);
      return [g.sub(yd, g.mul(out, g.reduceSum(yd, [axis], true)))];
    }
    case 'LogSoftmax': {
      const axis = intAttr(n, 'axis', -1);
      return [g.sub(dy!, g.mul(g.exp(out), g.reduceSum(dy!, [axis], true)))];
    }
    case 'LayerNormalization': {
      if (dOut[1] || dOut[2]) fail('gradients through Mean/InvStdDev outputs are not supported');
      if (!dy) return n.inputs.map(() => null);
      const [mean, invStd] = [n.outputs[1], n.outputs[2]];
      if (!mean || !invStd) fail('needs the Mean and InvStdDev outputs');
      const xs = shapeOf(x);
      if (normAxis(intAttr(n, 'axis', -1), xs.length) !== xs.length - 1) fail('only the last axis is supported');
      const w = n.inputs[1], b = n.inputs[2];
      const xhat = g.mul(g.sub(x, mean), invStd);
      let dx: Grad = null;
      if (wanted[0]) {
        const dxhat = g.mul(dy, w);
        const m1 = g.reduceMean(dxhat, [-1]);
        const m2 = g.reduceMean(g.mul(dxhat, xhat), [-1]);
        dx = g.mul(g.sub(g.sub(dxhat, m1), g.mul(xhat, m2)), invStd);
      }
      return [
        dx,
        wanted[1] ? unbroadcast(g, g.mul(dy, xhat), shapeOf(w)) : null,
        b && wanted[2] ? unbroadcast(g, dy, shapeOf(b)) : null,
      ];
    }
    case 'Where': {
      const cond = x, a = y, b2 = n.inputs[2];
      const zero = k(0);
      return [
        null,
        wanted[1] ? unbroadcast(g, g.node('Where', [cond, dy!, zero]), shapeOf(a)) : null,
        wanted[2] ? unbroadcast(g, g.node('Where', [cond, zero, dy!]), shapeOf(b2)) : null,
      ];
    }
    default:
      return fail('no gradient rule for this op');
  }
}
