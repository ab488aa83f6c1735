#!/usr/bin/env node
// Sharded sweep overhead and the measured rates behind docs/SCALE.md's cost model.
// One process (`analyze --threads 1`) against N = 4 shards (`analyze --shard i/4 --threads 1`)
// on the same machine, run one after another in the worst order for the histogram barrier
// (shards 0-2 stop at it and are rerun), then `merge`; the merged export must equal the single
// one byte for byte. The single sweep also calibrates this machine's rates (main/jobs/estimate.ts
// writes them into the cache's `calibration` table); they are printed and written to
// bench/.tmp/shard-rates.json for bench/scale-model.mjs, which extrapolates to Pythia sizes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
const N = 4;
const CKPTS = Number(process.env.BENCH_SHARD_CHECKPOINTS ?? 4);
// Model shape (make_bench_run.py's d, layers, vocab); the default is the 70M-shaped bench run.
const SHAPE = (process.env.BENCH_SHARD_SHAPE ?? '512,6,50304').split(',').map(Number);
const ANALYSES = 'weights,fits,spectra,embedding';
const CLI = join(root, 'bin', 'checkpoint-atlas.mjs');

/**
 * Runs the CLI; wall seconds and CPU seconds (user + system of the process and its threads, from
 * bash's `times`): on a shared machine the CPU seconds measure the work whatever else runs.
 */
function timed(args, okCodes = [0]) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const script = '"$@"; rc=$?; times >&2; exit $rc';
    const child = spawn('bash', ['-c', script, 'bash', process.execPath, CLI, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ATLAS_SKIP_BUILD: '1' } });
    let err = '';
    child.stdout.on('data', () => {});
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      const lines = err.trim().split('\n');
      const toS = (t) => { const m = /(\d+)m([\d.]+)s/.exec(t); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; };
      const [u, sy] = (lines[lines.length - 1] ?? '').trim().split(/\s+/);
      const cpu = toS(u ?? '') + toS(sy ?? '');
      if (!okCodes.includes(code)) reject(new Error(`${args.join(' ')} exited ${code}:\n${err}`));
      else resolve({ seconds, cpu, code, err });
    });
  });
}

const run = join(tmp, `shard-run-${(process.env.BENCH_SHARD_SHAPE ?? '512,6,50304').replace(/,/g, 'x')}`);
mkdirSync(tmp, { recursive: true });
const complete = () => existsSync(join(run, `step_${(CKPTS - 1) * 1000}`, 'model.safetensors')) && !existsSync(join(run, `step_${CKPTS * 1000}`));
if (!complete()) {
  rmSync(run, { recursive: true, force: true });
  process.stderr.write(`making a ${CKPTS}-checkpoint run in ${run} ...\n`);
  const r = spawnSync('/usr/bin/python3', [join(root, 'bench', 'make_bench_run.py'), run, String(CKPTS), ...SHAPE.map(String)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}
const work = join(tmp, 'shard-work');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'out'), { recursive: true });

process.stderr.write('one process ...\n');
const single = await timed(['analyze', run, '--db', join(work, 'single.sqlite'), '--analyses', ANALYSES, '--threads', '1', '--force']);
const shardWalls = new Array(N).fill(0);
const shardCpu = new Array(N).fill(0);
const shardDb = (i) => join(work, 'out', `shard-${i}-of-${N}.sqlite`);
for (const pass of [0, 1]) {
  for (let i = 0; i < N; i++) {
    process.stderr.write(`shard ${i}/${N} pass ${pass} ...\n`);
    const r = await timed(['analyze', run, '--db', shardDb(i), '--shard', `${i}/${N}`, '--analyses', ANALYSES, '--threads', '1', '--force'], [0, 75]);
    shardWalls[i] += r.seconds;
    shardCpu[i] += r.cpu;
  }
}
const merge = await timed(['merge', join(work, 'merged.sqlite'), ...Array.from({ length: N }, (_, i) => shardDb(i))]);
await timed(['export', '--db', join(work, 'single.sqlite'), '--out', join(work, 'exp-single')]);
await timed(['export', '--db', join(work, 'merged.sqlite'), '--out', join(work, 'exp-merged')]);
const files = readdirSync(join(work, 'exp-single')).filter((f) => f === 'scalars.csv' || f.endsWith('.jsonl'));
const identical = files.every((f) => readFileSync(join(work, 'exp-single', f)).equals(readFileSync(join(work, 'exp-merged', f))));

// Per-unit seconds of the single sweep: the calibrated rates (core-seconds per unit of work) and
// each unit's measured wall seconds from the units table.
const db = new Database(join(work, 'single.sqlite'), { readonly: true });
const calibration = Object.fromEntries(db.prepare('SELECT key, value FROM calibration').all().map((r) => [r.key.split(':').pop(), JSON.parse(r.value)]));
const units = db.prepare('SELECT analysis, count(*) AS n FROM units GROUP BY analysis').all();
db.close();
const header = readFileSync(join(run, 'step_0', 'model.safetensors'));
const meta = JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString('utf8'));
const params = Object.entries(meta).filter(([k]) => k !== '__metadata__').reduce((a, [, v]) => a + v.shape.reduce((x, y) => x * y, 1), 0);
writeFileSync(join(tmp, 'shard-rates.json'), JSON.stringify({ measuredAt: new Date().toISOString(), checkpoints: CKPTS, params, singleSeconds: single.seconds, singleCpu: single.cpu, calibration }, null, 2));

const sum = shardWalls.reduce((a, b) => a + b, 0);
const sumCpu = shardCpu.reduce((a, b) => a + b, 0);
const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const total = units.reduce((a, u) => a + u.n, 0);
console.log(`Run: ${CKPTS} checkpoints of a synthetic GPT-NeoX (d=${SHAPE[0]}, ${SHAPE[1]} layers, V=${SHAPE[2]}; ${(params / 1e6).toFixed(1)}M parameters, float16), \`bench/make_bench_run.py\`; analyses ${ANALYSES} (${total} units). Every process \`--threads 1\`, one after another on this machine (wall-clock, including process start and file reads). The shards run in the worst order for the histogram barrier: shards 0-2 stop at it (exit 75) and are started again, as a requeued Slurm task would be.

| | wall seconds | CPU seconds |
|---|---:|---:|
| one process | ${single.seconds.toFixed(1)} | ${single.cpu.toFixed(1)} |
| ${N} shards, sum of their processes | ${sum.toFixed(1)} | ${sumCpu.toFixed(1)} |
| ${N} shards, largest shard (what ${N} nodes wait for) | ${Math.max(...shardWalls).toFixed(1)} | ${Math.max(...shardCpu).toFixed(1)} |
| merge of the ${N} shard caches | ${merge.seconds.toFixed(1)} | ${merge.cpu.toFixed(1)} |

Shard overhead in CPU seconds (sum of shards + merge, over one process): **${(((sumCpu + merge.cpu) / single.cpu - 1) * 100).toFixed(0)}%** (wall: ${(((sum + merge.seconds) / single.seconds - 1) * 100).toFixed(0)}%; load average ${load} on this shared machine when it ended, so CPU seconds are the figure to read). Speed-up with ${N} nodes (one process / (largest shard + merge), CPU seconds): **${(single.cpu / (Math.max(...shardCpu) + merge.cpu)).toFixed(2)}x**. Merged export byte-identical to the single process's (scalars.csv and every .jsonl): **${identical ? 'yes' : 'NO'}**. The overhead is per process (${2 * N - 1} more processes than one sweep: ${N} shards, ${N - 1} restarts after the barrier, the merge): ${((sumCpu + merge.cpu - single.cpu) / (2 * N - 1)).toFixed(1)} CPU-s each (Node start, module load, scan, plan), fixed, so it vanishes next to a large run's units (a Pythia-12B checkpoint takes hours of CPU, docs/SCALE.md).`);
