// Residual-stream outliers as the study drew them (DOMAIN.md "outlier norms"): the max |x| ever
// reached per block (the inverted U across depth) from the `max_abs` scalars, and which residual
// dimensions carry the outliers, with the gains of the LayerNorms that read those dimensions (the
// study's Adam + LayerNorm hypothesis). The `outlier_dims` frame is computed by the `activations`
// unit (main/jobs/units/outlier-dims.ts) and listed in common/analyses/activations.ts; the view is
// renderer/src/views/Outliers.tsx. Definitions: docs/ANALYSES.md "outliers".
import type { FrameSpec } from './types';

/** Dimensions exported (and drawn by default) per residual stream and checkpoint. */
export const OUTLIER_TOP_DIMS = 8;

/** The gain vector of one norm that reads this residual stream. */
export interface NormGain {
  /** ln.attn / ln.mlp of the next block, or ln.final after the last block. */
  component: string;
  /** The raw tensor name in the checkpoint. */
  tensor: string;
  /** One gain per residual dimension. */
  gain: ArrayLike<number>;
}

/** One residual stream (`resid.{i}`) at one checkpoint. */
export interface OutlierDimsFrame {
  /** max |x| per residual dimension over the probe batch (length d). */
  dim_max_abs: ArrayLike<number>;
  /** The OUTLIER_TOP_DIMS dimensions of largest max |x|, descending (ties: lower index first). */
  top_dims: number[];
  /** Gains of the norms that take this residual stream as input (empty when it has none). */
  norms: NormGain[];
}

/** The dimensions ordered by max |x| (descending, ties by index), the first k. */
export function topDims(dimMaxAbs: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: dimMaxAbs.length }, (_, i) => i);
  order.sort((a, b) => dimMaxAbs[b] - dimMaxAbs[a] || a - b);
  return order.slice(0, Math.min(k, order.length));
}

/** outlier_dims.jsonl: the top dimensions, their max |x| and the reading norms' gains at them. */
export function outlierDimsExportShape(d: Record<string, unknown>): Record<string, unknown> {
  const f = d as unknown as OutlierDimsFrame;
  const dims = f.top_dims;
  return {
    dims,
    max_abs: dims.map((i) => f.dim_max_abs[i]),
    ln_gain: Object.fromEntries(f.norms.map((n) => [n.component, dims.map((i) => n.gain[i])])),
    ln_tensor: Object.fromEntries(f.norms.map((n) => [n.component, n.tensor])),
  };
}

export const outlierDimsFrameSpec: FrameSpec = { kind: 'outlier_dims', file: 'outlier_dims.jsonl', exportShape: outlierDimsExportShape };

/** The residual stream's depth index: resid.{i} -> i (0 = after the embedding), else null. */
export function residIndex(tensor: string): number | null {
  const m = /^resid\.(\d+)$/.exec(tensor);
  return m ? Number(m[1]) : null;
}

/**
 * The largest max |x| each residual stream ever reached over the given checkpoints, by depth:
 * from the `max_abs` grid's rows (tensor names, values[t][c]). Null where nothing is computed.
 */
export function maxEverByDepth(tensors: readonly string[], values: ReadonlyArray<ReadonlyArray<number | null>>): Array<{ tensor: string; depth: number; maxEver: number | null; atColumn: number | null }> {
  const out: Array<{ tensor: string; depth: number; maxEver: number | null; atColumn: number | null }> = [];
  tensors.forEach((tensor, t) => {
    const depth = residIndex(tensor);
    if (depth === null) return;
    let best: number | null = null;
    let at: number | null = null;
    (values[t] ?? []).forEach((v, c) => {
      if (v !== null && Number.isFinite(v) && (best === null || v > best)) {
        best = v;
        at = c;
      }
    });
    out.push({ tensor, depth, maxEver: best, atColumn: at });
  });
  return out.sort((a, b) => a.depth - b.depth);
}

/** Every dimension that is among the top k at some checkpoint, ordered by its largest max |x|. */
export function outlierDimsOverTime(frames: ReadonlyArray<OutlierDimsFrame | null>, k = OUTLIER_TOP_DIMS): number[] {
  const peak = new Map<number, number>();
  for (const f of frames) {
    if (!f) continue;
    for (const dim of f.top_dims.slice(0, k)) peak.set(dim, Math.max(peak.get(dim) ?? 0, f.dim_max_abs[dim]));
  }
  return [...peak].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([dim]) => dim);
}
