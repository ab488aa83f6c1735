// CLI handlers of a sharded sweep on a cluster (deploy/slurm, deploy/k8s, docs/SCALE.md):
//   merge OUT.sqlite SHARD...   joins shard caches (main/store/merge.ts) and says what is missing
//   status OUT_DIR              units done / total per shard, ETA, failures, from the status
//                               files the shards keep (main/jobs/shard-files.ts)
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { AtlasError } from '../../common/api';
import { Store } from '../store/store';
import { mergeShard, missingUnits, type MissingUnits } from '../store/merge';
import { SHARD_FILE_RE, type ShardPlanRecord } from './shard';
import { readShardStatus, shardStatusPath } from './shard-files';
import { formatDuration } from './progress-printer';

/** The folder must exist (or be creatable) and take new files; the error names it. */
export function requireWritableDir(dir: string, what: string): void {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  try {
    if (!statSync(probe).isDirectory()) throw new Error('not a folder');
    accessSync(probe, constants.W_OK | constants.X_OK);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new AtlasError('io', `${dir}: ${what} is not writable (${probe}: ${reason}); nothing was written`, dir);
  }
}

export interface MergeOutcome {
  merged: Array<{ file: string; added: number; alreadyMerged: number }>;
  errors: Array<{ file: string; message: string }>;
  missing: MissingUnits[];
}

/** Merge each shard in turn; a refused shard is reported and the others still merge. */
export function mergeShards(outPath: string, shardPaths: string[]): MergeOutcome {
  const out = resolve(outPath);
  requireWritableDir(dirname(out), 'the merged cache folder');
  const store = new Store(out);
  const outcome: MergeOutcome = { merged: [], errors: [], missing: [] };
  try {
    for (const p of shardPaths.map((s) => resolve(s))) {
      if (p === out) {
        outcome.errors.push({ file: p, message: `${p}: is the merged cache itself` });
        continue;
      }
      try {
        const r = mergeShard(store, p);
        outcome.merged.push({ file: p, added: r.added, alreadyMerged: r.alreadyMerged });
      } catch (err) {
        if (!(err instanceof AtlasError)) throw err;
        outcome.errors.push({ file: p, message: err.message });
      }
    }
    outcome.missing = missingUnits(store);
  } finally {
    store.close();
  }
  return outcome;
}

export function formatMergeOutcome(outPath: string, o: MergeOutcome): string {
  const lines: string[] = [];
  for (const m of o.merged) lines.push(`${basename(m.file)}: ${m.added} units merged, ${m.alreadyMerged} already in ${basename(outPath)}`);
  for (const e of o.errors) lines.push(`error: ${e.message}`);
  for (const m of o.missing) {
    if (!m.count) lines.push(`${m.runName}: complete, all ${m.total} units of the sweep are in ${outPath}`);
    else {
      lines.push(`${m.runName}: ${m.count} of ${m.total} units missing:`);
      for (const s of m.byShard) lines.push(`  shard ${s.shard}: ${s.missing} missing (${s.examples.join(', ')}${s.missing > s.examples.length ? ', ...' : ''})`);
    }
  }
  return lines.join('\n') + '\n';
}

interface ShardRow {
  index: number;
  count: number;
  state: string;
  done: number;
  total: number;
  failed: number;
  etaSeconds: number | null;
  where: string;
  updated: string;
  failures: string[];
}

/** Progress of the sweep whose shards write into `dir` (status files; caches of stopped shards). */
export function sweepStatus(dirArg: string, now = Date.now()): { text: string; complete: boolean } {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new AtlasError('not-found', `${dir}: no such folder`, dir);
  const groups = new Map<number, Set<number>>();
  for (const name of readdirSync(dir)) {
    const m = SHARD_FILE_RE.exec(name) ?? /^shard-(\d+)-of-(\d+)\.status\.json$/.exec(name);
    if (!m) continue;
    const count = Number(m[2]);
    let g = groups.get(count);
    if (!g) groups.set(count, (g = new Set()));
    g.add(Number(m[1]));
  }
  if (!groups.size) return { text: `${dir}: no shard files (shard-<i>-of-<N>.sqlite) yet\n`, complete: false };
  const out: string[] = [];
  let complete = true;
  for (const [count] of [...groups.entries()].sort(([a], [b]) => a - b)) {
    const rows: ShardRow[] = [];
    const statuses = Array.from({ length: count }, (_, i) => readShardStatus(shardStatusPath(dir, { index: i, count })));
    // Shards not started yet: their share from the plan every shard records.
    const sweepTotals = statuses.find((s) => s?.sweepTotals?.length === count)?.sweepTotals ?? [];
    for (let i = 0; i < count; i++) {
      const st = statuses[i];
      const db = join(dir, `shard-${i}-of-${count}.sqlite`);
      if (st) {
        const age = (now - st.updatedAt) / 1000;
        // A running shard rewrites its status at least every few seconds while it computes.
        const state = st.state === 'running' && age > 600 ? 'stale (killed?)' : st.state;
        rows.push({ index: i, count, state, done: st.done, total: st.total, failed: st.failed, etaSeconds: st.state === 'running' ? st.etaSeconds : st.state === 'done' ? 0 : null, where: `${st.host}:${st.pid}`, updated: `${formatDuration(age)} ago`, failures: st.failures });
      } else if (existsSync(db)) {
        rows.push({ ...countFromCache(db, i, count), where: '-', updated: '-' });
      } else rows.push({ index: i, count, state: 'not started', done: 0, total: sweepTotals[i] ?? 0, failed: 0, etaSeconds: null, where: '-', updated: '-', failures: [] });
    }
    const done = rows.reduce((a, r) => a + r.done, 0);
    const total = rows.reduce((a, r) => a + r.total, 0);
    const failed = rows.reduce((a, r) => a + r.failed, 0);
    const notStarted = rows.filter((r) => r.state === 'not started').length;
    // Finished: every shard done, or failed for good (its failures are listed); anything else is
    // still to run (not started, running, waiting for other shards, cancelled, stale).
    if (notStarted || rows.some((r) => r.state !== 'done' && r.state !== 'failed')) complete = false;
    out.push(`${dir}: sweep of ${count} shard${count === 1 ? '' : 's'}`);
    out.push(['shard', 'state', 'done/total', 'failed', 'ETA', 'host:pid', 'updated'].map((h, k) => h.padEnd([6, 16, 12, 7, 9, 22, 10][k])).join(''));
    for (const r of rows) {
      out.push([String(r.index), r.state, `${r.done}/${r.total || '?'}`, String(r.failed), formatDuration(r.etaSeconds), r.where, r.updated].map((c, k) => c.padEnd([6, 16, 12, 7, 9, 22, 10][k])).join(''));
    }
    const eta = Math.max(0, ...rows.map((r) => r.etaSeconds ?? 0));
    out.push(`total: ${done}/${total} units${total ? ` (${Math.floor((100 * done) / total)}%)` : ''}, ${failed} failed, ETA ${formatDuration(rows.some((r) => r.state === 'running') ? eta : complete ? 0 : null)}${notStarted ? `, ${notStarted} shard(s) not started` : ''}`);
    for (const r of rows) for (const f of r.failures.slice(0, 5)) out.push(`  shard ${r.index} failure: ${f}`);
  }
  return { text: out.join('\n') + '\n', complete };
}

/** A shard without a status file (killed before its first update, or copied elsewhere): count its cache. */
function countFromCache(db: string, index: number, count: number): Omit<ShardRow, 'where' | 'updated'> {
  let store: Store | null = null;
  try {
    store = new Store(db, { readonly: true });
    let done = 0;
    let total = 0;
    for (const r of store.listRuns()) {
      const plan = store.getParam<ShardPlanRecord>(r.id, 'shard_plan');
      if (!plan) continue;
      const mine = plan.units.filter(([, , s]) => s === index);
      total += mine.length;
      const have = new Set(store.unitsOfRun(r.id).map((u) => `${u.checkpointId}\u0000${u.analysis}`));
      done += mine.filter(([c, u]) => have.has(`${c}\u0000${u}`)).length;
    }
    return { index, count, state: done === total && total > 0 ? 'done' : 'stopped', done, total, failed: 0, etaSeconds: null, failures: [] };
  } catch (err) {
    return { index, count, state: 'unreadable', done: 0, total: 0, failed: 0, etaSeconds: null, failures: [(err as Error).message] };
  } finally {
    store?.close();
  }
}
