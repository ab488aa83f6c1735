// `head-updates`: how far each attention head's weights moved since the previous checkpoint, per
// head and per matrix: the Frobenius norm of the change of the head's slice of the query, key,
// value and output projections (sliced by the family module, main/architectures/<family>.ts
// `qkvHeads` and `ovHeads`), and that over the training steps between the two checkpoints, as the
// weights analysis's dist_to_prev / update_per_step are for whole tensors. The co-update view
// (main/store/co-update.ts, group `head`) correlates these per head. Definitions in
// docs/ANALYSES.md; unit: main/jobs/units/head-updates.ts.
import { headTensor } from './head-spectra';
import { metric, type AnalysisInfo } from './types';

export type HeadUpdatePart = 'q' | 'k' | 'v' | 'o';

/**
 * The cache's tensor name of head h's slice of one projection in block b: the head-spectra names
 * for q, k, v (a K/V head under grouped-query attention), `attn.{b}.head.{h}.o` for its columns of
 * the output projection.
 */
export function headUpdateTensor(block: number, head: number, part: HeadUpdatePart): string {
  return part === 'o' ? `attn.${block}.head.${head}.o` : headTensor(block, head, part);
}

/** Inverse of headUpdateTensor, or null for any other name. */
export function parseHeadUpdateTensor(name: string): { block: number; head: number; part: HeadUpdatePart } | null {
  const m = /^attn\.(\d+)\.head\.(\d+)\.([qkvo])$/.exec(name);
  return m ? { block: Number(m[1]), head: Number(m[2]), part: m[3] as HeadUpdatePart } : null;
}

/** "L3.h5": a query head (its Q and O slices, and K, V when every head has its own); "L3.kv1": a K/V head shared under GQA. */
export function headRowLabel(block: number, head: number, kv = false): string {
  return `L${block}.${kv ? 'kv' : 'h'}${head}`;
}

export const headUpdates = {
  id: 'head-updates',
  label: 'Head updates',
  units: ['head-updates'],
  metrics: [
    metric('head_dist_to_prev', 'Head update size', '‖W_h−W_h,prev‖F', 'head', "Frobenius norm of the change of one head's Q, K, V rows or O columns since the previous checkpoint", true),
    metric('head_update_per_step', 'Head update per step', '‖W_h−W_h,prev‖F / step', 'head', 'head_dist_to_prev divided by the training steps since the previous checkpoint', true),
  ],
  frames: [],
  views: ['co-update'],
} as const satisfies AnalysisInfo;
