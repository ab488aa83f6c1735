// The results cache: the only code that touches SQL. better-sqlite3 in WAL mode; results of one
// (run, checkpoint, analysis) unit are written in one transaction together with the unit's
// "finished" row, so a crash loses at most the unit in flight and a rerun reads, never recomputes.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { RunInfo, TensorRole } from '../../common/domain';
import type { TensorMeta } from '../../common/api';
import { AtlasError } from '../../common/api';
import { encodeFrame } from '../../common/frames';
import { MIGRATIONS } from './schema';

const requireNative = createRequire(import.meta.url);

export type RunSource = 'demo' | 'hf-cache' | 'opened';

export interface StoredRun {
  id: string;
  name: string;
  source: RunSource;
  root: string;
  info: RunInfo;
  updatedAt: number;
  /** The user's name for the run (renameRun); null: the scanned name is shown. */
  alias: string | null;
}

export interface UnitKey {
  runId: string;
  checkpointId: string;
  analysis: string;
}

export interface UnitStamp {
  fingerprint: string;
  version: number;
  ctx: string;
}

export interface ScalarResult {
  metric: string;
  tensor: string;
  value: number | null;
}

export interface ArrayResult {
  kind: string;
  tensor: string;
  data: unknown;
}

export interface UnitResults {
  scalars: ScalarResult[];
  arrays: ArrayResult[];
  info: Record<string, unknown>;
  /** Tensors the results are stored under, with their roles (registered for the run). */
  tensors?: Array<{ tensor: string; role: TensorRole; shape?: number[] }>;
}

export interface OpenStoreOptions {
  readonly?: boolean;
  /** Path of a better-sqlite3 binary built for another ABI (Electron); see README. */
  nativeBinding?: string;
}

/** Where the cache lives unless --db says otherwise: the platform's per-user data folder. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = env.HOME ?? env.USERPROFILE ?? '.';
  let base: string;
  if (env.ATLAS_DATA_DIR) base = env.ATLAS_DATA_DIR;
  else if (platform === 'darwin') base = `${home}/Library/Application Support/checkpoint-atlas`;
  else if (platform === 'win32') base = `${env.APPDATA ?? `${home}/AppData/Roaming`}/checkpoint-atlas`;
  else base = `${env.XDG_DATA_HOME || `${home}/.local/share`}/checkpoint-atlas`;
  return `${base}/atlas.sqlite`;
}

export class Store {
  readonly db: BetterSqlite3.Database;
  private readonly generations = new Map<string, number>();
  private readonly stmts: ReturnType<Store['prepare']>;

  constructor(
    readonly path: string,
    options: OpenStoreOptions = {},
  ) {
    const Database = requireNative('better-sqlite3') as typeof BetterSqlite3;
    if (!options.readonly && path !== ':memory:') {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (err) {
        throw new AtlasError('io', `cannot create the cache folder ${dirname(path)}: ${(err as Error).message}`, path);
      }
    }
    if (options.readonly && !existsSync(path)) throw new AtlasError('not-found', `no cache database at ${path}`, path);
    try {
      this.db = new Database(path, {
        readonly: options.readonly ?? false,
        ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
      });
    } catch (err) {
      throw new AtlasError('io', `cannot open the cache database ${path}: ${(err as Error).message}`, path);
    }
    try {
      this.db.pragma('busy_timeout = 5000');
      if (!options.readonly) {
        this.db.pragma('journal_mode = WAL');
        // NORMAL in WAL mode: a committed transaction survives a process crash (not a power loss).
        this.db.pragma('synchronous = NORMAL');
      }
      const check = this.db.pragma('quick_check', { simple: true });
      if (check !== 'ok') {
        throw new AtlasError('io', `the cache database ${path} is damaged (${String(check)}); move it away to start afresh`, path);
      }
      if (!options.readonly) this.migrate();
    } catch (err) {
      this.db.close();
      if (err instanceof AtlasError) throw err;
      throw new AtlasError('io', `cannot use the cache database ${path}: ${(err as Error).message}`, path);
    }
    this.stmts = this.prepare();
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new AtlasError('io', `the cache ${this.path} was written by a newer Checkpoint Atlas (schema ${current} > ${MIGRATIONS.length})`, this.path);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      const apply = this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      });
      apply.immediate();
    }
  }

  private prepare() {
    const db = this.db;
    return {
      upsertRun: db.prepare(
        `INSERT INTO runs (id, name, source, root, info_json, updated_at) VALUES (@id, @name, @source, @root, @info, @now)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, root = excluded.root, info_json = excluded.info_json,
           updated_at = excluded.updated_at,
           source = CASE WHEN runs.source = 'demo' THEN runs.source ELSE excluded.source END`,
      ),
      listRuns: db.prepare(`SELECT id, name, source, root, info_json, updated_at, alias FROM runs ORDER BY source = 'demo' DESC, COALESCE(alias, name)`),
      getRun: db.prepare(`SELECT id, name, source, root, info_json, updated_at, alias FROM runs WHERE id = ?`),
      setAlias: db.prepare(`UPDATE runs SET alias = ? WHERE id = ?`),
      isRemoved: db.prepare(`SELECT 1 AS removed FROM removed_runs WHERE id = ?`),
      forgetRemoved: db.prepare(`DELETE FROM removed_runs WHERE id = ?`),
      getUnit: db.prepare(`SELECT fingerprint, version, ctx FROM units WHERE run_id = ? AND checkpoint_id = ? AND analysis = ?`),
      unitsOfRun: db.prepare(`SELECT checkpoint_id, analysis, fingerprint, version, ctx, info_json FROM units WHERE run_id = ?`),
      deleteUnitScalars: db.prepare(`DELETE FROM scalars WHERE run_id = ? AND checkpoint_id = ? AND analysis = ?`),
      deleteUnit: db.prepare(`DELETE FROM units WHERE run_id = ? AND checkpoint_id = ? AND analysis = ?`),
      deleteUnitArrays: db.prepare(`DELETE FROM arrays WHERE run_id = ? AND checkpoint_id = ? AND analysis = ?`),
      insertScalar: db.prepare(
        `INSERT OR REPLACE INTO scalars (run_id, metric, tensor, checkpoint_id, analysis, value) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      insertArray: db.prepare(
        `INSERT OR REPLACE INTO arrays (run_id, kind, tensor, checkpoint_id, analysis, data) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      upsertUnit: db.prepare(
        `INSERT OR REPLACE INTO units (run_id, checkpoint_id, analysis, fingerprint, version, ctx, info_json, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertTensor: db.prepare(
        `INSERT INTO tensors (run_id, tensor, component, block, kind, shape_json, ord) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(run_id, tensor) DO UPDATE SET component = excluded.component, block = excluded.block,
           kind = excluded.kind, shape_json = excluded.shape_json`,
      ),
      maxTensorOrd: db.prepare(`SELECT COALESCE(MAX(ord), -1) AS m FROM tensors WHERE run_id = ?`),
      tensorsOfRun: db.prepare(`SELECT tensor, component, block, kind, shape_json FROM tensors WHERE run_id = ? ORDER BY ord`),
      // One index seek per distinct metric (a skip scan), instead of reading every scalar row.
      nextMetric: db.prepare(`SELECT metric FROM scalars WHERE run_id = ? AND metric > ? ORDER BY metric LIMIT 1`),
      scalarsOfMetric: db.prepare(`SELECT tensor, checkpoint_id, value FROM scalars WHERE run_id = ? AND metric = ?`),
      scalarsOfRun: db.prepare(`SELECT metric, tensor, checkpoint_id, value FROM scalars WHERE run_id = ? ORDER BY checkpoint_id, tensor, metric`),
      framesOf: db.prepare(`SELECT checkpoint_id, data FROM arrays WHERE run_id = ? AND kind = ? AND tensor = ?`),
      arraysOfRunKind: db.prepare(`SELECT tensor, checkpoint_id, data FROM arrays WHERE run_id = ? AND kind = ? ORDER BY tensor, checkpoint_id`),
      arrayKindsOfRun: db.prepare(`SELECT DISTINCT kind, tensor FROM arrays WHERE run_id = ?`),
      getParam: db.prepare(`SELECT value FROM run_params WHERE run_id = ? AND key = ?`),
      // Only for a run in the library: another process sharing the cache (the CLI, a second window)
      // may have removed it since the caller looked, and a parameter row must not outlive its run.
      setParam: db.prepare(`INSERT OR REPLACE INTO run_params (run_id, key, value) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?)`),
      getCalibration: db.prepare(`SELECT value FROM calibration WHERE key = ?`),
      setCalibration: db.prepare(`INSERT OR REPLACE INTO calibration (key, value, updated_at) VALUES (?, ?, ?)`),
      addRecent: db.prepare(`INSERT OR REPLACE INTO recent_paths (path, opened_at) VALUES (?, ?)`),
      recent: db.prepare(`SELECT path FROM recent_paths ORDER BY opened_at DESC LIMIT 20`),
    };
  }

  /** A failed write, named for the user: what was being stored, where, and why (full, locked, read-only). */
  private writeError(err: unknown, what: string): AtlasError {
    const code = (err as { code?: string }).code ?? '';
    const reason =
      code.startsWith('SQLITE_FULL') ? 'the disk (or the database size limit) is full'
      : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') ? 'the database is locked by another process (another Checkpoint Atlas writing the same cache?)'
      : code.startsWith('SQLITE_READONLY') ? 'the database is read-only'
      : (err as Error).message;
    return new AtlasError('io', `cannot store ${what} in ${this.path}: ${reason}; everything stored before is kept`, this.path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // -------------------------------------------------------------------------------- runs

  /**
   * Store a run as scanned. Units of its present checkpoints whose weights changed since they
   * were computed (fingerprint differs: a checkpoint overwritten in place) are dropped with their
   * results, in the same transaction: no view shows numbers of weights that are gone, and the
   * next analysis computes them again.
   */
  upsertRun(info: RunInfo, source: RunSource): void {
    const s = this.stmts;
    const current = new Map(info.checkpoints.filter((c) => !c.missing && c.fingerprint).map((c) => [c.id, c.fingerprint]));
    let dropped = 0;
    const tx = this.db.transaction(() => {
      s.upsertRun.run({ id: info.id, name: info.name, source, root: info.root, info: JSON.stringify(info), now: Date.now() });
      for (const u of this.unitsOfRun(info.id)) {
        const fp = current.get(u.checkpointId);
        if (fp === undefined || fp === u.fingerprint) continue;
        s.deleteUnitScalars.run(info.id, u.checkpointId, u.analysis);
        s.deleteUnitArrays.run(info.id, u.checkpointId, u.analysis);
        s.deleteUnit.run(info.id, u.checkpointId, u.analysis);
        dropped++;
      }
    });
    try {
      tx.immediate();
    } catch (err) {
      throw this.writeError(err, `run ${info.name}`);
    }
    if (dropped) this.generations.set(info.id, (this.generations.get(info.id) ?? 0) + 1);
  }

  /**
   * Remove a run from the library: its row, tensors, units, results and run parameters, in one
   * transaction, and remember the removal (discovery of the demo and the HF cache skips it; an
   * explicit open brings it back, see `forgetRemoval`). Never touches the run's files.
   */
  removeRun(id: string): StoredRun | null {
    const run = this.getRun(id);
    if (!run) return null;
    const tx = this.db.transaction(() => {
      for (const table of ['scalars', 'arrays', 'units', 'tensors', 'run_params']) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(id);
      this.db.prepare(`DELETE FROM runs WHERE id = ?`).run(id);
      this.db.prepare(`INSERT OR REPLACE INTO removed_runs (id, name, root, removed_at) VALUES (?, ?, ?, ?)`).run(id, run.name, run.root, Date.now());
    });
    try {
      tx.immediate();
    } catch (err) {
      throw this.writeError(err, `the removal of run ${run.name}`);
    }
    this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
    return run;
  }

  /** Whether the run was removed from the library (and not opened again since). */
  isRemoved(id: string): boolean {
    return this.stmts.isRemoved.get(id) !== undefined;
  }

  forgetRemoval(id: string): void {
    this.stmts.forgetRemoved.run(id);
  }

  /** The user's name for a run; null or '' clears it. */
  setAlias(id: string, alias: string | null): void {
    try {
      this.stmts.setAlias.run(alias ? alias : null, id);
    } catch (err) {
      throw this.writeError(err, `the name of run ${id}`);
    }
  }

  listRuns(): StoredRun[] {
    return (this.stmts.listRuns.all() as RunRow[]).map(rowToRun);
  }

  getRun(id: string): StoredRun | null {
    const row = this.stmts.getRun.get(id) as RunRow | undefined;
    return row ? rowToRun(row) : null;
  }

  addRecentPath(path: string): void {
    this.stmts.addRecent.run(path, Date.now());
  }

  recentPaths(): string[] {
    return (this.stmts.recent.all() as { path: string }[]).map((r) => r.path);
  }

  // -------------------------------------------------------------------------------- units

  /** True when the unit's results are stored for exactly this fingerprint, version and context. */
  isUnitDone(key: UnitKey, stamp: UnitStamp): boolean {
    const row = this.stmts.getUnit.get(key.runId, key.checkpointId, key.analysis) as UnitStamp | undefined;
    return !!row && row.fingerprint === stamp.fingerprint && row.version === stamp.version && row.ctx === stamp.ctx;
  }

  unitsOfRun(runId: string): Array<UnitKey & UnitStamp & { info: Record<string, unknown> }> {
    return (this.stmts.unitsOfRun.all(runId) as Array<{ checkpoint_id: string; analysis: string; fingerprint: string; version: number; ctx: string; info_json: string }>).map(
      (r) => ({ runId, checkpointId: r.checkpoint_id, analysis: r.analysis, fingerprint: r.fingerprint, version: r.version, ctx: r.ctx, info: JSON.parse(r.info_json) }),
    );
  }

  /** Replace the unit's results and mark it finished, atomically. */
  writeUnit(key: UnitKey, stamp: UnitStamp, results: UnitResults): void {
    const s = this.stmts;
    const write = this.db.transaction(() => {
      s.deleteUnitScalars.run(key.runId, key.checkpointId, key.analysis);
      s.deleteUnitArrays.run(key.runId, key.checkpointId, key.analysis);
      for (const r of results.scalars) {
        const v = r.value === null || !Number.isFinite(r.value) ? null : r.value;
        s.insertScalar.run(key.runId, r.metric, r.tensor, key.checkpointId, key.analysis, v);
      }
      for (const a of results.arrays) {
        s.insertArray.run(key.runId, a.kind, a.tensor, key.checkpointId, key.analysis, encodeFrame(a.data));
      }
      s.upsertUnit.run(key.runId, key.checkpointId, key.analysis, stamp.fingerprint, stamp.version, stamp.ctx, JSON.stringify(results.info), Date.now());
    });
    try {
      write.immediate();
    } catch (err) {
      throw this.writeError(err, `results of ${key.checkpointId} (${key.analysis})`);
    }
    this.generations.set(key.runId, (this.generations.get(key.runId) ?? 0) + 1);
  }

  // -------------------------------------------------------------------------------- tensors

  registerTensors(runId: string, tensors: Array<{ tensor: string; role: TensorRole; shape?: number[] }>): void {
    const s = this.stmts;
    const tx = this.db.transaction(() => {
      let ord = (s.maxTensorOrd.get(runId) as { m: number }).m + 1;
      for (const t of tensors) {
        s.upsertTensor.run(runId, t.tensor, t.role.component, t.role.block === null ? null : JSON.stringify(t.role.block), t.role.kind, t.shape ? JSON.stringify(t.shape) : null, ord++);
      }
    });
    tx.immediate();
  }

  listTensors(runId: string): TensorMeta[] {
    return (this.stmts.tensorsOfRun.all(runId) as Array<{ tensor: string; component: string; block: string | null; kind: string; shape_json: string | null }>).map((r) => ({
      tensor: r.tensor,
      component: r.component,
      block: r.block === null ? null : (JSON.parse(r.block) as TensorMeta['block']),
      kind: r.kind,
      ...(r.shape_json ? { shape: JSON.parse(r.shape_json) as number[] } : {}),
    }));
  }

  listMetrics(runId: string): string[] {
    const out: string[] = [];
    let last = '';
    for (;;) {
      const row = this.stmts.nextMetric.get(runId, last) as { metric: string } | undefined;
      if (!row) return out;
      out.push(row.metric);
      last = row.metric;
    }
  }

  /**
   * Changes whenever results of the run may have changed (cache key for derived views): our own
   * writes bump a counter; commits by other processes (a CLI `analyze` beside the app) change
   * SQLite's data_version.
   */
  generation(runId: string): string {
    return `${this.generations.get(runId) ?? 0}:${String(this.db.pragma('data_version', { simple: true }))}`;
  }

  // -------------------------------------------------------------------------------- reads

  scalarsOfMetric(runId: string, metric: string): Array<{ tensor: string; checkpointId: string; value: number | null }> {
    return (this.stmts.scalarsOfMetric.all(runId, metric) as Array<{ tensor: string; checkpoint_id: string; value: number | null }>).map((r) => ({
      tensor: r.tensor,
      checkpointId: r.checkpoint_id,
      value: r.value,
    }));
  }

  /** Every scalar of a run, for the exporter (iterates; never loads the whole table at once). */
  *iterateScalars(runId: string): IterableIterator<{ metric: string; tensor: string; checkpointId: string; value: number | null }> {
    for (const r of this.stmts.scalarsOfRun.iterate(runId) as IterableIterator<{ metric: string; tensor: string; checkpoint_id: string; value: number | null }>) {
      yield { metric: r.metric, tensor: r.tensor, checkpointId: r.checkpoint_id, value: r.value };
    }
  }

  /** Frames as stored: typed arrays still base64-encoded (common/frames.ts decodes them). */
  frames(runId: string, kind: string, tensor: string): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const r of this.stmts.framesOf.iterate(runId, kind, tensor) as IterableIterator<{ checkpoint_id: string; data: string }>) {
      out.set(r.checkpoint_id, JSON.parse(r.data));
    }
    return out;
  }

  *iterateArrays(runId: string, kind: string): IterableIterator<{ tensor: string; checkpointId: string; data: unknown }> {
    for (const r of this.stmts.arraysOfRunKind.iterate(runId, kind) as IterableIterator<{ tensor: string; checkpoint_id: string; data: string }>) {
      yield { tensor: r.tensor, checkpointId: r.checkpoint_id, data: JSON.parse(r.data) };
    }
  }

  arrayKinds(runId: string): Array<{ kind: string; tensor: string }> {
    return this.stmts.arrayKindsOfRun.all(runId) as Array<{ kind: string; tensor: string }>;
  }

  getParam<T>(runId: string, key: string): T | null {
    const row = this.stmts.getParam.get(runId, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }

  /** Store a run parameter; false (nothing written) when the run is not in the library. */
  setParam(runId: string, key: string, value: unknown): boolean {
    return this.stmts.setParam.run(runId, key, JSON.stringify(value), runId).changes > 0;
  }

  /** This machine's measured sweep rates (main/jobs/estimate.ts); null when never measured. */
  getCalibration<T>(key: string): T | null {
    const row = this.stmts.getCalibration.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }

  setCalibration(key: string, value: unknown): void {
    this.stmts.setCalibration.run(key, JSON.stringify(value), Date.now());
  }

  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }
}

interface RunRow {
  id: string;
  name: string;
  source: RunSource;
  root: string;
  info_json: string;
  updated_at: number;
  alias: string | null;
}

function rowToRun(r: RunRow): StoredRun {
  return { id: r.id, name: r.name, source: r.source, root: r.root, info: JSON.parse(r.info_json) as RunInfo, updatedAt: r.updated_at, alias: r.alias };
}
