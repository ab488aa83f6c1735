// GraphBuilder + hand-kept onnx.proto subset: the bytes must load in onnxruntime-node and compute
// what a naive loop computes (float32 and float64), and shapes must be inferred as ONNX defines.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, f } from '../../../main/compute/onnx/graph';
import { decodeModel } from '../../../main/compute/onnx/proto';

function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * m + j];
    out[i * m + j] = s;
  }
  return out;
}

describe('GraphBuilder', () => {
  it('encodes a model that round-trips through the proto subset', () => {
    const g = new GraphBuilder('rt');
    const x = g.input('x', 'float32', ['n', 4]);
    g.output(g.node('Relu', [x]), 'y');
    const decoded = decodeModel(g.toBuffer()) as { opsetImport: { version: number }[]; graph: { node: { opType: string }[]; input: { name: string }[] } };
    expect(decoded.opsetImport[0].version).toBe(17);
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(['Relu', 'Identity']);
    expect(decoded.graph.input[0].name).toBe('x');
  });

  it('runs Gemm and MatMul in float64 with a symbolic batch dim', async () => {
    const g = new GraphBuilder('gram');
    const a = g.input('a', 'float64', ['n', 3]);
    const b = g.input('b', 'float64', [3, 2]);
    g.output(g.matmul(a, b), 'ab');
    g.output(g.gemm(a, a, undefined, { transA: true }), 'gram');
    const session = await ort.InferenceSession.create(g.toBuffer());
    const av = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 10, -1, 0.5, 0.25]);
    const bv = Float64Array.from([1, -2, 0.5, 3, 2, 1]);
    const out = await session.run({ a: new ort.Tensor('float64', av, [4, 3]), b: new ort.Tensor('float64', bv, [3, 2]) });
    expect(Array.from(out.ab.data as Float64Array)).toEqual(Array.from(naiveMatmul(av, bv, 4, 3, 2)));
    const at = new Float64Array(12);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) at[j * 4 + i] = av[i * 3 + j];
    const gram = out.gram.data as Float64Array;
    naiveMatmul(at, av, 3, 4, 3).forEach((v, i) => expect(gram[i]).toBeCloseTo(v, 12));
    expect(out.gram.dims).toEqual([3, 3]);
  });

  it('infers shapes and runs LayerNormalization, Split, Concat, ConstantOfShape', async () => {
    const g = new GraphBuilder('ln');
    const x = g.input('x', 'float32', [2, 4]);
    const w = g.floats([1, 2, 3, 4], [4]);
    const bias = g.floats([0, 0, 0, 1], [4]);
    const y = g.layerNorm(x, w, bias, 1e-5);
    const [p, q] = g.split(y, 1, [1, 3]);
    expect(g.meta(q).shape).toEqual([2, 3]);
    const z = g.concat([q, p], 1);
    const zero = g.zeros([2, 4]);
    const sum = g.add(z, zero);
    expect(g.meta(sum).shape).toEqual([2, 4]);
    expect(g.meta(g.reduceMean(sum, [-1])).shape).toEqual([2, 1]);
    expect(g.meta(g.reshape(sum, [-1])).shape).toEqual([8]);
    g.output(sum, 'out');
    const session = await ort.InferenceSession.create(g.toBuffer());
    const xv = Float32Array.from([1, 2, 3, 4, -1, 0, 1, 5]);
    const out = (await session.run({ x: new ort.Tensor('float32', xv, [2, 4]) })).out.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      const row = Array.from(xv.slice(r * 4, r * 4 + 4));
      const mean = row.reduce((s, v) => s + v, 0) / 4;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / 4;
      const ln = row.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * [1, 2, 3, 4][i] + [0, 0, 0, 1][i]);
      const expected = [...ln.slice(1), ln[0]];
      expected.forEach((v, i) => expect(out[r * 4 + i]).toBeCloseTo(v, 5));
    }
  });

  it('rejects unwrapped float attributes and unknown inputs with a typed error', () => {
    const g = new GraphBuilder('bad');
    const x = g.input('x', 'float32', [2]);
    expect(() => g.node('Relu', ['nope'])).toThrow(/unknown input nope/);
    g.output(g.node('LeakyRelu', [x], { alpha: 0.1 }), 'y');
    expect(() => g.toBuffer()).toThrow(/wrap floats/);
    void f;
  });
});
