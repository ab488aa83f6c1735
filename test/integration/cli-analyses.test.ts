// `checkpoint-atlas analyze --analyses` knows every analysis of the registry
// (common/analyses/index.ts): head-spectra was missing from a hand-kept list in main/cli.ts, so
// the CLI refused an analysis the app ran. This spawns the built CLI on a tiny run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANALYSIS_IDS } from '../../common/analyses';
import { Store } from '../../main/store/store';
import { projectRoot } from '../../main/paths';
import { makeRun, type MadeRun } from './make-run';

let dir: string;
let made: MadeRun;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-cli-analyses-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 2, d: 8, layers: 1, vocab: 300 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function analyze(db: string, analyses: string): ReturnType<typeof spawnSync> {
  const cli = join(projectRoot(), 'out', 'main', 'cli.js');
  return spawnSync(process.execPath, [cli, 'analyze', made.root, '--db', db, '--analyses', analyses, '--threads', '1'], { encoding: 'utf8', timeout: 240_000 });
}

describe('analyze --analyses', { timeout: 300_000 }, () => {
  it('runs head-spectra, which the registry holds, and stores its units', () => {
    const db = join(dir, 'head-spectra.sqlite');
    const r = analyze(db, 'head-spectra');
    expect(r.status, String(r.stderr)).toBe(0);
    const store = new Store(db);
    try {
      const kinds = store.db.prepare('SELECT analysis AS kind, COUNT(*) AS n FROM units GROUP BY analysis').all() as { kind: string; n: number }[];
      expect(kinds.map((k) => k.kind)).toEqual(['head-spectra']);
      expect(kinds[0]?.n).toBe(made.steps.length);
    } finally {
      store.close();
    }
  });

  it('refuses an unknown analysis, listing every analysis of the registry', () => {
    const r = analyze(join(dir, 'unknown.sqlite'), 'weights,spectrum');
    expect(r.status).toBe(2);
    const listed = /known: ([^)]*)\)/.exec(String(r.stderr))?.[1]?.split(', ');
    expect(listed).toEqual([...ANALYSIS_IDS]);
  });
});
