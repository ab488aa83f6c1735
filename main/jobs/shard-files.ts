// The small files that shards of one sweep leave beside their caches in the shared OUT_DIR:
//   shard-<i>-of-<N>.extents.json  every statistic the run-wide parameters need (per tensor and
//                                  checkpoint [min, max]) for the checkpoints shard i owns; the
//                                  histogram phase of every shard reads all N of them, so the
//                                  bins are exactly those one process would fix
//   shard-<i>-of-<N>.status.json   progress (units done/total, ETA, failures) for `status OUT_DIR`
// Plain JSON written to a temporary name and renamed: atomic on local and parallel filesystems,
// whereas SQLite's WAL must never be shared between nodes (it relies on shared memory), so no
// process ever opens another shard's cache while that shard runs.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { JobState } from '../../common/api';
import { mergeExtents, type RunExtents } from './run-params';
import { shardFileName, type ShardSpec } from './shard';

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

interface ExtentsFile {
  index: number;
  count: number;
  runs: Record<string, { planHash: string; extents: RunExtents }>;
}

export type GatherResult = { kind: 'ready'; extents: RunExtents } | { kind: 'missing'; shards: number[]; files: string[] };

/** Hands run-wide statistics between the shards of a sweep through the shared folder. */
export class ShardExchange {
  constructor(
    readonly dir: string,
    readonly spec: ShardSpec,
  ) {}

  file(index: number): string {
    return join(this.dir, shardFileName({ index, count: this.spec.count }, 'extents.json'));
  }

  /** Called once this shard's statistics of the run are all stored (or failed for good). */
  publish(runId: string, planHash: string, extents: RunExtents): void {
    const path = this.file(this.spec.index);
    const current = readJson<ExtentsFile>(path);
    const runs = current && current.count === this.spec.count ? current.runs : {};
    runs[runId] = { planHash, extents };
    writeJsonAtomic(path, { index: this.spec.index, count: this.spec.count, runs } satisfies ExtentsFile);
  }

  /** Every shard's statistics of the run for this plan, or which shards have not published yet. */
  gatherOnce(runId: string, planHash: string): GatherResult {
    const parts: RunExtents[] = [];
    const missing: number[] = [];
    for (let i = 0; i < this.spec.count; i++) {
      const f = readJson<ExtentsFile>(this.file(i));
      const entry = f?.runs?.[runId];
      if (!entry || entry.planHash !== planHash) missing.push(i);
      else parts.push(entry.extents);
    }
    if (missing.length) return { kind: 'missing', shards: missing, files: missing.map((i) => this.file(i)) };
    return { kind: 'ready', extents: mergeExtents(parts) };
  }

  /** Polls for up to `waitSeconds` (0: look once). */
  async gather(runId: string, planHash: string, waitSeconds: number, cancelled: () => boolean): Promise<GatherResult> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const got = this.gatherOnce(runId, planHash);
      if (got.kind === 'ready' || Date.now() >= deadline || cancelled()) return got;
      await new Promise((r) => setTimeout(r, Math.min(2000, Math.max(50, deadline - Date.now()))));
    }
  }
}

export interface ShardStatusFile {
  index: number;
  count: number;
  host: string;
  pid: number;
  /** running | waiting (for other shards' statistics) | done | failed | cancelled */
  state: string;
  done: number;
  total: number;
  skipped: number;
  failed: number;
  etaSeconds: number | null;
  startedAt: number;
  updatedAt: number;
  failures: string[];
  error: string | null;
  /** Units of every shard of the sweep (from the plan all shards share), for shards not started yet. */
  sweepTotals: number[];
}

export function shardStatusPath(dir: string, spec: ShardSpec): string {
  return join(dir, shardFileName(spec, 'status.json'));
}

/** Keeps `shard-<i>-of-<N>.status.json` current (at most once a second, and at the end). */
export class ShardStatusWriter {
  private last = 0;
  private readonly startedAt = Date.now();
  private readonly sweepTotals = new Map<string, number[]>();
  private readonly finished: Array<{ done: number; total: number; skipped: number; failed: number; warnings: string[] }> = [];

  constructor(
    readonly path: string,
    readonly spec: ShardSpec,
  ) {}

  /** The whole sweep's split of one run (its plan's unit count per shard). */
  addPlan(runId: string, units: ReadonlyArray<readonly [string, string, number, number]>): void {
    if (this.sweepTotals.has(runId)) return;
    const totals = new Array<number>(this.spec.count).fill(0);
    for (const [, , s] of units) totals[s] = (totals[s] ?? 0) + 1;
    this.sweepTotals.set(runId, totals);
  }

  hasPlan(runId: string): boolean {
    return this.sweepTotals.has(runId);
  }

  /** One run's job has ended (an analyze call may cover several runs). */
  runEnded(job: JobState): void {
    this.finished.push({ done: job.done, total: job.total, skipped: job.skipped, failed: job.failed, warnings: job.warnings });
  }

  update(job: JobState | null, state: string, force = false, error: string | null = null): void {
    const now = Date.now();
    if (!force && now - this.last < 1000) return;
    this.last = now;
    const all = [...this.finished, ...(job ? [{ done: job.done, total: job.total, skipped: job.skipped, failed: job.failed, warnings: job.warnings }] : [])];
    const sum = (k: 'done' | 'total' | 'skipped' | 'failed'): number => all.reduce((a, j) => a + j[k], 0);
    const status: ShardStatusFile = {
      index: this.spec.index,
      count: this.spec.count,
      host: hostname(),
      pid: process.pid,
      state,
      done: sum('done'),
      total: sum('total'),
      skipped: sum('skipped'),
      failed: sum('failed'),
      etaSeconds: job?.etaSeconds ?? (state === 'done' ? 0 : null),
      startedAt: this.startedAt,
      updatedAt: now,
      failures: all.flatMap((j) => j.warnings).filter((w) => /\(.+\): /.test(w)).slice(0, 50),
      error,
      sweepTotals: Array.from({ length: this.spec.count }, (_, i) => [...this.sweepTotals.values()].reduce((a, t) => a + (t[i] ?? 0), 0)),
    };
    writeJsonAtomic(this.path, status);
  }
}

export function readShardStatus(path: string): ShardStatusFile | null {
  return existsSync(path) ? readJson<ShardStatusFile>(path) : null;
}
