/**
 * SVD directions (DOMAIN.md "SVD directions") with every large product on onnxruntime; the small
 * dense parts (Jacobi on m x m, Cholesky, triangular inverses, the exact re-ranking of a few
 * candidate tokens) stay in JS as the pure kernels of main/metrics/linear-algebra.ts,
 * main/metrics/token-ranking.ts and main/metrics/svd-directions.ts. Same algorithms and results
 * as the pure-JS reference they replace (kept in the tests), so that a checkpoint's directions,
 * singular values and token lists do not depend on which ran.
 *
 * Parts: directions/subspace.ts (mlp.out), directions/ov.ts (every head's OV circuit),
 * directions/tokens.ts (token lists), directions/common.ts (options, errors, packing); this file
 * runs one block through them.
 */
import type { ComponentDirections, DirectionTokens, LeftSingularVectors } from '../metrics/svd-directions';
import type { NumericArray } from '../metrics/moments';
import type { FastDirectionOptions } from './directions/common';
import { ovLeftSingularVectorsBatch, type HeadSlices } from './directions/ov';
import { topLeftSingularVectors } from './directions/subspace';
import { tokenLists, type Unembedding } from './directions/tokens';

export { prepareUnembedding } from './directions/tokens';
export type { HeadSlices } from './directions/ov';

export interface BlockMatrices {
  /** mlp.out as [d, d_ff] (rows = residual side). */
  mlpOut?: { w: NumericArray; dff: number };
  /** OV slices of each head, all with the same head size. */
  heads?: readonly { head: number; slices: HeadSlices }[];
}

/**
 * Every component's directions of one block: mlp.out first, then the heads in the given order;
 * all directions of the block share one pass over the unembedding.
 */
export async function blockDirections(
  block: BlockMatrices,
  un: Unembedding,
  decode: (id: number) => string,
  options: FastDirectionOptions = {},
): Promise<ComponentDirections[]> {
  const k = options.directions ?? 30;
  const topK = options.topK ?? 20;
  const parts: { component: ComponentDirections['component']; head: number | null; svd: LeftSingularVectors }[] = [];
  if (block.mlpOut) {
    const svd = await topLeftSingularVectors(block.mlpOut.w, un.d, block.mlpOut.dff, k, options);
    parts.push({ component: 'mlp.out', head: null, svd });
  }
  if (block.heads && block.heads.length > 0) {
    const svds = await ovLeftSingularVectorsBatch(
      block.heads.map((h) => h.slices),
      un.d,
      k,
      options,
    );
    block.heads.forEach((h, i) => parts.push({ component: 'attn.ov', head: h.head, svd: svds[i] }));
  }
  const lists = await tokenLists(
    parts.flatMap((p) => p.svd.vectors),
    un,
    topK,
    options,
  );
  let next = 0;
  return parts.map((p) => ({
    component: p.component,
    head: p.head,
    directions: p.svd.vectors.map((_, index): DirectionTokens => {
      const l = lists[next++];
      return {
        index,
        singularValue: p.svd.singularValues[index] ?? NaN,
        top: l.top,
        bottom: l.bottom,
        topTokens: l.top.map(decode),
        bottomTokens: l.bottom.map(decode),
      };
    }),
    converged: p.svd.converged,
    iterations: p.svd.iterations,
    residual: p.svd.residual,
  }));
}
