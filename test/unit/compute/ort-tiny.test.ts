// TinyGraphs (the linear-algebra kernels' small graphs) are serialised by the model builder's ONNX
// encoder: the bytes decode back to the same nodes, attributes and dims, and onnxruntime runs them.
import { describe, expect, it } from 'vitest';
import { cachedSession, encodeTinyModel, float64Tensor, OnnxType, runForFloat64, type TinyGraph } from '../../../main/compute/ort';
import { decodeModel } from '../../../main/compute/onnx/proto';

const graph: TinyGraph = {
  name: 'test_tiny_gemm',
  inputs: [
    { name: 'a', elemType: OnnxType.float64, dims: ['n', 3] },
    { name: 'b', elemType: OnnxType.float64, dims: [3, 2] },
  ],
  outputs: [{ name: 'y', elemType: OnnxType.float64, dims: ['n', 2] }],
  nodes: [
    { opType: 'Gemm', inputs: ['a', 'b'], outputs: ['g'], attributes: [{ name: 'alpha', float: 2 }, { name: 'transB', int: 0 }] },
    { opType: 'Transpose', inputs: ['g'], outputs: ['t'], attributes: [{ name: 'perm', ints: [1, 0] }] },
    { opType: 'Transpose', inputs: ['t'], outputs: ['y'], attributes: [{ name: 'perm', ints: [1, 0] }] },
  ],
};

describe('encodeTinyModel', () => {
  it('round-trips through the ONNX decoder', () => {
    const m = decodeModel(encodeTinyModel(graph)) as {
      irVersion: number;
      opsetImport: { version: number }[];
      graph: { name: string; node: { opType: string; input: string[]; attribute?: { name: string; f?: number; i?: number; ints?: number[] }[] }[]; input: { name: string; type: { tensorType: { elemType: number; shape: { dim: { dimValue?: number; dimParam?: string }[] } } } }[] };
    };
    expect(m.irVersion).toBe(8);
    expect(m.opsetImport[0].version).toBe(17);
    expect(m.graph.name).toBe('test_tiny_gemm');
    expect(m.graph.node.map((n) => n.opType)).toEqual(['Gemm', 'Transpose', 'Transpose']);
    expect(m.graph.node[0].attribute).toEqual([expect.objectContaining({ name: 'alpha', f: 2 }), expect.objectContaining({ name: 'transB', type: 2 })]);
    expect(m.graph.node[0].attribute![1].i ?? 0).toBe(0); // proto default: an int 0 need not be on the wire
    expect(m.graph.node[1].attribute![0].ints).toEqual([1, 0]);
    expect(m.graph.input[0].type.tensorType.elemType).toBe(OnnxType.float64);
    expect(m.graph.input[0].type.tensorType.shape.dim).toEqual([{ dimParam: 'n' }, { dimValue: 3 }]);
  });

  it('runs on onnxruntime and equals a naive 2 A B', async () => {
    const a = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
    const b = Float64Array.from({ length: 6 }, (_, i) => Math.cos(i + 1) / 3);
    const session = await cachedSession(graph, { intraOpThreads: 1 });
    const y = await runForFloat64(session, { a: float64Tensor(a, [4, 3]), b: float64Tensor(b, [3, 2]) }, 'y');
    for (let r = 0; r < 4; r++)
      for (let c = 0; c < 2; c++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[r * 3 + k] * b[k * 2 + c];
        expect(y[r * 2 + c]).toBeCloseTo(2 * s, 14);
      }
  });
});
