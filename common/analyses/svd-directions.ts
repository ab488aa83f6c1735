// `svd-directions` (DOMAIN.md "SVD directions"): for each block, the top singular directions of
// mlp.out and of each head's OV circuit on the residual-stream side, mapped through the
// unembedding to their top tokens. Unit: main/jobs/units/svd-directions.ts; numerics:
// main/compute/directions.ts; head slicing per family: main/architectures/<family>.ts; view:
// renderer/src/views/SvdDirections.tsx; charts: common/charts/svd-directions.ts.
//
// "Closeness to final" is defined here once, and the exporter and the charts both call it:
// for one direction index, the number of the final checkpoint's top-K tokens found in this
// checkpoint's list for the same direction, under the better of its two signs (a singular
// vector's sign is arbitrary): max(|top ∩ final.top|, |bottom ∩ final.top|), an integer 0..K.
// Per block: the mean over the block's directions (mlp.out and every head pooled); averaged: the
// mean of the block means. A block holding a direction without tokens (undefined singular vectors,
// e.g. NaN weights) is not comparable and has no value, and then neither has the average.
import type { AnalysisInfo } from './types';

/** Directions per matrix and tokens per direction (DOMAIN.md: top-30 directions, top-20 tokens). */
export const SVD_DIRECTIONS = 30;
export const SVD_TOP_TOKENS = 20;
/** The pseudo-tensor the frames are stored under (one frame per checkpoint holds every block). */
export const SVD_TENSOR = 'svd_directions';
export const SVD_FRAME_KIND = 'svd_directions';

/** One direction as the unit stores it (the frame is {directions: StoredDirection[]}). */
export interface StoredDirection {
  component: 'mlp.out' | 'attn.ov';
  block: number;
  head: number | null;
  index: number;
  singular_value: number;
  /** Token ids of the top-K logits of +u and of -u. */
  top: number[];
  bottom: number[];
  tokens: string[];
  neg_tokens: string[];
}

/**
 * Matches of one direction with the final checkpoint's direction of the same index: how many of
 * `finalTop` are in `top` or in `bottom`, whichever is more (each token counted once). Null when
 * either side has no tokens (an undefined direction).
 */
export function matchesWithFinal<T>(top: readonly T[], bottom: readonly T[], finalTop: readonly T[]): number | null {
  if (top.length === 0 || finalTop.length === 0) return null;
  const want = new Set(finalTop);
  const count = (list: readonly T[]): number => {
    let n = 0;
    for (const t of new Set(list)) if (want.has(t)) n++;
    return n;
  };
  return Math.max(count(top), count(bottom));
}

/** What identifies a direction across checkpoints. */
export interface DirectionIdentity {
  component: string;
  block: number | string | null;
  head: number | null;
  index: number;
}

export function directionKey(d: DirectionIdentity): string {
  return `${d.component}|${String(d.block)}|${d.head ?? ''}|${d.index}`;
}

export interface FrameCloseness {
  /** Matches of each direction of the frame (same order), null without a final counterpart or tokens. */
  matches: Array<number | null>;
  /** Per block (key String(block)), in block order: the mean matches, or null when not comparable. */
  perBlock: Map<string, { block: number | string | null; value: number | null }>;
  /** The mean of the block means; null when a block is not comparable or there is none. */
  mean: number | null;
}

/**
 * Closeness of one checkpoint's directions to the final checkpoint's (see the header).
 * `matchesOf` compares one direction with its final counterpart, through matchesWithFinal.
 */
export function frameCloseness<D extends DirectionIdentity>(dirs: readonly D[], finalDirs: readonly D[], matchesOf: (d: D, final: D) => number | null, hasTokens: (d: D) => boolean): FrameCloseness {
  const finals = new Map(finalDirs.map((f) => [directionKey(f), f]));
  const sums = new Map<string, { block: number | string | null; sum: number; n: number; undefined: boolean }>();
  const matches = dirs.map((d) => {
    const f = finals.get(directionKey(d));
    if (!f) return null;
    const key = String(d.block);
    let s = sums.get(key);
    if (!s) sums.set(key, (s = { block: d.block, sum: 0, n: 0, undefined: false }));
    if (!hasTokens(d)) s.undefined = true;
    const m = matchesOf(d, f);
    if (m !== null) {
      s.sum += m;
      s.n++;
    }
    return m;
  });
  const order = (b: number | string | null): number => (typeof b === 'number' ? b : b === 'embed' ? -1 : 1e9);
  const perBlock: FrameCloseness['perBlock'] = new Map();
  for (const [key, s] of [...sums.entries()].sort(([, a], [, b]) => order(a.block) - order(b.block))) {
    perBlock.set(key, { block: s.block, value: s.undefined || s.n === 0 ? null : s.sum / s.n });
  }
  const values = [...perBlock.values()].map((b) => b.value);
  const mean = values.length && values.every((v) => v !== null) ? (values as number[]).reduce((a, b) => a + b, 0) / values.length : null;
  return { matches, perBlock, mean };
}

/** Closeness of stored frames (token ids), as `export` writes it. */
export function storedCloseness(dirs: readonly StoredDirection[], finalDirs: readonly StoredDirection[]): FrameCloseness {
  return frameCloseness(dirs, finalDirs, (d, f) => matchesWithFinal(d.top, d.bottom, f.top), (d) => d.top.length > 0);
}

/** The svd_directions.jsonl record of one frame: token strings, matches, closeness per block and mean. */
export function svdDirectionsExportShape(data: Record<string, unknown>, finalData: Record<string, unknown> | null): Record<string, unknown> {
  const dirs = (data.directions as StoredDirection[] | undefined) ?? [];
  const finalDirs = (finalData?.directions as StoredDirection[] | undefined) ?? [];
  const c = storedCloseness(dirs, finalDirs);
  return {
    directions: dirs.map((x, i) => ({ component: x.component, block: x.block, head: x.head, index: x.index, singular_value: x.singular_value, tokens: x.tokens, neg_tokens: x.neg_tokens, matches_final: c.matches[i] ?? null })),
    closeness_per_block: Object.fromEntries([...c.perBlock].map(([k, b]) => [k, b.value])),
    closeness_mean: c.mean,
  };
}

export const svdDirections = {
  id: 'svd-directions',
  label: 'SVD directions',
  units: ['svd-directions'],
  metrics: [],
  frames: [{ kind: SVD_FRAME_KIND, file: 'svd_directions.jsonl', exportShape: (d, ctx) => svdDirectionsExportShape(d, ctx.finalFrame()) }],
  views: ['svd'],
} as const satisfies AnalysisInfo;
