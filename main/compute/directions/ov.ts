/**
 * SVD directions of attention heads' OV circuits on onnxruntime (the method: main/compute/directions.ts):
 * - OV circuit of every head of a block in one batch: M_h = A_h^T A_h and G_h = B_h B_h^T on
 *   onnxruntime (A = W_O^h [d, hd], B = W_V^h [hd, d]); R_h = Cholesky of M_h (the R of A_h = Q R
 *   with positive diagonal, as the reference's Gram-Schmidt gives), Jacobi on R G R^T, and the
 *   directions A_h (R_h^-1 V_h) on onnxruntime. A head whose A_h is ill-conditioned (a column
 *   within 1e-3 of the span of the previous ones) or not finite takes the reference's JS route.
 */
import { choleskyUpper, invertUpper, symmetricEigen } from '../../metrics/linear-algebra';
import { ovLeftSingularVectors, type LeftSingularVectors } from '../../metrics/svd-directions';
import { cachedSession, float64Tensor, OnnxType, type TinyGraph } from '../ort';
import { allFinite, DirectionsError, run, unpackColumns, type ComputeOptions } from './common';

/** A head's scaled Cholesky pivot below this: A_h is too ill-conditioned for Cholesky QR. */
const MIN_SCALED_PIVOT = 1e-3;

const f64 = OnnxType.float64;

/** Per head: M = A^T A and G = B B^T for A [H, d, hd], B [H, hd, d]. */
const OV_GRAMS_GRAPH: TinyGraph = {
  name: 'directions.ov-grams',
  inputs: [
    { name: 'A', elemType: f64, dims: ['h', 'd', 'k'] },
    { name: 'B', elemType: f64, dims: ['h', 'k', 'd'] },
  ],
  outputs: [
    { name: 'M', elemType: f64, dims: ['h', 'k', 'k'] },
    { name: 'G', elemType: f64, dims: ['h', 'k', 'k'] },
  ],
  nodes: [
    { opType: 'Transpose', inputs: ['A'], outputs: ['At'], attributes: [{ name: 'perm', ints: [0, 2, 1] }] },
    { opType: 'MatMul', inputs: ['At', 'A'], outputs: ['M'] },
    { opType: 'Transpose', inputs: ['B'], outputs: ['Bt'], attributes: [{ name: 'perm', ints: [0, 2, 1] }] },
    { opType: 'MatMul', inputs: ['B', 'Bt'], outputs: ['G'] },
  ],
};

/** Per head: directions A X for A [H, d, hd], X [H, hd, w]. */
const OV_VECTORS_GRAPH: TinyGraph = {
  name: 'directions.ov-vectors',
  inputs: [
    { name: 'A', elemType: f64, dims: ['h', 'd', 'k'] },
    { name: 'X', elemType: f64, dims: ['h', 'k', 'w'] },
  ],
  outputs: [{ name: 'U', elemType: f64, dims: ['h', 'd', 'w'] }],
  nodes: [{ opType: 'MatMul', inputs: ['A', 'X'], outputs: ['U'] }],
};

export interface HeadSlices {
  wO: Float64Array;
  wV: Float64Array;
  headDim: number;
}

/**
 * Top-min(k, hd) left singular vectors of each head's OV = wO [d, hd] wV [hd, d], all heads in one
 * batch (see the header); results in the order of `heads`.
 */
export async function ovLeftSingularVectorsBatch(heads: readonly HeadSlices[], d: number, k: number, options: ComputeOptions = {}): Promise<LeftSingularVectors[]> {
  if (heads.length === 0) return [];
  const hd = heads[0].headDim;
  for (const h of heads) {
    if (h.headDim !== hd) throw new DirectionsError(`heads of one batch must share a head size (${h.headDim} vs ${hd})`);
    if (h.wO.length !== d * hd || h.wV.length !== hd * d) throw new DirectionsError(`OV factors must be ${d} x ${hd} and ${hd} x ${d}`);
  }
  const want = Math.min(k, hd);
  const count = heads.length;
  const a = new Float64Array(count * d * hd);
  const b = new Float64Array(count * hd * d);
  heads.forEach((h, i) => {
    a.set(h.wO, i * d * hd);
    b.set(h.wV, i * hd * d);
  });
  const sessionOpts = { intraOpThreads: options.intraOpThreads };
  const grams = await run(await cachedSession(OV_GRAMS_GRAPH, sessionOpts), {
    A: float64Tensor(a, [count, d, hd]),
    B: float64Tensor(b, [count, hd, d]),
  });
  const x = new Float64Array(count * hd * want);
  const results: (LeftSingularVectors | null)[] = [];
  const values: number[][] = [];
  for (let i = 0; i < count; i++) {
    const head = heads[i];
    const mh = grams['M'].subarray(i * hd * hd, (i + 1) * hd * hd);
    const gh = grams['G'].subarray(i * hd * hd, (i + 1) * hd * hd);
    const r = allFinite(head.wO) && allFinite(head.wV) ? headR(mh, hd) : null;
    if (!r) {
      // Rank deficient, ill-conditioned or not finite: the reference's Gram-Schmidt route.
      results.push(ovLeftSingularVectors(head.wO, head.wV, d, hd, k));
      values.push([]);
      continue;
    }
    // S = R G R^T (R upper triangular), symmetrised.
    const rg = new Float64Array(hd * hd);
    for (let p = 0; p < hd; p++)
      for (let j = 0; j < hd; j++) {
        let s = 0;
        for (let l = p; l < hd; l++) s += r[p * hd + l] * gh[l * hd + j];
        rg[p * hd + j] = s;
      }
    const sm = new Float64Array(hd * hd);
    for (let p = 0; p < hd; p++)
      for (let j = 0; j < hd; j++) {
        let s = 0;
        for (let l = j; l < hd; l++) s += rg[p * hd + l] * r[j * hd + l];
        sm[p * hd + j] = s;
      }
    const eig = symmetricEigen(sm, hd);
    // X = R^-1 V[:, :want], so that A X = Q V.
    const rinv = invertUpper(r, hd);
    const xh = x.subarray(i * hd * want, (i + 1) * hd * want);
    for (let p = 0; p < hd; p++)
      for (let j = 0; j < want; j++) {
        let s = 0;
        for (let l = p; l < hd; l++) s += rinv[p * hd + l] * eig.vectors[l * hd + j];
        xh[p * want + j] = s;
      }
    results.push(null);
    values.push(Array.from(eig.values.subarray(0, want), (v) => Math.sqrt(Math.max(0, v))));
  }
  const u = (await run(await cachedSession(OV_VECTORS_GRAPH, sessionOpts), { A: float64Tensor(a, [count, d, hd]), X: float64Tensor(x, [count, hd, want]) }))['U'];
  return results.map((res, i) => {
    if (res) return res;
    const uh = u.subarray(i * d * want, (i + 1) * d * want);
    return { vectors: unpackColumns(uh, d, want), singularValues: values[i], converged: true, iterations: 0, residual: 0 };
  });
}

/** R of A = Q R (positive diagonal) from M = A^T A, or null when Cholesky QR would be inaccurate. */
function headR(mh: Float64Array, hd: number): Float64Array | null {
  const norms = new Float64Array(hd);
  for (let j = 0; j < hd; j++) {
    const n2 = mh[j * hd + j];
    if (!(n2 > 0) || !Number.isFinite(n2)) return null;
    norms[j] = Math.sqrt(n2);
  }
  const scaled = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++) for (let j = 0; j < hd; j++) scaled[i * hd + j] = mh[i * hd + j] / (norms[i] * norms[j]);
  const rs = choleskyUpper(scaled, hd);
  if (!rs) return null;
  for (let j = 0; j < hd; j++) if (!(rs[j * hd + j] >= MIN_SCALED_PIVOT)) return null;
  // A = Q R_s D with D = diag(norms): R = R_s D.
  for (let i = 0; i < hd; i++) for (let j = i; j < hd; j++) rs[i * hd + j] *= norms[j];
  return rs;
}
