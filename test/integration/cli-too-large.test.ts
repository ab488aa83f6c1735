// Issue 16 acceptance "a run too large for memory gets a clear message before it starts, never
// an out-of-memory kill mid-way", at the command line: `checkpoint-atlas analyze` with less
// memory available than the estimate (ATLAS_MAX_MEMORY, main/jobs/estimate.ts) prints what does
// not fit and how to proceed, exits non-zero, and computes nothing; --force then runs it.
// (The engine-level refusal is test/integration/subset.test.ts; this spawns the built CLI.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { projectRoot } from '../../main/paths';
import { makeRun, type MadeRun } from './make-run';

let dir: string;
let made: MadeRun;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-too-large-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 2, d: 8, layers: 1, vocab: 300 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function analyze(db: string, extra: string[]): ReturnType<typeof spawnSync> {
  const cli = join(projectRoot(), 'out', 'main', 'cli.js');
  return spawnSync(process.execPath, [cli, 'analyze', made.root, '--db', db, '--analyses', 'weights,gradients', '--threads', '1', ...extra], {
    encoding: 'utf8',
    env: { ...process.env, ATLAS_MAX_MEMORY: '1M' },
    timeout: 240_000,
  });
}

function units(db: string): number {
  const store = new Store(db);
  try {
    return (store.db.prepare('SELECT COUNT(*) AS n FROM units').get() as { n: number }).n;
  } finally {
    store.close();
  }
}

describe('analyze on a machine with too little memory', { timeout: 300_000 }, () => {
  it('refuses before it starts, saying what does not fit and that --force starts it anyway', () => {
    const db = join(dir, 'refused.sqlite');
    const r = analyze(db, []);
    expect(r.status, String(r.stderr)).not.toBe(0);
    expect(String(r.stderr)).toMatch(/1 MB free beyond the \d+ MB in use\. This does not fit: (weights|gradients) needs ~\d+(\.\d+)? [MG]B more; use fewer threads, a smaller probe or fewer checkpoints, or force it .*\(--force starts it anyway\)/);
    expect(String(r.stderr)).not.toMatch(/Error:|at .*\.js:\d+/);
    expect(units(db)).toBe(0);
  });

  it('runs with --force', () => {
    const db = join(dir, 'forced.sqlite');
    const r = analyze(db, ['--force']);
    expect(r.status, String(r.stderr)).toBe(0);
    expect(units(db)).toBeGreaterThanOrEqual(2 * made.steps.length);
  });
});
