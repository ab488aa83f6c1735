// Splitting one sweep across N independent processes (`analyze --shard i/N`: Slurm array tasks,
// Kubernetes Indexed Job pods). The split must be the same in every process without any talk
// between them, so it is a pure function of the plan: every process scans the same folders,
// plans the same units, and assigns them with the same deterministic longest-processing-time
// rule (largest estimated cost first, each to the least loaded shard, ties to the lower index).
// Cost, not count: a unit's estimated seconds come from the same work model as the estimate shown
// before a sweep (main/jobs/estimate.ts; spectra grow as r*c*min(r,c), statistics as elements),
// scaled by the checkpoint's bytes on disk; `weights` also streams the init and previous
// checkpoints. Each phase (first: everything but histograms; second:
// histograms, which wait for every checkpoint's statistics) is balanced on its own, so no shard
// idles long at the barrier between them.
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { AnalysisKind } from '../../common/api';
import type { ModelConfig, RunInfo } from '../../common/domain';
import type { PlannedUnit, UnitName } from './plan';
import { unitDescriptor } from './units';
import { DEFAULT_CALIBRATION, fixedCost, unitWork } from './estimate';
import type { Probe, RunShapes } from './cost';

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
 * What a unit's cost depends on: the run's shapes (one checkpoint's headers, as the estimate
 * before a sweep reads them: main/jobs/estimate-run.ts) and, per checkpoint, its bytes on disk
 * relative to the checkpoint whose shapes were read (a series whose later checkpoints are larger).
 */
export interface CostInputs {
  shapes: RunShapes | null;
  config: ModelConfig | null;
  probe?: Probe;
  bytesOf: (checkpointId: string) => number;
  /** Bytes of the checkpoint the shapes came from (0: unknown, every checkpoint counts the same). */
  shapesBytes: number;
}

/**
 * Estimated core-seconds of one unit: the estimate's model (main/jobs/estimate.ts: fixed seconds
 * + rate x work) with its DEFAULT rates, never this machine's calibration, so that every node of
 * a cluster computes the same split. `weights` also streams the init and previous checkpoints.
 */
export function unitCost(p: PlannedUnit, c: CostInputs): number {
  const base = fixedCost(p.unit).seconds + (c.shapes ? DEFAULT_CALIBRATION[p.unit].rate * unitWork(p.unit, c.shapes, c.probe, c.config) : 0);
  const scale = (id: string): number => (c.shapesBytes > 0 ? c.bytesOf(id) / c.shapesBytes : 1);
  let cost = base * scale(p.checkpoint.id);
  if (p.unit === 'weights') {
    if (p.checkpoint.id !== p.init.id) cost += 0.5 * base * scale(p.init.id);
    if (p.prev && p.prev.id !== p.init.id) cost += 0.5 * base * scale(p.prev.id);
  }
  return cost;
}

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

/** Bytes on disk of a checkpoint's weight files (cached per call of the planner). */
export function checkpointBytesOf(run: RunInfo): (id: string) => number {
  const sizes = new Map<string, number>();
  return (id: string): number => {
    let v = sizes.get(id);
    if (v === undefined) {
      const c = run.checkpoints.find((x) => x.id === id);
      sizes.set(id, (v = c ? checkpointBytes(c.folder, c.weightFiles) : 0));
    }
    return v;
  };
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
export function assignShards(planned: readonly PlannedUnit[], count: number, costs: CostInputs): ShardAssignment {
  const shardOf = new Array<number>(planned.length).fill(0);
  const load = new Array<number>(count).fill(0);
  const cost = planned.map((p) => unitCost(p, costs));
  for (const second of [false, true]) {
    const phaseLoad = new Array<number>(count).fill(0);
    const items = planned
      .map((_, i) => ({ i, cost: cost[i] }))
      .filter(({ i }) => !!unitDescriptor(planned[i].unit).needsRunParams === second);
    // Largest first; equal costs keep plan order (stable sort), so the split never depends on timing.
    items.sort((a, b) => b.cost - a.cost || a.i - b.i);
    for (const it of items) {
      let best = 0;
      for (let s = 1; s < count; s++) if (phaseLoad[s] < phaseLoad[best]) best = s;
      shardOf[it.i] = best;
      phaseLoad[best] += it.cost;
      load[best] += it.cost;
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
  const units = planned.map((p, i): [string, UnitName, number, number] => [p.checkpoint.id, p.unit, assignment.shardOf[i], Math.round(assignment.cost[i] * 1000) / 1000]);
  const unitVersions: Record<string, number> = {};
  for (const p of planned) unitVersions[p.unit] = unitDescriptor(p.unit).version;
  return { count, analyses: [...analyses], unitVersions, units };
}
