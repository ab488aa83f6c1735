// Sharded sweeps without a scheduler: `analyze --shard i/N` processes run one after another (the
// worst order for the histogram barrier), rerun, merged; the merged export is byte-identical to
// one process's, merging twice changes nothing, and bad shards are refused by name while the
// merged cache keeps what it held. Real processes, real SQLite files.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { makeRun } from './make-run';
import { CLI, ROOT, SWEEP_ANALYSES, cli, expectSameExport, exportOf } from './sweep-helpers';
import { UNITS } from '../../main/jobs/units';

// Every step spawns the CLI; on a loaded two-core machine a step can take minutes.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

let dir: string;
let runRoot: string;
let single: Map<string, Buffer>;
const N = 3;
const shard = (i: number): string => join(dir, 'out', `shard-${i}-of-${N}.sqlite`);

function units(db: string): Array<{ key: string; finished: number }> {
  const c = new Database(db, { readonly: true });
  try {
    return (c.prepare('SELECT checkpoint_id, analysis, finished_at FROM units ORDER BY 1, 2').all() as Array<{ checkpoint_id: string; analysis: string; finished_at: number }>).map((r) => ({ key: `${r.checkpoint_id}/${r.analysis}`, finished: r.finished_at }));
  } finally {
    c.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-sweep-'));
  runRoot = join(dir, 'run');
  makeRun(runRoot, { checkpoints: 7, d: 16, layers: 2, vocab: 320, seed: 11 });
  const r = cli(['analyze', runRoot, '--db', join(dir, 'single.sqlite'), '--analyses', SWEEP_ANALYSES, '--threads', '1']);
  if (r.status !== 0) throw new Error(r.stderr);
  single = exportOf(join(dir, 'single.sqlite'), join(dir, 'exp-single'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analyze --shard, merge, status', () => {
  it('shards run one after another wait for each other, resume, and merge into the single-process export', () => {
    mkdirSync(join(dir, 'out'));
    // Shards 0 and 1 finish their statistics but their histograms need shard 2's: exit 75.
    for (const i of [0, 1]) {
      const r = cli(['analyze', runRoot, '--db', shard(i), '--shard', `${i}/${N}`, '--analyses', SWEEP_ANALYSES, '--threads', '1']);
      expect(r.status, r.stderr).toBe(75);
      expect(r.stderr).toMatch(new RegExp(`shard\\(s\\) ${i === 0 ? '1, 2' : '2'} of 3 have not finished`));
    }
    const st = cli(['status', join(dir, 'out')]);
    expect(st.stdout).toMatch(/0\s+waiting/);
    expect(st.stdout).toMatch(/2\s+not started\s+\d+\/\d+/);
    expect(st.status).toBe(4);
    const r2 = cli(['analyze', runRoot, '--db', shard(2), '--shard', `2/${N}`, '--analyses', SWEEP_ANALYSES, '--threads', '1']);
    expect(r2.status, r2.stderr).toBe(0);
    const before = [units(shard(0)), units(shard(1))];
    for (const i of [0, 1]) {
      const r = cli(['analyze', runRoot, '--db', shard(i), '--shard', `${i}/${N}`, '--analyses', SWEEP_ANALYSES, '--threads', '1']);
      expect(r.status, r.stderr).toBe(0);
      // Nothing stored before is recomputed: every earlier unit keeps its finish time.
      const after = new Map(units(shard(i)).map((u) => [u.key, u.finished]));
      for (const u of before[i]) expect(after.get(u.key)).toBe(u.finished);
      expect(r.stderr).toMatch(new RegExp(`${before[i].length} already cached \\(skipped\\)`));
    }
    // Every unit is computed by exactly one shard.
    const all = [0, 1, 2].flatMap((i) => units(shard(i)).map((u) => u.key));
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(7 * 5);
    const st2 = cli(['status', join(dir, 'out')]);
    expect(st2.stdout).toMatch(/total: 35\/35 units \(100%\), 0 failed/);
    expect(st2.status).toBe(0);

    const m = cli(['merge', join(dir, 'merged.sqlite'), shard(0), shard(1), shard(2)]);
    expect(m.status, m.stdout + m.stderr).toBe(0);
    expect(m.stdout).toMatch(/complete, all 35 units/);
    expectSameExport(single, exportOf(join(dir, 'merged.sqlite'), join(dir, 'exp-merged')));
  });

  it('merging the same shards again changes nothing', () => {
    const bytes = units(join(dir, 'merged.sqlite'));
    const m = cli(['merge', join(dir, 'merged.sqlite'), shard(2), shard(0), shard(1), shard(2)]);
    expect(m.status, m.stdout + m.stderr).toBe(0);
    expect(m.stdout).toMatch(/shard-2-of-3.sqlite: 0 units merged/);
    expect(units(join(dir, 'merged.sqlite'))).toEqual(bytes);
    expectSameExport(single, exportOf(join(dir, 'merged.sqlite'), join(dir, 'exp-merged-2')));
  });

  it('a partial merge reports the missing units per shard, and completes when the rest arrives', () => {
    const out = join(dir, 'partial.sqlite');
    const m = cli(['merge', out, shard(1)]);
    expect(m.status).toBe(3);
    expect(m.stdout).toMatch(/units missing:/);
    expect(m.stdout).toMatch(/shard 0: \d+ missing \(step_?0? ?/);
    expect(m.stdout).toMatch(/shard 2: \d+ missing/);
    expect(m.stdout).not.toMatch(/shard 1: /);
    const m2 = cli(['merge', out, shard(0), shard(2)]);
    expect(m2.status).toBe(0);
  });

  describe('bad input: a clear error naming the file, and the merged cache keeps everything', () => {
    const target = (): string => join(dir, 'merged.sqlite');
    const snapshot = (): string => JSON.stringify(units(target()));

    it('a truncated shard', () => {
      const bad = join(dir, 'bad', 'shard-0-of-3.sqlite');
      mkdirSync(join(dir, 'bad'), { recursive: true });
      copyFileSync(shard(0), bad);
      truncateSync(bad, Math.floor(statSync(bad).size / 2));
      const before = snapshot();
      const m = cli(['merge', target(), bad]);
      expect(m.status).toBe(1);
      expect(m.stdout).toContain(bad);
      expect(m.stdout).toMatch(/damaged|truncated|not a readable/);
      expect(snapshot()).toBe(before);
    });

    it('a shard of another run', () => {
      const other = join(dir, 'other-run');
      makeRun(other, { checkpoints: 3, d: 8, seed: 5 });
      const db = join(dir, 'other', 'shard-0-of-1.sqlite');
      const r = cli(['analyze', other, '--db', db, '--shard', '0/1', '--analyses', 'weights', '--threads', '1']);
      expect(r.status, r.stderr).toBe(0);
      const before = snapshot();
      const m = cli(['merge', target(), db]);
      expect(m.status).toBe(1);
      expect(m.stdout).toContain(`${db}: is a shard of another run`);
      expect(snapshot()).toBe(before);
    });

    it('another unit version', () => {
      const db = join(dir, 'vers', 'shard-1-of-3.sqlite');
      mkdirSync(join(dir, 'vers'), { recursive: true });
      copyFileSync(shard(1), db);
      const c = new Database(db);
      c.prepare(`UPDATE units SET version = version + 1 WHERE analysis = 'spectra'`).run();
      c.close();
      // A fresh merged cache: the first shard is accepted, the other version refused.
      const out = join(dir, 'vers-merged.sqlite');
      const m = cli(['merge', out, shard(0), db]);
      expect(m.status).toBe(1);
      // The shard's spectra units are one version ahead of this build's spectra descriptor.
      expect(m.stdout).toContain(`${db}: mixed unit versions: its spectra results are version ${UNITS.spectra.version + 1}, others are version ${UNITS.spectra.version}`);
      expect(units(out).length).toBe(units(shard(0)).length);
    });

    it('another probe batch (activation results computed with other probe settings)', () => {
      const db = join(dir, 'probe', 'shard-2-of-3.sqlite');
      mkdirSync(join(dir, 'probe'), { recursive: true });
      copyFileSync(shard(2), db);
      // The same shard's units under the activations analysis, stamped with another probe context.
      const c = new Database(db);
      c.prepare(`UPDATE units SET analysis = 'activations', ctx = 'another-probe' WHERE analysis = 'fits'`).run();
      c.close();
      const out = join(dir, 'probe-merged.sqlite');
      const c2 = cli(['merge', out, shard(2)]);
      expect(c2.status).toBe(3);
      const o = new Database(out);
      o.prepare(`UPDATE units SET analysis = 'activations' WHERE analysis = 'fits'`).run();
      o.close();
      const before = JSON.stringify(units(out));
      const m = cli(['merge', out, db]);
      expect(m.status).toBe(1);
      expect(m.stdout).toContain(`${db}: activations at`);
      expect(m.stdout).toContain('another probe batch');
      expect(JSON.stringify(units(out))).toBe(before);
    });

    it('an OUT_DIR that is not writable (merge and analyze --shard)', () => {
      const ro = join(dir, 'readonly');
      mkdirSync(ro);
      chmodSync(ro, 0o555);
      const asRoot = process.getuid?.() === 0;
      // root writes anywhere: run the CLI as nobody there, as a cluster user without rights would.
      const run = (args: string[]): { status: number | null; out: string } => {
        const r = asRoot
          ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ATLAS_SKIP_BUILD: '1', HOME: ro } })
          : cli(args);
        return { status: r.status, out: r.stdout + r.stderr };
      };
      const m = run(['merge', join(ro, 'merged.sqlite'), shard(0)]);
      expect(m.status).toBe(1);
      expect(m.out).toContain(`${ro}: the merged cache folder is not writable`);
      const a = run(['analyze', runRoot, '--db', join(ro, 'shard-0-of-2.sqlite'), '--shard', '0/2']);
      expect(a.status).toBe(1);
      expect(a.out).toContain(`${ro}: the sweep's output folder is not writable`);
      expect(existsSync(join(ro, 'merged.sqlite'))).toBe(false);
      expect(existsSync(join(ro, 'shard-0-of-2.sqlite'))).toBe(false);
    });
  });
});
