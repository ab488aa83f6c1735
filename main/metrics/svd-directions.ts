// SVD directions (DOMAIN.md "SVD directions"): for each block, the top singular directions of
// `mlp.out` and of every head's OV circuit W_O^h W_V^h on the residual-stream (output) side,
// mapped through the unembedding to their top-20 tokens.
//
// This file holds the JS route of the OV circuit and the result types; the small dense kernels are
// in main/metrics/linear-algebra.ts, the token ranking in main/metrics/token-ranking.ts, and
// main/compute/directions.ts runs the method with its large products on onnxruntime (subspace
// iteration on C = W W^T for mlp.out, the exact low-rank route for each head's OV circuit, one
// float32 pass over the unembedding per block with a rigorous error bound and exact float64
// re-ranking of the candidates).
// - OV circuit of head h: A = W_O^h [d, hd] and B = W_V^h [hd, d] (each family's slices:
//   main/architectures/<family>.ts). OV = A B has rank <= hd, so
//   exactly: A = Q_A R_A (Gram-Schmidt), then OV OV^T = Q_A (R_A (B B^T) R_A^T) Q_A^T and the
//   small hd x hd symmetric problem is solved by Jacobi; left vectors = Q_A V. At most hd
//   directions exist, so min(k, hd) are returned (ovLeftSingularVectors: the JS route, used by
//   the fast path for rank-deficient, ill-conditioned or non-finite heads).
// Closeness to the final checkpoint is defined in common/analyses/svd-directions.ts; the per-head
// slicing of each family's attention weights in main/architectures/<family>.ts.
import { MetricInputError, type NumericArray } from './moments';
import { orthonormalise, symmetricEigen } from './linear-algebra';

// ------------------------------------------------------------------ singular vectors
// (the subspace iteration itself: main/compute/directions/subspace.ts topLeftSingularVectors)

export interface LeftSingularVectors {
  /** Unit left singular vectors, descending singular value; each of length `rows`. */
  vectors: Float64Array[];
  singularValues: number[];
  converged: boolean;
  iterations: number;
  /** max over returned pairs of ||W W^T u - s^2 u|| / s_1^2 (0 for the exact OV method). */
  residual: number;
}

export interface SubspaceOptions {
  oversample?: number;
  maxIterations?: number;
  tolerance?: number;
  /** Form W W^T explicitly (default: when rows <= cols and rows <= 4096). */
  formGram?: boolean;
}

/** Top-min(k, hd) left singular vectors of OV = wO [d, hd] * wV [hd, d] (exact, see header). */
export function ovLeftSingularVectors(wO: NumericArray, wV: NumericArray, d: number, hd: number, k: number): LeftSingularVectors {
  if (wO.length !== d * hd || wV.length !== hd * d) {
    throw new MetricInputError('svd-directions.ts', `OV factors must be ${d} x ${hd} and ${hd} x ${d}`);
  }
  // Columns of A = wO.
  const qa = Array.from({ length: hd }, (_, c) => {
    const col = new Float64Array(d);
    for (let r = 0; r < d; r++) col[r] = wO[r * hd + c];
    return col;
  });
  const ra = orthonormalise(qa);
  // G = B B^T (hd x hd)
  const g = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++) {
    for (let j = i; j < hd; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += wV[i * d + c] * wV[j * d + c];
      g[i * hd + j] = s;
      g[j * hd + i] = s;
    }
  }
  // S = R G R^T
  const rg = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++)
    for (let j = 0; j < hd; j++) {
      let s = 0;
      for (let l = i; l < hd; l++) s += ra[i * hd + l] * g[l * hd + j];
      rg[i * hd + j] = s;
    }
  const sm = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++)
    for (let j = 0; j < hd; j++) {
      let s = 0;
      for (let l = j; l < hd; l++) s += rg[i * hd + l] * ra[j * hd + l];
      sm[i * hd + j] = s;
    }
  for (let i = 0; i < hd; i++)
    for (let j = i + 1; j < hd; j++) {
      const avg = 0.5 * (sm[i * hd + j] + sm[j * hd + i]);
      sm[i * hd + j] = avg;
      sm[j * hd + i] = avg;
    }
  const eig = symmetricEigen(sm, hd);
  const want = Math.min(k, hd);
  const vectors: Float64Array[] = [];
  for (let j = 0; j < want; j++) {
    const u = new Float64Array(d);
    for (let i = 0; i < hd; i++) {
      const coef = eig.vectors[i * hd + j];
      const qi = qa[i];
      for (let r = 0; r < d; r++) u[r] += coef * qi[r];
    }
    vectors.push(u);
  }
  return {
    vectors,
    singularValues: Array.from(eig.values.subarray(0, want), (v) => Math.sqrt(Math.max(0, v))),
    converged: true,
    iterations: 0,
    residual: 0,
  };
}

export interface DirectionTokens {
  /** Direction index (0 = largest singular value). */
  index: number;
  singularValue: number;
  /** Top-K token ids of U u (most positive first). */
  top: number[];
  /** Top-K token ids of U (-u) (most negative logits of U u first). */
  bottom: number[];
  topTokens: string[];
  bottomTokens: string[];
}

export interface ComponentDirections {
  component: 'mlp.out' | 'attn.ov';
  /** Head index for attn.ov, null for mlp.out. */
  head: number | null;
  directions: DirectionTokens[];
  converged: boolean;
  iterations: number;
  residual: number;
}
