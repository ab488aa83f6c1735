// The co-update matrix of a run (main/metrics/co-update.ts), read-side like trajectories.ts: from
// the cached `update_per_step` scalars, per weight matrix or per block, with its clustering
// order. A block's update per step pools its tensors: sqrt(sum of their squared updates), the
// Frobenius norm of the whole block's update (every tensor of a checkpoint shares the step gap).
// Per-head update sizes are not cached (the weights unit measures whole tensors), so there is no
// head grouping yet.
import type { Block, RunInfo } from '../../common/domain';
import type { Response } from '../../common/api';
import { blockLabel, blockOrder } from '../../common/charts/format';
import { coUpdate } from '../metrics/co-update';
import { buildScalarGrid } from './grids';
import type { Store } from './store';

export type CoUpdateGroup = 'block' | 'tensor';
export type CoUpdateResponse = Response<'coUpdate'>;

interface UnitRow {
  name: string;
  label: string;
  block: Block | null;
  component: string;
  sizes: Array<number | null>;
}

/** Rows to correlate: 2-D weights one by one, or every tensor of a block pooled. */
function unitRows(store: Store, run: RunInfo, group: CoUpdateGroup): { steps: number[]; rows: UnitRow[] } {
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
