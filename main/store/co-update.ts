// The co-update matrix of a run (main/metrics/co-update.ts), read-side like trajectories.ts: from
// the cached `update_per_step` scalars, per weight matrix or per block, with its clustering
// order. A block's update per step pools its tensors: sqrt(sum of their squared updates), the
// Frobenius norm of the whole block's update (every tensor of a checkpoint shares the step gap).
// Per head (group `head`): the `head-updates` analysis's head_update_per_step of each head's Q, K,
// V rows and O columns (common/analyses/head-updates.ts), pooled the same way per head: a row
// "L3.h5" is head 5 of block 3, sqrt(q^2 + k^2 + v^2 + o^2); under grouped-query attention (fewer
// K/V heads than query heads in the block) a query head's row pools its Q and O and each shared
// K/V head gets its own row "L3.kv1" (K and V), so no K/V change is counted in several rows.
import type { Block, RunInfo } from '../../common/domain';
import type { Response } from '../../common/api';
import { blockLabel, blockOrder } from '../../common/charts/format';
import { coUpdate } from '../metrics/co-update';
import { headRowLabel, parseHeadUpdateTensor } from '../../common/analyses/head-updates';
import { buildScalarGrid } from './grids';
import type { Store } from './store';

export type CoUpdateGroup = 'block' | 'tensor' | 'head';
export type CoUpdateResponse = Response<'coUpdate'>;

interface UnitRow {
  name: string;
  label: string;
  block: Block | null;
  component: string;
  sizes: Array<number | null>;
}

/** sqrt of the sum of squares of several sizes per interval (null where any is unknown). */
function pooled(series: ReadonlyArray<ReadonlyArray<number | null>>, width: number): Array<number | null> {
  return Array.from({ length: width }, (_, j) => {
    let acc = 0;
    for (const s of series) {
      const v = s[j];
      if (v === null || v === undefined || !Number.isFinite(v)) return null;
      acc += v * v;
    }
    return Math.sqrt(acc);
  });
}

/** One row per attention head (per K/V head too under GQA), pooling its slices' update sizes. */
function headRows(store: Store, run: RunInfo): { steps: number[]; rows: UnitRow[] } {
  const grid = buildScalarGrid(store, run, 'head_update_per_step');
  // block -> part -> head -> sizes
  const blocks = new Map<number, Map<string, Map<number, Array<number | null>>>>();
  grid.tensors.forEach((t, i) => {
    const h = parseHeadUpdateTensor(t.tensor);
    if (!h) return;
    if (!blocks.has(h.block)) blocks.set(h.block, new Map());
    const parts = blocks.get(h.block)!;
    if (!parts.has(h.part)) parts.set(h.part, new Map());
    parts.get(h.part)!.set(h.head, grid.values[i]);
  });
  const rows: UnitRow[] = [];
  const width = grid.steps.length;
  for (const [block, parts] of [...blocks].sort((a, b) => a[0] - b[0])) {
    const of = (part: string): Map<number, Array<number | null>> => parts.get(part) ?? new Map();
    const queryHeads = [...new Set([...of('q').keys(), ...of('o').keys()])].sort((a, b) => a - b);
    const kvHeads = [...new Set([...of('k').keys(), ...of('v').keys()])].sort((a, b) => a - b);
    const shared = kvHeads.length < queryHeads.length;
    const row = (head: number, kv: boolean, names: string[]): void => {
      const series = names.map((p) => of(p).get(head)).filter((s): s is Array<number | null> => s !== undefined);
      if (series.length) rows.push({ name: `attn.${block}.${kv ? 'kv' : 'head'}.${head}`, label: headRowLabel(block, head, kv), block, component: kv ? 'attn.kv' : 'attn.head', sizes: pooled(series, width) });
    };
    for (const h of queryHeads) row(h, false, shared ? ['q', 'o'] : ['q', 'k', 'v', 'o']);
    if (shared) for (const h of kvHeads) row(h, true, ['k', 'v']);
  }
  return { steps: grid.steps, rows };
}

/** Rows to correlate: 2-D weights one by one, every tensor of a block pooled, or attention heads. */
function unitRows(store: Store, run: RunInfo, group: CoUpdateGroup): { steps: number[]; rows: UnitRow[] } {
  if (group === 'head') return headRows(store, run);
  const grid = buildScalarGrid(store, run, 'update_per_step');
  const rows: UnitRow[] = [];
  if (group === 'tensor') {
    grid.tensors.forEach((t, i) => {
      if (t.kind !== 'weight' || (t.shape && t.shape.length < 2)) return;
      rows.push({ name: t.tensor, label: typeof t.block === 'number' ? `${blockLabel(t.block)} · ${t.component}` : t.component, block: t.block, component: t.component, sizes: grid.values[i] });
    });
  } else {
    const byBlock = new Map<string, { block: Block | null; sq: Array<number | null> }>();
    grid.tensors.forEach((t, i) => {
      const key = String(t.block);
      let b = byBlock.get(key);
      if (!b) byBlock.set(key, (b = { block: t.block, sq: grid.steps.map(() => 0) }));
      grid.values[i].forEach((v, j) => {
        const acc = b.sq[j];
        b.sq[j] = acc === null || v === null || !Number.isFinite(v) ? null : acc + v * v;
      });
    });
    for (const b of byBlock.values()) {
      rows.push({ name: String(b.block), label: blockLabel(b.block), block: b.block, component: '', sizes: b.sq.map((s) => (s === null ? null : Math.sqrt(s))) });
    }
  }
  rows.sort((a, b) => blockOrder(a.block) - blockOrder(b.block) || (a.component < b.component ? -1 : a.component > b.component ? 1 : 0));
  return { steps: grid.steps, rows };
}

export function runCoUpdate(store: Store, run: RunInfo, group: CoUpdateGroup = 'block', removeCommon = true): CoUpdateResponse {
  const { steps, rows } = unitRows(store, run, group);
  const r = coUpdate({ sizes: rows.map((x) => x.sizes), removeCommon });
  const kept = r.units.map((u) => rows[u]);
  return {
    runId: run.id,
    group,
    removeCommon,
    names: kept.map((x) => x.name),
    labels: kept.map((x) => x.label),
    blocks: kept.map((x) => x.block),
    components: kept.map((x) => x.component),
    steps: r.intervals.map((k) => steps[k]),
    matrix: Array.from(r.matrix, (v) => (Number.isFinite(v) ? v : null)),
    order: r.order,
    dropped: r.dropped.map((u) => rows[u].name),
  };
}
