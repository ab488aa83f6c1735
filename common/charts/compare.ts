// Comparing runs: the one per-run colour function (a run's colour is a property of the run: a
// palette slot assigned once when the run enters the library and stored in the cache,
// main/store/run-colours.ts; runStyles turns the shown runs' slots into colours, and every view
// and every export calls it, so a run keeps its colour across tabs, files and comparisons), seed
// groups (runs whose names differ only by a seed: drawn as a mean line with a min-max or +-1
// standard deviation band), and A - B difference grids for the diverging heatmaps.
// Hand-written: a dozen lines of arithmetic on arrays; no charting library offers "align two
// checkpoint series by step and subtract".
import type { ScalarGrid } from '../api';
import { panelsFromGrid, type HeatmapPanel } from './heatmap';
import type { MetricLike } from './types';

/**
 * Paul Tol's "muted" qualitative scheme (https://personal.sron.nl/~pault/, 9 colours designed to
 * stay distinct under the common colour-vision deficiencies and against white), in an order that
 * keeps neighbours far apart. Slots 9 onwards reuse the colours with a dashed then dotted line.
 */
export const RUN_COLOURS = ['#332288', '#CC6677', '#117733', '#DDCC77', '#88CCEE', '#882255', '#44AA99', '#999933', '#AA4499'] as const;
export const RUN_LINE_TYPES = ['solid', 'dashed', 'dotted'] as const;
/** The colours' names in Paul Tol's description of the scheme, for the colour picker. */
export const RUN_COLOUR_NAMES = ['indigo', 'rose', 'green', 'sand', 'cyan', 'wine', 'teal', 'olive', 'purple'] as const;
/** Distinct run styles (colour x line type): a run's colour slot is one of 0 .. RUN_SLOTS - 1. */
export const RUN_SLOTS = RUN_COLOURS.length * RUN_LINE_TYPES.length;

export interface RunStyle {
  colour: string;
  line: (typeof RUN_LINE_TYPES)[number];
}

/** The colour of colour slot i. */
export function runColour(i: number): string {
  const n = RUN_COLOURS.length;
  return RUN_COLOURS[((i % n) + n) % n];
}

/** "rose, dashed": how the colour picker names slot i. */
export function runStyleName(i: number): string {
  const s = runStyle(i);
  return `${RUN_COLOUR_NAMES[RUN_COLOURS.indexOf(s.colour as (typeof RUN_COLOURS)[number])]}, ${s.line}`;
}

/** Colour and line type of colour slot i: distinct for 27 slots (9 colours x 3 line types). */
export function runStyle(i: number): RunStyle {
  return { colour: runColour(i), line: RUN_LINE_TYPES[Math.floor(Math.max(0, i) / RUN_COLOURS.length) % RUN_LINE_TYPES.length] };
}

/**
 * The slot a run entering the library gets: the one fewest library runs hold (the lowest of
 * those), so the first 27 runs all differ and a large library spreads evenly over the slots.
 */
export function nextColourSlot(used: Iterable<number>): number {
  const count = new Array<number>(RUN_SLOTS).fill(0);
  for (const s of used) if (Number.isInteger(s) && s >= 0 && s < RUN_SLOTS) count[s]++;
  let best = 0;
  for (let s = 1; s < RUN_SLOTS; s++) if (count[s] < count[best]) best = s;
  return best;
}

/**
 * The styles of runs shown together (the page's run first), keyed by run id: each run's own
 * slot. Only when two shown runs hold the same slot (a library of more than 27 runs, or a slot
 * the user chose) does the later one take the next slot no shown run holds as its own: a run
 * whose slot no other shown run holds always keeps it, so adding or removing other runs never
 * changes its colour. A run without a slot (none stored) takes a free one the same way.
 */
export function runStyles(runs: ReadonlyArray<{ id: string; colourSlot?: number | null }>): Map<string, RunStyle & { slot: number }> {
  const own = new Set(runs.map((r) => r.colourSlot).filter((s): s is number => typeof s === 'number'));
  const taken = new Set<number>();
  const out = new Map<string, RunStyle & { slot: number }>();
  for (const r of runs) {
    if (out.has(r.id)) continue;
    let slot = typeof r.colourSlot === 'number' ? r.colourSlot : -1;
    if (slot < 0 || taken.has(slot)) {
      // The next slot after the wanted one that no shown run holds as its own or was given.
      const start = slot < 0 ? 0 : slot + 1;
      let k = 0;
      while (k < RUN_SLOTS && (taken.has((start + k) % RUN_SLOTS) || own.has((start + k) % RUN_SLOTS))) k++;
      slot = k < RUN_SLOTS ? (start + k) % RUN_SLOTS : (start % RUN_SLOTS);
    }
    taken.add(slot);
    out.set(r.id, { ...runStyle(slot), slot });
  }
  return out;
}

const SEED = /[-_.]?seed[-_]?(\d+)/i;

/** The seed a run's name carries ("pythia-160m-seed3" -> 3), or null. */
export function seedOf(name: string): number | null {
  const m = SEED.exec(name);
  return m ? Number(m[1]) : null;
}

/** The name with its seed removed: runs that share it are one seed group. */
export function seedGroupKey(name: string): string {
  return name.replace(SEED, '');
}

export interface RunGroup {
  /** The shared name without the seed ("pythia-160m"). */
  key: string;
  /** Member run ids in the order given. */
  members: string[];
}

/**
 * Seed groups among runs: runs whose names agree once the seed is removed, at least one of them
 * naming a seed (PolyPythia's "pythia-160m" is seed 0 of "pythia-160m-seedN"). Runs in no group
 * are their own singleton group, so the result covers every run once, in first-seen order.
 */
export function seedGroups(runs: ReadonlyArray<{ id: string; name: string }>): RunGroup[] {
  const byKey = new Map<string, { members: string[]; seeded: boolean }>();
  for (const r of runs) {
    const key = seedGroupKey(r.name);
    const g = byKey.get(key) ?? { members: [], seeded: false };
    g.members.push(r.id);
    g.seeded ||= seedOf(r.name) !== null;
    byKey.set(key, g);
  }
  const out: RunGroup[] = [];
  for (const [key, g] of byKey) {
    if (g.seeded && g.members.length > 1) out.push({ key, members: g.members });
    else for (const id of g.members) out.push({ key: runs.find((r) => r.id === id)!.name, members: [id] });
  }
  return out;
}

export type BandKind = 'minmax' | 'std';

export interface Band {
  steps: number[];
  mean: Array<number | null>;
  lower: Array<number | null>;
  upper: Array<number | null>;
  /** How many members had a value at each step. */
  count: number[];
}

/**
 * Mean and band of several series at every step any of them has (members without a value at a
 * step are left out of that step, or with `complete` the step is left out). 'minmax': the
 * members' range; 'std': mean +- the sample standard deviation (n - 1; 0 for a single value).
 */
export function bandOf(series: ReadonlyArray<{ steps: readonly number[]; values: ReadonlyArray<number | null> }>, kind: BandKind, options: { complete?: boolean } = {}): Band {
  const at = new Map<number, number[]>();
  for (const s of series) {
    s.steps.forEach((step, i) => {
      const v = s.values[i];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const list = at.get(step) ?? [];
      list.push(v);
      at.set(step, list);
    });
  }
  // complete: only the steps every series has a value at (a seed group's mean must not jump
  // where a member has no checkpoint).
  const steps = [...at.keys()].filter((s) => !options.complete || at.get(s)!.length === series.length).sort((a, b) => a - b);
  const band: Band = { steps, mean: [], lower: [], upper: [], count: [] };
  for (const step of steps) {
    const vs = at.get(step)!;
    const n = vs.length;
    const mean = vs.reduce((a, b) => a + b, 0) / n;
    band.mean.push(mean);
    band.count.push(n);
    if (kind === 'minmax') {
      band.lower.push(Math.min(...vs));
      band.upper.push(Math.max(...vs));
    } else {
      const sd = n > 1 ? Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
      band.lower.push(mean - sd);
      band.upper.push(mean + sd);
    }
  }
  return band;
}

/**
 * A - B of two runs' grids of one metric: the tensors both have (by name, in A's order) at the
 * steps both have (checkpoints matched by step; a checkpoint without a step by its id). The
 * result is a grid of A's run id, so it draws with the ordinary heatmap functions.
 */
export function differenceGrid(a: ScalarGrid, b: ScalarGrid): ScalarGrid {
  const key = (grid: ScalarGrid, c: number) => (Number.isFinite(grid.steps[c]) ? `s${grid.steps[c]}` : `c${grid.checkpointIds[c]}`);
  const bColumn = new Map<string, number>();
  b.checkpointIds.forEach((_, c) => bColumn.set(key(b, c), c));
  const columns: Array<[number, number]> = [];
  a.checkpointIds.forEach((_, c) => {
    const j = bColumn.get(key(a, c));
    if (j !== undefined) columns.push([c, j]);
  });
  const bRow = new Map(b.tensors.map((t, i) => [t.tensor, i]));
  const tensors: ScalarGrid['tensors'] = [];
  const values: ScalarGrid['values'] = [];
  a.tensors.forEach((t, i) => {
    const j = bRow.get(t.tensor);
    if (j === undefined) return;
    tensors.push(t);
    values.push(
      columns.map(([ca, cb]) => {
        const x = a.values[i]?.[ca];
        const y = b.values[j]?.[cb];
        return x === null || x === undefined || y === null || y === undefined || !Number.isFinite(x) || !Number.isFinite(y) ? null : x - y;
      }),
    );
  });
  return { runId: a.runId, metric: a.metric, steps: columns.map(([c]) => a.steps[c]), checkpointIds: columns.map(([c]) => a.checkpointIds[c]), tensors, values };
}

/** The metric as a difference heatmap names it: "Δ Frobenius norm (A − B)", never log-coloured. */
export function differenceMetric(metric: MetricLike): MetricLike {
  return { ...metric, label: `Δ ${metric.label} (A − B)`, logScale: false };
}

/** Panels of A − B ("A − B" as their run name) for a diverging heatmap (colourScaleFor(..., { mode: 'diverging' })). */
export function differencePanels(a: { grid: ScalarGrid; runName: string }, b: { grid: ScalarGrid; runName: string }, metric: MetricLike): HeatmapPanel[] {
  return panelsFromGrid(differenceGrid(a.grid, b.grid), `${a.runName} − ${b.runName}`, differenceMetric(metric));
}
