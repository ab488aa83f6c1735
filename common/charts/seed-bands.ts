// Seed groups of a comparison as grids: each group of runs that differ only by their seed
// (common/charts/compare.ts seedGroups) becomes three grids of the metric, the members' mean and
// the band's lower and upper bounds (bandOf: min-max or mean +- 1 sd), per tensor at the steps
// every member has. One code path for every place that draws or writes a seed band: the Curves
// view and its export draw lines from the mean grid and bands from the bounds
// (compare-curves.ts), the Overview colours a group's cells by the mean and reads the band on
// hover (renderer/src/views/overview/layout.ts), the comparison exports write and draw the same
// grids (main/export/compare.ts).
import type { ScalarGrid, TensorMeta } from '../api';
import { bandOf, seedGroups, type BandKind } from './compare';

export interface GroupRun {
  runId: string;
  runName: string;
  grid: ScalarGrid;
}

export interface SeedGroupGrids {
  /** The name shared by the members once the seed is removed ("pythia-160m"). */
  key: string;
  /** How the group is named in views and files: "pythia-160m (mean of 3 seeds)". */
  name: string;
  /** Member run ids in shown order; the grids carry the first one's run id and checkpoint ids. */
  members: string[];
  band: BandKind;
  mean: ScalarGrid;
  lower: ScalarGrid;
  upper: ScalarGrid;
  /** count[t][c]: members averaged in that cell. */
  count: number[][];
}

/** "pythia-160m (mean of 3 seeds)". */
export function seedGroupName(key: string, members: number): string {
  return `${key} (mean of ${members} seeds)`;
}

/**
 * The mean and band grids of one group of runs. Tensors: every member's, in first-seen order;
 * for a tensor every member has, only the steps every member has a value at are kept (a mean must
 * not jump where a member has no checkpoint); a tensor some member lacks is averaged over those
 * that have it. Columns: the union of those steps, ascending; a cell no mean exists for is null.
 */
export function groupGrids(key: string, members: readonly GroupRun[], band: BandKind): SeedGroupGrids {
  const tensors: TensorMeta[] = [];
  const seen = new Set<string>();
  for (const m of members) for (const t of m.grid.tensors) if (!seen.has(t.tensor)) (seen.add(t.tensor), tensors.push(t));
  const bands = tensors.map((t) => {
    const series = members.flatMap((m) => {
      const row = m.grid.tensors.findIndex((x) => x.tensor === t.tensor);
      return row < 0 ? [] : [{ steps: m.grid.steps, values: m.grid.values[row] ?? [] }];
    });
    return bandOf(series, band, { complete: series.length === members.length });
  });
  const steps = [...new Set(bands.flatMap((b) => b.steps))].sort((a, b) => a - b);
  const column = new Map(steps.map((s, c) => [s, c]));
  const first = members[0].grid;
  const firstColumn = new Map(first.steps.map((s, c) => [s, c]));
  const checkpointIds = steps.map((s) => {
    const c = firstColumn.get(s);
    return c === undefined ? `step ${s}` : first.checkpointIds[c];
  });
  const empty = () => tensors.map(() => steps.map((): number | null => null));
  const mean = empty();
  const lower = empty();
  const upper = empty();
  const count = tensors.map(() => steps.map(() => 0));
  bands.forEach((b, t) => {
    b.steps.forEach((s, i) => {
      const c = column.get(s)!;
      mean[t][c] = b.mean[i];
      lower[t][c] = b.lower[i];
      upper[t][c] = b.upper[i];
      count[t][c] = b.count[i];
    });
  });
  const grid = (values: Array<Array<number | null>>): ScalarGrid => ({ runId: first.runId, metric: first.metric, steps, checkpointIds, tensors, values });
  return { key, name: seedGroupName(key, members.length), members: members.map((m) => m.runId), band, mean: grid(mean), lower: grid(lower), upper: grid(upper), count };
}

/**
 * The runs of a comparison with seed groups folded: in shown order, a run outside any group as
 * itself, a group (two or more members) once, at its first member's place.
 */
export function foldSeedGroups<R extends GroupRun>(runs: readonly R[], band: BandKind): Array<{ run: R; group: null } | { run: R; group: SeedGroupGrids }> {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  return seedGroups(runs.map((r) => ({ id: r.runId, name: r.runName }))).map((g) => {
    const members = g.members.map((id) => byId.get(id)!);
    return members.length < 2 ? { run: members[0], group: null } : { run: members[0], group: groupGrids(g.key, members, band) };
  });
}
