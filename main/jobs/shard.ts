// Splitting one sweep across N independent processes (`analyze --shard i/N`: Slurm array tasks,
// Kubernetes Indexed Job pods). The split must be the same in every process without any talk
// between them, so it is a pure function of the plan: every process scans the same folders,
// plans the same units, and assigns them with the same deterministic longest-processing-time
// rule (largest estimated cost first, each to the least loaded shard, ties to the lower index).
// Cost, not count: a unit's estimated seconds are its checkpoint's bytes on disk times a
// per-unit factor measured on this machine (docs/SCALE.md), and `weights` also streams the
// init and previous checkpoints. Each phase (first: everything but histograms; second:
// histograms, which wait for every checkpoint's statistics) is balanced on its own, so no shard
// idles long at the barrier between them.
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { AnalysisKind } from '../../common/api';
import type { RunInfo } from '../../common/domain';
import type { PlannedUnit, UnitName } from './plan';
import { unitDescriptor } from './units';

export interface ShardSpec {
  index: number;
  count: number;
}

/** `i/N` with 0 <= i < N; the error says what was wrong. */
export function parseShardSpec(text: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--shard must look like i/N (e.g. 3/8), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 100000) throw new Error(`--shard ${text}: N must be 1..100000`);
  if (index >= count) throw new Error(`--shard ${text}: i must be 0..${count - 1}`);
  return { index, count };
}

/** The file a shard writes: `shard-<i>-of-<N>.sqlite` (the sbatch and Kubernetes templates use it). */
export function shardFileName(spec: ShardSpec, ext = 'sqlite'): string {
  return `shard-${spec.index}-of-${spec.count}.${ext}`;
}

export const SHARD_FILE_RE = /^shard-(\d+)-of-(\d+)\.sqlite$/;

/**
 * Seconds per GiB of checkpoint read, per unit, on one core of this machine (bench/shard.mjs
 * and docs/SCALE.md measure them). Only the ratios matter for balancing; SCALE.md uses the
 * absolute values for its cost model. `weights` is per GiB of each checkpoint it streams.
 */
export const UNIT_SECONDS_PER_GIB: Record<UnitName, number> = {
  weights: 9,
  histogram: 4,
  fits: 6,
  spectra: 40,
  embedding: 8,
  'svd-directions': 30,
  activations: 25,
  gradients: 60,
};

function checkpointBytes(folder: string, files: string[]): number {
  let total = 0;
  for (const f of files) {
    try {
      total += statSync(isAbsolute(f) ? f : join(folder, f)).size;
    } catch {
      // An unreadable file costs what the unit will find out; count it as empty.
    }
  }
  return total;
}

/** Estimated seconds of one unit (deterministic from the files on disk). */
export function unitCost(p: PlannedUnit, bytesOf: (id: string) => number): number {
  const gib = (id: string): number => bytesOf(id) / 2 ** 30;
  let cost = UNIT_SECONDS_PER_GIB[p.unit] * gib(p.checkpoint.id);
  // Distances to init and previous stream both reference checkpoints in full.
  if (p.unit === 'weights') {
    if (p.checkpoint.id !== p.init.id) cost += UNIT_SECONDS_PER_GIB.weights * gib(p.init.id) * 0.5;
    if (p.prev && p.prev.id !== p.init.id) cost += UNIT_SECONDS_PER_GIB.weights * gib(p.prev.id) * 0.5;
  }
  // A fixed floor so that empty or unreadable checkpoints still spread across shards.
  return cost + 1e-3;
}

export interface ShardAssignment {
  /** Shard index of every planned unit, in the order of `planned`. */
  shardOf: number[];
  /** Estimated seconds per shard (both phases). */
  load: number[];
  /** Estimated seconds of every planned unit. */
  cost: number[];
}

/** Deterministic cost-balanced split of a run's planned units over `count` shards. */
export function assignShards(run: RunInfo, planned: readonly PlannedUnit[], count: number, bytesOf?: (id: string) => number): ShardAssignment {
  const sizes = new Map<string, number>();
  const bytes =
    bytesOf ??
    ((id: string): number => {
      let v = sizes.get(id);
      if (v === undefined) {
        const c = run.checkpoints.find((x) => x.id === id);
        sizes.set(id, (v = c ? checkpointBytes(c.folder, c.weightFiles) : 0));
      }
      return v;
    });
  const shardOf = new Array<number>(planned.length).fill(0);
  const load = new Array<number>(count).fill(0);
  const cost = planned.map((p) => unitCost(p, bytes));
  for (const second of [false, true]) {
    const phaseLoad = new Array<number>(count).fill(0);
    const items = planned
      .map((_, i) => ({ i, cost: cost[i]! }))
      .filter(({ i }) => !!unitDescriptor(planned[i]!.unit).needsRunParams === second);
    // Largest first; equal costs keep plan order (stable sort), so the split never depends on timing.
    items.sort((a, b) => b.cost - a.cost || a.i - b.i);
    for (const it of items) {
      let best = 0;
      for (let s = 1; s < count; s++) if (phaseLoad[s]! < phaseLoad[best]!) best = s;
      shardOf[it.i] = best;
      phaseLoad[best]! += it.cost;
      load[best]! += it.cost;
    }
  }
  return { shardOf, load, cost };
}

/** What every shard of a sweep stores about the whole sweep (merge and status read it). */
export interface ShardPlanRecord {
  count: number;
  analyses: AnalysisKind[];
  unitVersions: Record<string, number>;
  /** [checkpointId, unit, shard index, estimated seconds] for every unit of the sweep. */
  units: Array<[string, UnitName, number, number]>;
}

export function shardPlanRecord(planned: readonly PlannedUnit[], assignment: ShardAssignment, count: number, analyses: AnalysisKind[]): ShardPlanRecord {
  const units = planned.map((p, i): [string, UnitName, number, number] => [p.checkpoint.id, p.unit, assignment.shardOf[i]!, Math.round(assignment.cost[i]! * 1000) / 1000]);
  const unitVersions: Record<string, number> = {};
  for (const p of planned) unitVersions[p.unit] = unitDescriptor(p.unit).version;
  return { count, analyses: [...analyses], unitVersions, units };
}
