// Issue 15 #7: runs can be renamed and removed from the library. Real SQLite files throughout:
// a cache written with the previous schema (the shipped migrations 1-2, as an older Checkpoint
// Atlas left it) opens and upgrades to the current schema without losing a row; rename and remove
// go through the engine and through the HTTP carrier; removing deletes the run's cached results but
// never its checkpoint files, and discovery does not list a removed demo run again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { Store } from '../../main/store/store';
import { MIGRATIONS } from '../../main/store/schema';
import { Engine } from '../../main/api/engine';
import { startHttpCarrier } from '../../main/api/http';
import { makeRun } from './make-run';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-library-'));
  makeRun(join(dir, 'demo', 'tiny'), { checkpoints: 2 });
  makeRun(join(dir, 'mine', 'my-run'), { checkpoints: 3, seed: 3 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${p}:${statSync(p).size}:${statSync(p).mtimeMs}`);
    }
  };
  walk(root);
  return out.sort();
}

async function withEngine<T>(db: string, fn: (e: Engine, s: Store) => Promise<T>): Promise<T> {
  const store = new Store(db);
  const engine = new Engine({ store, carrier: 'http', demoRoots: [join(dir, 'demo')], scanHubCache: false, defaultThreads: 1 });
  try {
    return await fn(engine, store);
  } finally {
    await engine.close();
    store.close();
  }
}

describe('schema migration', () => {
  it('a cache written with schema 2 opens, upgrades to the current schema and keeps every row', () => {
    const db = join(dir, 'old.sqlite');
    // The file as a Checkpoint Atlas with migrations 1-2 left it: its tables and user_version 2.
    const old = new Database(db);
    old.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.slice(0, 2)) old.exec(m);
    old.pragma('user_version = 2');
    const info = { id: 'r1', name: 'old-run', root: '/data/old-run', layout: 'step-folders', family: 'gpt_neox', checkpoints: [], warnings: [] };
    old.prepare(`INSERT INTO runs (id, name, source, root, info_json, updated_at) VALUES ('r1', 'old-run', 'opened', '/data/old-run', ?, 1700000000000)`).run(JSON.stringify(info));
    old.prepare(`INSERT INTO units VALUES ('r1', 'c0', 'weights', 'fp0', 3, 'ctx', '{}', 1700000000001)`).run();
    old.prepare(`INSERT INTO tensors VALUES ('r1', 'w', 'attn.qkv', '0', 'weight', '[4,4]', 0)`).run();
    const insertScalar = old.prepare(`INSERT INTO scalars VALUES ('r1', ?, 'w', 'c0', 'weights', ?)`);
    for (let i = 0; i < 50; i++) insertScalar.run(`m${i}`, i === 7 ? null : i * 0.5);
    old.prepare(`INSERT INTO arrays VALUES ('r1', 'histogram', 'w', 'c0', 'weights', '{"counts":[1,2]}')`).run();
    old.prepare(`INSERT INTO run_params VALUES ('r1', 'bins', '{"w":[0,1]}')`).run();
    old.prepare(`INSERT INTO recent_paths VALUES ('/data/old-run', 1700000000002)`).run();
    old.prepare(`INSERT INTO calibration VALUES ('m:weights', '{"rate":1}', 1700000000003)`).run();
    const before = Object.fromEntries(
      ['runs', 'units', 'tensors', 'scalars', 'arrays', 'run_params', 'recent_paths', 'calibration'].map((t) => [t, old.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]),
    );
    old.close();

    const store = new Store(db);
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(MIGRATIONS.length).toBeGreaterThanOrEqual(3);
      for (const [table, rows] of Object.entries(before)) {
        const now = store.db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all() as Record<string, unknown>[];
        // runs gained the alias column (NULL); every other column and row is unchanged
        expect(now.map((r) => { const { alias: _a, ...rest } = r; return rest; }), table).toEqual(rows);
      }
      const run = store.getRun('r1')!;
      expect(run.alias).toBeNull();
      expect(run.name).toBe('old-run');
      expect(store.integrityCheck()).toBe('ok');
      // the new schema works on the upgraded file
      store.setAlias('r1', 'baseline');
      expect(store.getRun('r1')!.alias).toBe('baseline');
      expect(store.removeRun('r1')!.name).toBe('old-run');
      for (const t of ['runs', 'units', 'tensors', 'scalars', 'arrays', 'run_params']) {
        expect((store.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n, t).toBe(0);
      }
      expect(store.isRemoved('r1')).toBe(true);
      // what is not the run's stays
      expect((store.db.prepare(`SELECT COUNT(*) AS n FROM calibration`).get() as { n: number }).n).toBe(1);
    } finally {
      store.close();
    }
    // reopening an upgraded cache applies nothing twice
    const again = new Store(db);
    expect(again.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    again.close();
  });
});

describe('rename and remove', () => {
  it('rename: the alias is listed (the scanned name kept), survives a rescan and a restart; empty restores the name', async () => {
    const db = join(dir, 'rename.sqlite');
    const runId = await withEngine(db, async (e) => {
      const [run] = (await e.openPaths({ paths: [join(dir, 'mine', 'my-run')] })).runs;
      const r = await e.renameRun({ runId: run.id, alias: '  seed 3 baseline ' });
      expect(r.run.alias).toBe('seed 3 baseline');
      expect(r.run.name).toBe('my-run');
      // a rescan (open again) keeps the alias
      await e.openPaths({ paths: [join(dir, 'mine', 'my-run')] });
      return run.id;
    });
    await withEngine(db, async (e) => {
      const listed = (await e.listRuns({})).runs.find((r) => r.id === runId)!;
      expect(listed.alias).toBe('seed 3 baseline');
      await expect(e.renameRun({ runId, alias: 'a\u0007b' })).rejects.toMatchObject({ code: 'bad-request' });
      await expect(e.renameRun({ runId: 'nope', alias: 'x' })).rejects.toMatchObject({ code: 'not-found' });
      expect((await e.renameRun({ runId, alias: '' })).run.alias).toBeUndefined();
    });
  });

  it('remove: results gone, files untouched, the demo stays removed across restarts, opening the folder brings it back', async () => {
    const db = join(dir, 'remove.sqlite');
    const demoRoot = join(dir, 'demo', 'tiny');
    const filesBefore = filesUnder(demoRoot);
    const demoId = await withEngine(db, async (e, s) => {
      const demo = (await e.listRuns({})).runs.find((r) => r.source === 'demo')!;
      const job = await e.startAnalysis({ runId: demo.id, analyses: ['weights'] });
      await e.jobs.wait(job.jobId);
      expect((await e.scalarGrid({ runId: demo.id, metric: 'frobenius_norm' })).values.flat().filter((v) => v !== null).length).toBeGreaterThan(0);
      const removed = await e.removeRun({ runId: demo.id });
      expect(removed.root).toBe(demoRoot);
      expect((await e.listRuns({})).runs.map((r) => r.id)).not.toContain(demo.id);
      expect(s.unitsOfRun(demo.id)).toEqual([]);
      expect((s.db.prepare(`SELECT COUNT(*) AS n FROM scalars WHERE run_id = ?`).get(demo.id) as { n: number }).n).toBe(0);
      await expect(e.scalarGrid({ runId: demo.id, metric: 'frobenius_norm' })).rejects.toMatchObject({ code: 'not-found' });
      await expect(e.removeRun({ runId: demo.id })).rejects.toMatchObject({ code: 'not-found' });
      return demo.id;
    });
    expect(filesUnder(demoRoot), 'no checkpoint file was deleted or written').toEqual(filesBefore);
    // restart: discovery finds the demo folder again but does not list the removed run
    await withEngine(db, async (e) => {
      expect((await e.listRuns({})).runs.map((r) => r.id)).not.toContain(demoId);
      // opening its folder explicitly brings it back (as an opened run, nothing cached)
      const back = (await e.openPaths({ paths: [demoRoot] })).runs[0];
      expect(back.id).toBe(demoId);
      expect(back.analysed).toEqual([]);
      expect((await e.listRuns({})).runs.map((r) => r.id)).toContain(demoId);
    });
  });

  it('carried over HTTP with the same contract (renameRun, removeRun; unknown run -> 404)', async () => {
    const db = join(dir, 'http.sqlite');
    const copy = join(dir, 'http-copy', 'run');
    mkdirSync(join(dir, 'http-copy'), { recursive: true });
    cpSync(join(dir, 'mine', 'my-run'), copy, { recursive: true });
    const staticRoot = join(dir, 'static');
    mkdirSync(staticRoot, { recursive: true });
    writeFileSync(join(staticRoot, 'index.html'), '<!doctype html><title>atlas</title>');
    await withEngine(db, async (e) => {
      const server = await startHttpCarrier({ api: e, subscribe: e.subscribe, staticRoot });
      const call = (method: string, body: object) =>
        new Promise<{ status: number; body: any }>((resolve, reject) => {
          const data = JSON.stringify(body);
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port: server.port,
              method: 'POST',
              path: `/api/${method}`,
              agent: false,
              headers: { Host: `127.0.0.1:${server.port}`, Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
            },
          );
          req.on('error', reject);
          req.end(data);
        });
      try {
        const opened = await call('openPaths', { paths: [copy] });
        const runId = opened.body.runs[0].id as string;
        const renamed = await call('renameRun', { runId, alias: 'over http' });
        expect(renamed.status).toBe(200);
        expect(renamed.body.run.alias).toBe('over http');
        expect((await call('renameRun', { runId, alias: 'x'.repeat(500) })).status).toBe(400);
        const removed = await call('removeRun', { runId });
        expect(removed.status).toBe(200);
        expect(removed.body).toEqual({ runId, name: 'run', root: copy });
        expect((await call('removeRun', { runId })).status).toBe(404);
        expect(existsSync(copy)).toBe(true);
      } finally {
        await server.close();
      }
    });
  });
});

describe('a renamed run in exports', () => {
  it('figures name the run by its alias, and the CLI finds it by the alias', async () => {
    const { drawFigure } = await import('../../main/export/figure');
    const db = join(dir, 'renamed-export.sqlite');
    await withEngine(db, async (e, store) => {
      const [run] = (await e.openPaths({ paths: [join(dir, 'mine', 'my-run')] })).runs;
      const job = await e.startAnalysis({ runId: run.id, analyses: ['weights'] });
      await e.jobs.wait(job.jobId);
      const before = await drawFigure(store, { runId: run.id, view: 'heatmap', format: 'svg', width: 800, height: 500 });
      expect(String(before.content)).toContain('my-run');
      await e.renameRun({ runId: run.id, alias: 'seed-3 baseline' });
      // The run page (getRun) names it as the export does.
      expect((await e.getRun({ runId: run.id })).run.name).toBe('seed-3 baseline');
      const after = await drawFigure(store, { runId: 'seed-3 baseline', view: 'heatmap', format: 'svg', width: 800, height: 500 });
      expect(String(after.content)).toContain('seed-3 baseline');
      expect(String(after.content)).not.toContain('my-run');
    });
  }, 120_000);
});
