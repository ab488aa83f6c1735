// SVD directions through the unembedding: table rows for one (block, component, head) at one
// checkpoint, and "closeness to final" per block and averaged, over training. Closeness itself is
// defined once in common/analyses/svd-directions.ts (the exporter calls the same functions).
import { directionKey, frameCloseness, matchesWithFinal as listMatches } from '../analyses/svd-directions';
import type { Block } from '../domain';
import { blockLabel, blockOrder } from './format';
import { FrameShapeError } from './frames';
import { visibleToken } from './tokens';

export interface SvdDirection {
  component: string;
  block: Block | null;
  head: number | null;
  /** 0-based rank of the direction. */
  index: number;
  singularValue: number | null;
  /** Top tokens of +v through the unembedding (decoded strings). */
  tokens: string[];
  /** Top tokens of -v, when the engine provides them. */
  negTokens: string[];
  /** Token ids behind `tokens` / `negTokens` (the engine stores them as `top` / `bottom`). */
  topIds: number[] | null;
  bottomIds: number[] | null;
}

export interface SvdDirectionsFrame {
  directions: SvdDirection[];
}

const asBlock = (v: unknown): Block | null =>
  typeof v === 'number' || v === 'embed' || v === 'final' || v === 'unembed' ? (v as Block) : null;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map((t) => String(t)) : []);
const ids = (v: unknown): number[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null);

export function asSvdDirectionsFrame(v: unknown): SvdDirectionsFrame | null {
  if (v === null || v === undefined) return null;
  const o = v as { directions?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.directions)) throw new FrameShapeError('svd_directions', 'needs an array directions');
  return {
    directions: o.directions.map((raw, i) => {
      const d = raw as Record<string, unknown>;
      return {
        component: String(d.component ?? 'mlp.out'),
        block: asBlock(d.block),
        head: typeof d.head === 'number' ? d.head : null,
        index: typeof d.index === 'number' ? d.index : i,
        singularValue: typeof d.singular_value === 'number' ? d.singular_value : typeof d.singularValue === 'number' ? d.singularValue : null,
        tokens: strings(d.tokens),
        negTokens: strings(d.neg_tokens ?? d.negTokens),
        topIds: ids(d.top),
        bottomIds: ids(d.bottom),
      };
    }),
  };
}

export { directionKey };

/**
 * Matches with the final checkpoint's direction (common/analyses/svd-directions.ts): token ids
 * when both sides have them (two ids can decode to the same string), else the decoded strings.
 */
export function matchesWithFinal(d: SvdDirection, final: SvdDirection): number | null {
  if (d.topIds && final.topIds) return listMatches(d.topIds, d.bottomIds ?? [], final.topIds);
  return listMatches(d.tokens, d.negTokens, final.tokens);
}

/** The table for one block/component/head at one checkpoint, by direction index. */
export function svdTableRows(frame: SvdDirectionsFrame, filter: { block: Block | null; component: string; head?: number | null }): SvdDirection[] {
  return frame.directions
    .filter((d) => d.block === filter.block && d.component === filter.component && (filter.head === undefined || d.head === (filter.head ?? null)))
    .sort((a, b) => a.index - b.index);
}

/** The (block, component, head) groups present in a frame, by depth. */
export function svdGroups(frame: SvdDirectionsFrame): Array<{ block: Block | null; component: string; head: number | null; label: string }> {
  const seen = new Map<string, { block: Block | null; component: string; head: number | null; label: string }>();
  for (const d of frame.directions) {
    const key = `${String(d.block)}|${d.component}|${d.head ?? ''}`;
    if (!seen.has(key)) {
      seen.set(key, { block: d.block, component: d.component, head: d.head, label: `${blockLabel(d.block)} · ${d.component}${d.head === null ? '' : ` head ${d.head}`}` });
    }
  }
  return [...seen.values()].sort((a, b) => blockOrder(a.block) - blockOrder(b.block) || a.component.localeCompare(b.component) || (a.head ?? -1) - (b.head ?? -1));
}

export interface Closeness {
  /** Mean matches per direction, per block (key = blockLabel), one value per frame (null = no data). */
  perBlock: Map<string, { block: Block | null; values: Array<number | null> }>;
  /** The mean of the block means, per frame. */
  average: Array<number | null>;
}

/** Closeness to the final frame (the last non-null one) for every frame. */
export function closenessToFinal(frames: ReadonlyArray<SvdDirectionsFrame | null>): Closeness {
  const final = [...frames].reverse().find((f) => f !== null) ?? null;
  const perBlock: Closeness['perBlock'] = new Map();
  const average = frames.map((f, i) => {
    if (!f || !final) return null;
    const c = frameCloseness(f.directions, final.directions, matchesWithFinal, (d) => (d.topIds ?? d.tokens).length > 0);
    for (const { block, value } of c.perBlock.values()) {
      const b = block as Block | null;
      const key = blockLabel(b);
      const entry = perBlock.get(key) ?? { block: b, values: new Array<number | null>(frames.length).fill(null) };
      entry.values[i] = value;
      perBlock.set(key, entry);
    }
    return c.mean;
  });
  return { perBlock, average };
}

/**
 * A token as the SVD table shows it: as every token view does (common/charts/tokens.ts
 * visibleToken), whitespace made visible ("␣the", "↵", "⇥"; a leading space is most of what tells
 * BPE pieces apart) and other control characters escaped, so that every token is a visible chip.
 * Quotes and backslashes stay as they are (the engine already writes partial UTF-8 bytes as \xNN).
 */
export function tokenForDisplay(token: string): string {
  return visibleToken(token);
}
