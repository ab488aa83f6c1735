// Crash safety of `analyze`: SIGKILL at random moments, many times. After every kill the SQLite
// file passes integrity_check and holds every unit the killed process reported as done; the final
// run recomputes nothing that was stored, and its export equals an uninterrupted run's.
// ATLAS_KILLS sets the number of kills (default 8 in `npm test`; the hardening run uses 50).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { projectRoot } from '../../main/paths';
import { makeRun } from './make-run';

const CLI = join(projectRoot(), 'out', 'main', 'cli.js');
const KILLS = Number(process.env.ATLAS_KILLS ?? 8);
let dir: string;
let runRoot: string;

function seededRandom(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function unitsIn(db: string): number {
  if (!existsSync(db)) return 0;
  const conn = new Database(db, { readonly: true });
  try {
    const hasTable = conn.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'units'").get() as { n: number };
    return hasTable.n ? (conn.prepare('SELECT count(*) AS n FROM units').get() as { n: number }).n : 0;
  } finally {
    conn.close();
  }
}

function integrity(db: string): string {
  const conn = new Database(db);
  try {
    return String(conn.pragma('integrity_check', { simple: true }));
  } finally {
    conn.close();
  }
}

interface Progress {
  state: string;
  done: number;
  total: number;
  skipped: number;
}

function analyzeArgs(db: string): string[] {
  return [CLI, 'analyze', runRoot, '--db', db, '--analyses', 'weights,spectra,embedding', '--threads', '1', '--json-progress'];
}

/** Start analyze and SIGKILL it after `delayMs`; returns the last progress line it printed. */
function killAfter(db: string, delayMs: number): Promise<Progress | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, analyzeArgs(db), { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', () => {
      clearTimeout(timer);
      const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
      resolve(lines.length ? (JSON.parse(lines[lines.length - 1]!) as Progress) : null);
    });
  });
}

function runToEnd(db: string): Progress {
  const r = spawnSync(process.execPath, analyzeArgs(db), { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(lines[lines.length - 1]!) as Progress;
}

function exportCsv(db: string, name: string): string {
  const out = join(dir, name);
  const r = spawnSync(process.execPath, [CLI, 'export', '--db', db, '--out', out], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return ['scalars.csv', 'spectra.jsonl', 'histograms.jsonl', 'embedding_correlation.jsonl', 'qq.jsonl'].map((f) => readFileSync(join(out, f), 'utf8')).join('\n----\n');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-crash-'));
  runRoot = makeRun(join(dir, 'run'), { checkpoints: 12, d: 32, layers: 2, vocab: 300, seed: 11 }).root;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(CLI))('analyze under kill -9', () => {
  it(`survives ${KILLS} SIGKILLs with an intact cache and an identical export`, async () => {
    const reference = join(dir, 'reference.sqlite');
    const full = runToEnd(reference);
    expect(full.state).toBe('done');
    const expected = exportCsv(reference, 'export-reference');

    const db = join(dir, 'killed.sqlite');
    const random = seededRandom(20261124);
    let kills = 0;
    for (let i = 0; i < KILLS; i++) {
      const before = unitsIn(db);
      // Node start + scan take ~300 ms; the run itself ~1-2 s: spread kills over both.
      const last = await killAfter(db, 150 + Math.floor(random() * 1500));
      kills++;
      if (!existsSync(db)) continue;
      expect(integrity(db)).toBe('ok');
      const after = unitsIn(db);
      // Every unit the killed process reported done was committed.
      if (last) expect(after).toBeGreaterThanOrEqual(before + (last.done - last.skipped));
      if (last?.state === 'done') break;
    }
    expect(kills).toBeGreaterThan(0);

    const stored = unitsIn(db);
    const final = runToEnd(db);
    expect(final.state).toBe('done');
    // Nothing already stored was recomputed.
    expect(final.skipped).toBe(stored);
    expect(integrity(db)).toBe('ok');
    expect(exportCsv(db, 'export-killed').replaceAll(/^[0-9a-f]{16},/gm, '')).toBe(expected.replaceAll(/^[0-9a-f]{16},/gm, ''));
  }, 300_000);
});
