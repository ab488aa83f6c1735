// A real one-node Slurm cluster (Debian's slurm-wlm + munge, daemons from a temporary config by
// deploy/slurm/local-cluster.sh, stopped by PID afterwards) runs deploy/slurm/sweep.sbatch as a
// 4-task array: the merged export is byte-identical to one process's, and a task killed mid-way
// and resubmitted alone completes the sweep without recomputing anything it had stored.
// Without root or Slurm the suite is skipped, and says so and why (CI installs Slurm: .ci/run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeRun } from './make-run';
import { ROOT, SWEEP_ANALYSES, cli, expectSameExport, exportOf } from './sweep-helpers';

const SCRIPT = join(ROOT, 'deploy', 'slurm', 'local-cluster.sh');
const SWEEP = join(ROOT, 'deploy', 'slurm', 'sweep.sbatch');

function whyNoSlurm(): string | null {
  if (process.platform !== 'linux') return 'Slurm runs on Linux only';
  for (const b of ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch']) {
    if (!existsSync(b)) return `${b} is not installed (apt-get install slurm-wlm munge; .ci/run does it)`;
  }
  if (process.getuid?.() !== 0) return 'starting the Slurm daemons needs root (SlurmUser=root)';
  if (process.env.ATLAS_SKIP_SLURM === '1') return 'ATLAS_SKIP_SLURM=1';
  return null;
}
const why = whyNoSlurm();
if (why) console.log(`slurm.test.ts: SKIPPED, the real-Slurm sweep test did not run: ${why}`);

let dir: string;
let runRoot: string;
let single: Map<string, Buffer>;
let slurmEnv: NodeJS.ProcessEnv = {};
let pids: number[] = [];

function slurm(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...slurmEnv, ...extra }, timeout: 1_500_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sweepEnv(): NodeJS.ProcessEnv {
  return { ATLAS_ANALYSES: SWEEP_ANALYSES, ATLAS_WAIT_SECONDS: '120', ATLAS_NODE: process.execPath, ATLAS_PROJECT_DIR: ROOT };
}

function unitsOf(db: string): Map<string, number> {
  if (!existsSync(db)) return new Map();
  const c = new Database(db, { readonly: true });
  try {
    const t = c.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'units'`).get() as { n: number };
    if (!t.n) return new Map();
    return new Map((c.prepare('SELECT checkpoint_id, analysis, finished_at FROM units').all() as Array<{ checkpoint_id: string; analysis: string; finished_at: number }>).map((r) => [`${r.checkpoint_id}/${r.analysis}`, r.finished_at]));
  } catch {
    return new Map();
  } finally {
    c.close();
  }
}

function logs(folder: string): string {
  return existsSync(folder) ? readdirSync(folder).map((f) => `--- ${f}\n${readFileSync(join(folder, f), 'utf8')}`).join('\n') : '';
}

async function untilQueueEmpty(jobId: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const q = slurm('squeue', ['-h', '-j', jobId]);
    if (q.status === 0 && !q.stdout.trim()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`job ${jobId} still queued after ${seconds} s: ${slurm('squeue', ['-j', jobId]).stdout}`);
}

describe.skipIf(why !== null)('Slurm job array sweep (real slurmctld + slurmd)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'atlas-slurm-'));
    runRoot = join(dir, 'run');
    makeRun(runRoot, { checkpoints: 10, d: 32, layers: 2, vocab: 400, seed: 3 });
    const r = cli(['analyze', runRoot, '--db', join(dir, 'single.sqlite'), '--analyses', SWEEP_ANALYSES, '--threads', '1']);
    if (r.status !== 0) throw new Error(r.stderr);
    single = exportOf(join(dir, 'single.sqlite'), join(dir, 'exp-single'));
    // Requeued tasks start again after cred_expire + 1 s (Slurm's default 120 s is for real
    // clusters); 4 CPUs so that the 4 tasks run at once and meet at the histogram barrier (a task
    // that waits longer than ATLAS_WAIT_SECONDS requeues itself, as in the kill test below).
    const out = execFileSync('bash', [SCRIPT, 'start', join(dir, 'cluster')], { encoding: 'utf8', env: { ...process.env, ATLAS_CRED_EXPIRE: '5', ATLAS_NODE_CPUS: '4' } });
    slurmEnv = { SLURM_CONF: /SLURM_CONF=(\S+)/.exec(out)![1] };
    pids = /PIDS=([\d ]+)/.exec(out)![1].trim().split(/\s+/).map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(2);
  }, 900_000);

  afterAll(() => {
    if (slurmEnv.SLURM_CONF) slurm('scancel', ['--user', 'root']);
    if (dir) execFileSync('bash', [SCRIPT, 'stop', join(dir, 'cluster')]);
    // Every daemon this test started is gone.
    for (const pid of pids) {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
      expect(alive, `daemon ${pid} still running`).toBe(false);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a 4-task array (sbatch --wait) merges into an export byte-identical to one process', () => {
    const out = join(dir, 'sweep');
    const logDir = join(dir, 'logs-1');
    mkdirSync(logDir);
    const r = slurm('sbatch', ['--wait', '--array=0-3', `--output=${logDir}/%A_%a.log`, SWEEP, out, runRoot], sweepEnv());
    expect(r.status, `${r.stdout}${r.stderr}${logs(logDir)}`).toBe(0);
    const shards = [0, 1, 2, 3].map((i) => join(out, `shard-${i}-of-4.sqlite`));
    for (const s of shards) expect(existsSync(s), s).toBe(true);
    const m = cli(['merge', join(out, 'merged.sqlite'), ...shards]);
    expect(m.status, m.stdout + m.stderr).toBe(0);
    expect(m.stdout).toMatch(/complete, all 50 units/);
    const names = expectSameExport(single, exportOf(join(out, 'merged.sqlite'), join(dir, 'exp-1')));
    expect(names).toEqual(expect.arrayContaining(['scalars.csv', 'histograms.jsonl', 'spectra.jsonl', 'qq.jsonl', 'embedding_correlation.jsonl']));
    const st = cli(['status', out]);
    expect(st.stdout).toMatch(/total: 50\/50 units \(100%\), 0 failed/);
  }, 1_800_000);

  it('a task killed mid-way and resubmitted alone completes the sweep, recomputing nothing it stored', async () => {
    const out = join(dir, 'sweep-kill');
    const logDir = join(dir, 'logs-2');
    mkdirSync(logDir);
    const sub = slurm('sbatch', ['--parsable', '--array=0-3', `--output=${logDir}/%A_%a.log`, SWEEP, out, runRoot], sweepEnv());
    expect(sub.status, sub.stderr).toBe(0);
    const jobId = sub.stdout.trim().split(';')[0];
    // Kill task 0 as soon as it has stored some, not all, of its units.
    const db0 = join(out, 'shard-0-of-4.sqlite');
    let stored = new Map<string, number>();
    const deadline = Date.now() + 900_000;
    for (;;) {
      stored = unitsOf(db0);
      if (stored.size >= 1) break;
      if (Date.now() > deadline) throw new Error(`task 0 stored nothing in 900 s${logs(logDir)}`);
      await new Promise((r) => setTimeout(r, 40));
    }
    const k = slurm('scancel', ['--signal=KILL', `${jobId}_0`]);
    expect(k.status, k.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    stored = unitsOf(db0);
    const plannedForShard0 = (JSON.parse(readFileSync(join(out, 'shard-0-of-4.status.json'), 'utf8')) as { sweepTotals: number[] }).sweepTotals[0];
    expect(stored.size).toBeGreaterThan(0);
    expect(stored.size, 'task 0 finished before it could be killed').toBeLessThan(plannedForShard0);
    const stateOf0 = slurm('squeue', ['-h', '-j', `${jobId}_0`, '-o', '%T']).stdout.trim();
    expect(stateOf0).not.toBe('RUNNING');

    // Resubmit only index 0 of the 4-task sweep.
    const again = slurm('sbatch', ['--wait', '--array=0', `--output=${logDir}/resubmit-%A_%a.log`, SWEEP, out, runRoot], { ...sweepEnv(), ATLAS_SHARDS: '4' });
    expect(again.status, `${again.stdout}${again.stderr}${logs(logDir)}`).toBe(0);
    await untilQueueEmpty(jobId, 1200);
    const after = unitsOf(db0);
    expect(after.size).toBe(plannedForShard0);
    for (const [key, finished] of stored) expect(after.get(key), `${key} was recomputed`).toBe(finished);
    const resubmitLog = readdirSync(logDir).filter((f) => f.startsWith('resubmit-')).map((f) => readFileSync(join(logDir, f), 'utf8')).join('');
    expect(resubmitLog).toMatch(new RegExp(`${stored.size} already cached \\(skipped\\)`));

    const shards = [0, 1, 2, 3].map((i) => join(out, `shard-${i}-of-4.sqlite`));
    const m = cli(['merge', join(out, 'merged.sqlite'), ...shards]);
    expect(m.status, m.stdout + m.stderr + logs(logDir)).toBe(0);
    expectSameExport(single, exportOf(join(out, 'merged.sqlite'), join(dir, 'exp-2')));
  }, 2_400_000);
});
