// Reverse-mode differentiation of a GraphBuilder graph, emitted as ONNX nodes into the same graph,
// because onnxruntime-node has no training API: one session then returns the loss and
// d(loss)/d(w) for every weight input. Walks the recorded nodes backwards from the loss, only
// through nodes that both depend on a weight and feed the loss, and sums the contributions of
// values used several times (so a tied embedding gets both its embedding and unembedding parts).
import { GraphBuilder, GraphError, type NodeRecord } from '../onnx/graph';
import { vjp } from './rules';

/**
 * Add gradient nodes for d(loss)/d(x) for every x in `wrt`; returns x -> gradient value name.
 * `loss` must be a float scalar (shape []); every value on the path must have a static shape.
 */
export function addGradients(g: GraphBuilder, loss: string, wrt: string[]): Map<string, string> {
  const lossShape = g.staticShape(loss);
  if (lossShape.length !== 0) throw new GraphError(g.name, `loss ${loss} must be a scalar, has shape ${JSON.stringify(lossShape)}`);
  // Forward sweep: values that depend on some wrt input.
  const active = new Set(wrt);
  const nodes = [...g.nodes];
  for (const n of nodes) {
    if (n.inputs.some((i) => active.has(i))) for (const o of n.outputs) if (o !== '') active.add(o);
  }
  // Backward sweep: values the loss depends on.
  const needed = new Set([loss]);
  const onPath: NodeRecord[] = [];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (!n.outputs.some((o) => needed.has(o))) continue;
    if (!n.inputs.some((i) => active.has(i))) continue;
    onPath.push(n);
    for (const i of n.inputs) if (active.has(i)) needed.add(i);
  }
  const contributions = new Map<string, string[]>();
  const push = (value: string, grad: string) => {
    const list = contributions.get(value);
    if (list) list.push(grad);
    else contributions.set(value, [grad]);
  };
  const total = (value: string): string | null => {
    const list = contributions.get(value);
    if (!list || list.length === 0) return null;
    if (list.length === 1) return list[0];
    const summed = g.node('Sum', list);
    contributions.set(value, [summed]);
    return summed;
  };
  push(loss, g.scalar(1, g.meta(loss).dtype));
  for (const n of onPath) {
    const dOut = n.outputs.map((o) => (o === '' ? null : total(o)));
    if (dOut.every((d) => d === null)) continue;
    const wanted = n.inputs.map((i) => i !== '' && active.has(i) && needed.has(i));
    const dIn = vjp(g, n, dOut, wanted);
    n.inputs.forEach((input, k) => {
      const d = dIn[k];
      if (wanted[k] && d) push(input, d);
    });
  }
  const result = new Map<string, string>();
  for (const w of wrt) {
    const grad = total(w);
    // A weight the loss does not depend on (e.g. an unused bias) has a zero gradient.
    result.set(w, grad ?? g.zeros(g.staticShape(w), g.meta(w).dtype));
  }
  return result;
}
