// Joining the caches of a sharded sweep (`checkpoint-atlas merge OUT.sqlite SHARD...`) into one
// cache that opens like any other. SQL lives in store/ only, so this is the store's code.
//
// Each shard is checked before anything is written, and copied in one IMMEDIATE transaction:
// a bad shard (another run, another sweep or unit version, another probe batch, a damaged file)
// is refused with its file named, and whatever earlier merges put into OUT stays as it was.
// Idempotent: a unit already in OUT with the same stamp (fingerprint, version, context) is left
// alone, so merging a shard twice changes nothing. Units are copied with their results rows
// verbatim (scalars as REAL, frames as stored JSON), so the export of the merged cache is
// byte-identical to that of one process.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { AtlasError } from '../../common/api';
import type { ShardPlanRecord } from '../jobs/shard';
import { Store } from './store';

export interface ShardMergeResult {
  file: string;
  runs: string[];
  /** Units copied now, and units that OUT already held with the same stamp. */
  added: number;
  alreadyMerged: number;
}

export interface MissingUnits {
  runId: string;
  runName: string;
  count: number;
  /** Shards of the sweep, and those merged so far. */
  shards: number;
  mergedShards: number[];
  /** Per shard index: how many of its units are missing, and the first few (checkpoint analysis). */
  byShard: Array<{ shard: number; missing: number; examples: string[] }>;
  total: number;
}

interface UnitRow {
  run_id: string;
  checkpoint_id: string;
  analysis: string;
  fingerprint: string;
  version: number;
  ctx: string;
  info_json: string;
  finished_at: number;
}

function refuse(file: string, message: string): never {
  throw new AtlasError('bad-request', `${file}: ${message}; nothing was merged from it, and the merged cache keeps everything it held`, file);
}

/** Why two stamps of the same analysis cannot be mixed, in the researcher's words. */
function ctxDifference(analysis: string): string {
  if (analysis === 'activations' || analysis === 'gradients') return 'was computed with another probe batch (probe text, batch size or sequence length)';
  if (analysis === 'histogram') return 'has histograms with other bins (the run-wide parameters differ: another set of checkpoints?)';
  if (analysis === 'weights') return 'measured distances against other init/previous checkpoints';
  return 'was computed with other settings';
}

function planKey(p: ShardPlanRecord): string {
  return JSON.stringify([p.count, p.analyses, p.units.map(([c, u, s]) => [c, u, s])]);
}

/** Merge one shard cache into `out`. Throws (naming the file) and writes nothing when it does not fit. */
export function mergeShard(out: Store, shardPath: string): ShardMergeResult {
  const file = shardPath;
  if (!existsSync(file)) refuse(file, 'no such file');
  let shard: Store;
  try {
    shard = new Store(file, { readonly: true });
  } catch (err) {
    refuse(file, `not a readable Checkpoint Atlas cache (${(err as Error).message.replace(`${file}`, 'file')}) - truncated or damaged? Rerun its shard`);
  }
  try {
    const sdb = shard.db;
    const hasUnits = sdb.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'units'`).get();
    if (!hasUnits) refuse(file, 'not a Checkpoint Atlas cache (no units table)');
    const integrity = shard.integrityCheck();
    if (integrity !== 'ok') refuse(file, `damaged (${integrity}) - truncated? Rerun its shard`);
    const shardRuns = shard.listRuns();
    if (!shardRuns.length) refuse(file, 'holds no run (did its shard start at all?)');
    const plans = new Map<string, ShardPlanRecord>();
    for (const r of shardRuns) {
      const plan = shard.getParam<ShardPlanRecord>(r.id, 'shard_plan');
      if (!plan) refuse(file, `is not a shard of a sweep (run ${r.name} has no shard plan; write shards with analyze --shard i/N)`);
      plans.set(r.id, plan);
    }
    const units = sdb.prepare(`SELECT run_id, checkpoint_id, analysis, fingerprint, version, ctx, info_json, finished_at FROM units ORDER BY run_id, checkpoint_id, analysis`).all() as UnitRow[];

    const odb = out.db;
    const getOutUnit = odb.prepare(`SELECT fingerprint, version, ctx FROM units WHERE run_id = ? AND checkpoint_id = ? AND analysis = ?`);
    const outStamps = odb.prepare(`SELECT DISTINCT analysis, version, ctx FROM units WHERE run_id = ?`);
    const insertUnit = odb.prepare(`INSERT INTO units (run_id, checkpoint_id, analysis, fingerprint, version, ctx, info_json, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const insertScalar = odb.prepare(`INSERT OR REPLACE INTO scalars (run_id, metric, tensor, checkpoint_id, analysis, value) VALUES (?, ?, ?, ?, ?, ?)`);
    const insertArray = odb.prepare(`INSERT OR REPLACE INTO arrays (run_id, kind, tensor, checkpoint_id, analysis, data) VALUES (?, ?, ?, ?, ?, ?)`);
    const insertRun = odb.prepare(`INSERT OR IGNORE INTO runs (id, name, source, root, info_json, updated_at) VALUES (?, ?, 'opened', ?, ?, ?)`);
    const hasTensor = odb.prepare(`SELECT 1 FROM tensors WHERE run_id = ? AND tensor = ?`);
    const maxOrd = odb.prepare(`SELECT COALESCE(MAX(ord), -1) AS m FROM tensors WHERE run_id = ?`);
    const insertTensor = odb.prepare(`INSERT INTO tensors (run_id, tensor, component, block, kind, shape_json, ord) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    const shardScalars = sdb.prepare(`SELECT metric, tensor, value FROM scalars WHERE run_id = ? AND checkpoint_id = ? AND analysis = ?`);
    const shardArrays = sdb.prepare(`SELECT kind, tensor, data FROM arrays WHERE run_id = ? AND checkpoint_id = ? AND analysis = ?`);
    const shardTensors = sdb.prepare(`SELECT tensor, component, block, kind, shape_json FROM tensors WHERE run_id = ? ORDER BY ord`);

    let added = 0;
    let alreadyMerged = 0;
    const merge = odb.transaction(() => {
      // ---- checks (inside the write lock, so no concurrent merge slips between check and copy)
      const mergedRuns = out.listRuns().filter((r) => out.getParam(r.id, 'shard_plan'));
      if (mergedRuns.length) {
        const outIds = new Set(mergedRuns.map((r) => r.id));
        const foreign = shardRuns.filter((r) => !outIds.has(r.id));
        const absent = mergedRuns.filter((r) => !plans.has(r.id));
        if (foreign.length || absent.length) {
          refuse(file, `is a shard of another run: it holds ${shardRuns.map((r) => `${r.name} (${r.root})`).join(', ')}; the merged cache holds ${mergedRuns.map((r) => `${r.name} (${r.root})`).join(', ')}`);
        }
      }
      for (const r of shardRuns) {
        const plan = plans.get(r.id)!;
        const outPlan = out.getParam<ShardPlanRecord>(r.id, 'shard_plan');
        if (outPlan) {
          for (const [unit, v] of Object.entries(plan.unitVersions)) {
            const ov = outPlan.unitVersions[unit];
            if (ov !== undefined && ov !== v) refuse(file, `mixed unit versions: its ${unit} results are version ${v}, the merged cache's are version ${ov} (shards written by different Checkpoint Atlas versions; rerun the older shards)`);
          }
          if (planKey(plan) !== planKey(outPlan)) {
            refuse(file, `belongs to another sweep of ${r.name}: ${plan.count} shards over ${plan.units.length} units (${plan.analyses.join(',')}), while the merged cache holds a sweep of ${outPlan.count} shards over ${outPlan.units.length} units (${outPlan.analyses.join(',')})`);
          }
        }
        const outRanges = out.getParam<unknown>(r.id, 'histogram_ranges');
        const shardRanges = shard.getParam<unknown>(r.id, 'histogram_ranges');
        if (outRanges && shardRanges && JSON.stringify(outRanges) !== JSON.stringify(shardRanges)) refuse(file, ctxDifference('histogram'));
        // One version and (beyond `weights`, whose context is per checkpoint) one context per analysis.
        const seen = new Map<string, { version: number; ctx: string }>();
        for (const s of outStamps.all(r.id) as Array<{ analysis: string; version: number; ctx: string }>) seen.set(s.analysis, s);
        for (const u of units) {
          if (u.run_id !== r.id) continue;
          const prev = seen.get(u.analysis);
          if (prev && prev.version !== u.version) refuse(file, `mixed unit versions: its ${u.analysis} results are version ${u.version}, others are version ${prev.version}`);
          if (prev && u.analysis !== 'weights' && prev.ctx !== u.ctx) refuse(file, `${u.analysis} at ${u.checkpoint_id} ${ctxDifference(u.analysis)} than the shards merged before`);
          if (!prev) seen.set(u.analysis, { version: u.version, ctx: u.ctx });
          const have = getOutUnit.get(u.run_id, u.checkpoint_id, u.analysis) as { fingerprint: string; version: number; ctx: string } | undefined;
          if (have && have.fingerprint !== u.fingerprint) refuse(file, `checkpoint ${u.checkpoint_id} of ${r.name} was different when this shard read it (fingerprint ${u.fingerprint} vs ${have.fingerprint}): the folder changed during the sweep`);
          if (have && have.ctx !== u.ctx) refuse(file, `${u.analysis} at ${u.checkpoint_id} ${ctxDifference(u.analysis)} than the merged cache holds`);
        }
      }
      // ---- copy
      for (const r of shardRuns) {
        insertRun.run(r.id, r.name, r.root, JSON.stringify(r.info), r.updatedAt);
        let ord = (maxOrd.get(r.id) as { m: number }).m + 1;
        for (const t of shardTensors.all(r.id) as Array<{ tensor: string; component: string; block: string | null; kind: string; shape_json: string | null }>) {
          if (!hasTensor.get(r.id, t.tensor)) insertTensor.run(r.id, t.tensor, t.component, t.block, t.kind, t.shape_json, ord++);
        }
        if (!out.getParam(r.id, 'shard_plan')) out.setParam(r.id, 'shard_plan', plans.get(r.id));
        const ranges = shard.getParam<unknown>(r.id, 'histogram_ranges');
        if (ranges && !out.getParam(r.id, 'histogram_ranges')) out.setParam(r.id, 'histogram_ranges', ranges);
        const index = shard.getParam<number>(r.id, 'shard_index');
        const mergedShards = out.getParam<number[]>(r.id, 'merged_shards') ?? [];
        if (index !== null && !mergedShards.includes(index)) out.setParam(r.id, 'merged_shards', [...mergedShards, index].sort((a, b) => a - b));
      }
      for (const u of units) {
        if (getOutUnit.get(u.run_id, u.checkpoint_id, u.analysis)) {
          alreadyMerged++;
          continue;
        }
        for (const s of shardScalars.iterate(u.run_id, u.checkpoint_id, u.analysis) as IterableIterator<{ metric: string; tensor: string; value: number | null }>) {
          insertScalar.run(u.run_id, s.metric, s.tensor, u.checkpoint_id, u.analysis, s.value);
        }
        for (const a of shardArrays.iterate(u.run_id, u.checkpoint_id, u.analysis) as IterableIterator<{ kind: string; tensor: string; data: string }>) {
          insertArray.run(u.run_id, a.kind, a.tensor, u.checkpoint_id, u.analysis, a.data);
        }
        insertUnit.run(u.run_id, u.checkpoint_id, u.analysis, u.fingerprint, u.version, u.ctx, u.info_json, u.finished_at);
        added++;
      }
    });
    try {
      merge.immediate();
    } catch (err) {
      if (err instanceof AtlasError) throw err;
      const code = (err as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_NOTADB')) refuse(file, `damaged while reading (${(err as Error).message}) - truncated? Rerun its shard`);
      throw new AtlasError('io', `cannot write ${out.path} while merging ${basename(file)}: ${(err as Error).message}; the merged cache keeps everything it held before`, out.path);
    }
    return { file, runs: shardRuns.map((r) => r.id), added, alreadyMerged };
  } finally {
    shard.close();
  }
}

/** Units of the sweep's plan that the merged cache does not hold yet, per shard. */
export function missingUnits(out: Store): MissingUnits[] {
  return out
    .listRuns()
    .map((r) => runMissingUnits(out, r.id, r.name))
    .filter((m): m is MissingUnits => m !== null);
}

/** One run's coverage of its sweep plan (null when the run was not merged from shards). */
export function runMissingUnits(out: Store, runId: string, runName: string): MissingUnits | null {
  const r = { id: runId, name: runName };
  {
    const plan = out.getParam<ShardPlanRecord>(r.id, 'shard_plan');
    if (!plan) return null;
    const have = new Set(out.unitsOfRun(r.id).filter((u) => plan.unitVersions[u.analysis] === undefined || plan.unitVersions[u.analysis] === u.version).map((u) => `${u.checkpointId}\u0000${u.analysis}`));
    const byShard = new Map<number, { missing: number; examples: string[] }>();
    let count = 0;
    for (const [ckpt, unit, shardIndex] of plan.units) {
      if (have.has(`${ckpt}\u0000${unit}`)) continue;
      count++;
      let s = byShard.get(shardIndex);
      if (!s) byShard.set(shardIndex, (s = { missing: 0, examples: [] }));
      s.missing++;
      if (s.examples.length < 5) s.examples.push(`${ckpt} ${unit}`);
    }
    return { runId: r.id, runName: r.name, count, total: plan.units.length, shards: plan.count, mergedShards: out.getParam<number[]>(r.id, 'merged_shards') ?? [], byShard: [...byShard.entries()].sort(([a], [b]) => a - b).map(([shard, v]) => ({ shard, ...v })) };
  }
}
