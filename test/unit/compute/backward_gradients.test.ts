// Backward graphs: d(loss)/d(weight) for every weight of every fixture model against torch
// autograd in float64 (tools/make_forward_fixtures.py), a finite-difference check of single
// weights through our own forward graph, and per-op vector-Jacobian products checked by central
// differences in float64 (independent of torch).
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { createSession } from '../../../main/compute/providers';
import { buildForward, runForward, type ForwardResult } from '../../../main/compute/forward/index';
import { addGradients } from '../../../main/compute/backward/autodiff';
import { GraphBuilder, f } from '../../../main/compute/onnx/graph';
import { FIXTURE_MODELS, loadFixture, type Fixture } from '../../fixtures/forward/helpers';

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

describe.each(FIXTURE_MODELS)('gradients %s vs torch autograd', (name) => {
  let fx: Fixture;
  let result: ForwardResult;
  beforeAll(async () => {
    fx = await loadFixture(name);
    const graph = buildForward(fx.config, { batch: fx.summary.batch, seqLen: fx.summary.seq_len, gradients: true });
    const session = (await createSession(graph.model, { provider: 'cpu' })).session;
    result = await runForward(session, graph, fx.weights, fx.tokens);
  });

  it('returns the loss and one gradient per weight', () => {
    expect(Math.abs(result.loss! - fx.summary.loss)).toBeLessThan(1e-5);
    expect([...result.gradients.keys()].sort()).toEqual([...fx.weights.keys()].sort());
  });

  it('matches every gradient: relative error of the norm < 1e-4, elementwise within 1e-4 of the tensor scale', () => {
    for (const [w, grad] of result.gradients) {
      const want = fx.expected.get(`grad.${w}`)!;
      expect(grad.length, w).toBe(want.length);
      const wantNorm = norm(want);
      expect(Math.abs(norm(grad) - fx.summary.grad_norms[w]) / wantNorm, `${w} norm`).toBeLessThan(1e-4);
      const diff = new Float64Array(want.length);
      let scale = 0;
      for (let i = 0; i < want.length; i++) {
        diff[i] = grad[i] - want[i];
        scale = Math.max(scale, Math.abs(want[i]));
      }
      expect(norm(diff) / wantNorm, `${w} relative difference`).toBeLessThan(1e-4);
      for (let i = 0; i < want.length; i++) expect(Math.abs(diff[i]), `${w}[${i}]`).toBeLessThan(1e-4 * scale + 1e-7);
    }
  });
});

describe('finite differences through the float32 forward graph', () => {
  it.each([
    ['neox_parallel', 'gpt_neox.layers.0.attention.query_key_value.weight'],
    ['neox_parallel', 'gpt_neox.layers.1.mlp.dense_h_to_4h.bias'],
    ['gpt2', 'transformer.wte.weight'],
    ['llama', 'model.layers.0.self_attn.k_proj.weight'],
  ])('%s %s', async (name, weight) => {
    const fx = await loadFixture(name);
    const lossGraph = buildForward(fx.config, { batch: 2, seqLen: 8, outputs: { resid: false, mlp: false, logits: false, finalNorm: false } });
    const session = (await createSession(lossGraph.model, { provider: 'cpu' })).session;
    const gradGraph = buildForward(fx.config, { batch: 2, seqLen: 8, gradients: true, outputs: { resid: false, mlp: false, logits: false, finalNorm: false } });
    const gradSession = (await createSession(gradGraph.model, { provider: 'cpu' })).session;
    const grad = (await runForward(gradSession, gradGraph, fx.weights, fx.tokens)).gradients.get(weight)!;
    // The element with the largest gradient: the most robust one to difference in float32.
    let k = 0;
    for (let i = 0; i < grad.length; i++) if (Math.abs(grad[i]) > Math.abs(grad[k])) k = i;
    const h = 1e-2;
    const lossAt = async (delta: number) => {
      const w = Float32Array.from(fx.weights.get(weight)!);
      w[k] = w[k] + delta;
      const m = new Map(fx.weights);
      m.set(weight, w);
      return (await runForward(session, lossGraph, m, fx.tokens)).loss!;
    };
    // Perturb by exactly representable steps: (w+h) - (w-h) may differ from 2h in float32.
    const base = fx.weights.get(weight)![k];
    const hi = Math.fround(base + h), lo = Math.fround(base - h);
    const fd = ((await lossAt(hi - base)) - (await lossAt(lo - base))) / (hi - lo);
    expect(Math.abs(fd - grad[k])).toBeLessThan(2e-3 * Math.abs(grad[k]) + 2e-5);
  });
});

// ---- per-op VJPs in float64 against central differences ------------------------------------------
type Body = (g: GraphBuilder, inputs: string[]) => string;

async function checkOp(label: string, shapes: number[][], body: Body, opts: { positive?: boolean; dtype?: 'float64' | 'float32' } = {}) {
  const dtype = opts.dtype ?? 'float64';
  const g = new GraphBuilder(label);
  const inputs = shapes.map((s, k) => g.input(`x${k}`, dtype, s));
  const y = body(g, inputs);
  // Scalar objective: sum(y * r) with fixed pseudo-random r, so every output element matters.
  const yShape = g.staticShape(y);
  const n = yShape.reduce((a, b) => a * b, 1);
  const r = Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3));
  const weighted = g.mul(y, g.floats(r, yShape, dtype));
  const loss = g.node('ReduceSum', [weighted], { keepdims: 0 });
  g.output(loss, 'loss');
  const grads = addGradients(g, 'loss', inputs);
  inputs.forEach((i) => g.output(grads.get(i)!, `grad.${i}`));
  const session = await ort.InferenceSession.create(g.toBuffer());
  const values = shapes.map((s, k) => {
    const len = s.reduce((a, b) => a * b, 1);
    const plain = Array.from({ length: len }, (_, i) => {
      const v = Math.cos(0.9 * i + 2.1 * k + 0.5) * 1.5;
      return opts.positive ? Math.abs(v) + 0.5 : v;
    });
    return dtype === 'float64' ? Float64Array.from(plain) : Float32Array.from(plain);
  });
  const run = async (vals: (Float64Array | Float32Array)[]) =>
    session.run(Object.fromEntries(inputs.map((name, k) => [name, new ort.Tensor(dtype, vals[k], shapes[k])])));
  const out = await run(values);
  const h = dtype === 'float64' ? 1e-6 : 1e-2;
  for (let k = 0; k < inputs.length; k++) {
    const analytic = out[`grad.${inputs[k]}`].data as Float64Array;
    expect(analytic.length, `${label} grad ${k} size`).toBe(values[k].length);
    for (let i = 0; i < values[k].length; i++) {
      const plus = values.map((v) => v.slice()), minus = values.map((v) => v.slice());
      plus[k][i] += h;
      minus[k][i] -= h;
      const fd = (Number((await run(plus)).loss.data[0]) - Number((await run(minus)).loss.data[0])) / (2 * h);
      expect(Math.abs(analytic[i] - fd), `${label} d/dx${k}[${i}] analytic ${analytic[i]} fd ${fd}`).toBeLessThan(dtype === 'float64' ? 1e-6 * (1 + Math.abs(fd)) : 2e-2 * (1 + Math.abs(fd)));
    }
  }
}

describe('per-op gradients vs central differences', () => {
  it('broadcasting Add, Sub, Mul, Div', async () => {
    await checkOp('arith', [[2, 3], [3], [2, 1]], (g, [a, b, c]) => g.div(g.mul(g.sub(g.add(a, b), c), a), g.add(g.mul(c, c), g.scalar(1, 'float64'))));
  });
  it('Sqrt, Reciprocal, Exp, Neg, Tanh, Sigmoid', async () => {
    await checkOp('unary', [[5]], (g, [a]) => g.add(g.node('Reciprocal', [g.sqrt(a)]), g.mul(g.neg(g.exp(g.tanh(a))), g.sigmoid(a))), { positive: true });
  });
  it('Pow (both operands) and Log', async () => {
    await checkOp('pow', [[4], [4]], (g, [a, b]) => g.add(g.node('Pow', [a, b]), g.node('Log', [g.mul(a, b)])), { positive: true });
    await checkOp('powconst', [[5]], (g, [a]) => g.node('Pow', [a, g.scalar(3, 'float64')]));
  });
  it('Relu and Where', async () => {
    await checkOp('relu', [[6], [6]], (g, [a, b]) => g.add(g.relu(a), g.node('Where', [g.node('Greater', [a, b]), a, b])));
  });
  it('MatMul with batch broadcasting and Gemm in all transpose combinations', async () => {
    await checkOp('matmul', [[2, 3, 4], [4, 2]], (g, [a, b]) => g.matmul(a, b));
    for (const transA of [false, true]) for (const transB of [false, true]) {
      await checkOp(`gemm${+transA}${+transB}`, [transA ? [4, 3] : [3, 4], transB ? [2, 4] : [4, 2], [2]], (g, [a, b, c]) => g.gemm(a, b, c, { transA, transB }));
    }
  });
  it('Reshape, Transpose, Split, Concat, Slice, Expand, Unsqueeze', async () => {
    await checkOp('shape', [[2, 3, 4]], (g, [a]) => {
      const t = g.transpose(a, [2, 0, 1]); // [4, 2, 3]
      const [p, q] = g.split(t, 2, [1, 2]); // [4, 2, 1], [4, 2, 2]
      const c = g.concat([q, g.mul(p, p)], 2); // [4, 2, 3]
      const s = g.slice(c, [1, 1], [4, 3], [0, 2]); // [3, 2, 2]
      const e = g.expand(g.unsqueeze(g.reduceMean(a, [0], false), [0]), [2, 3, 4]); // [2, 3, 4]
      return g.add(g.reshape(s, [12]), g.reshape(g.slice(g.mul(e, a), [0], [1], [0]), [12]));
    });
  });
  it('ReduceSum, ReduceMean, Softmax, LogSoftmax', async () => {
    await checkOp('reduce', [[3, 4]], (g, [a]) => g.add(g.softmax(a, -1), g.mul(g.logSoftmax(a, -1), g.reduceSum(g.mul(a, a), [1], true))));
  });
  it('Gather (embedding) and GatherElements scatter-add back', async () => {
    await checkOp('gather', [[5, 3]], (g, [a]) => {
      const ids = g.initializer(BigInt64Array.from([1n, 4n, 1n, 0n]), [2, 2], 'int64');
      const rows = g.gather(a, ids);
      const cols = g.initializer(BigInt64Array.from([2n, 0n, 2n, 1n, 1n]), [5, 1], 'int64');
      const picked = g.node('GatherElements', [a, cols], { axis: 1 });
      return g.add(g.reshape(rows, [12]), g.reduceSum(picked, [0, 1], false));
    });
  });
  it('LayerNormalization (float32, the kernel has no float64) with weight and bias', async () => {
    await checkOp('layernorm', [[3, 5], [5], [5]], (g, [x, w, b]) =>
      g.nodeMulti('LayerNormalization', [x, w, b], { axis: -1, epsilon: f(1e-5) }, { outputs: 3 })[0], { dtype: 'float32' });
  });
  it('Erf in float32 (no float64 Erf kernel on the CPU provider)', async () => {
    await checkOp('erf', [[6]], (g, [x]) => g.mul(g.erf(x), x), { dtype: 'float32' });
  });
});
