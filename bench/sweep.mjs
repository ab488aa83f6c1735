#!/usr/bin/env node
// The full weight sweep of a Pythia-160m-shaped series (3 checkpoints, d 768, 12 layers, vocabulary
// 50304, float16; bench/make_bench_run.py): statistics, histograms, fits and spectra by
// `checkpoint-atlas analyze --analyses weights,fits,spectra` against bench/sweep_torch.py
// (statistics, histograms, torch.linalg.svdvals in float64), same thread count, one invocation.
// Reports wall and CPU seconds (user + system: what each side did, whatever else ran), peak RSS
// against 3x the largest tensor + 300 MB, the split of our time by unit kind (each unit's wall
// seconds summed over the worker threads, main/jobs/meter.ts), and the sweep estimate
// (main/jobs/estimate.ts) against what happened: first with the default rates, then again after
// the first sweep calibrated this machine (same cache, results cleared). Prints Markdown.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
const PY = '/usr/bin/python3';
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const run = process.env.BENCH_SWEEP_RUN ?? join(tmp, 'sweep-160m');
mkdirSync(tmp, { recursive: true });

/** Wall seconds, CPU seconds (from /usr/bin/time) and peak RSS (VmHWM sampled) of a command. */
function timed(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let peakKb = 0;
    const timer = setInterval(() => {
      // /usr/bin/time's child is the measured process.
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
        for (const pid of kids) {
          const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (m) peakKb = Math.max(peakKb, Number(m[1]));
        }
      } catch {}
    }, 50);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      const m = /CPU ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err.slice(-2000)}`));
      else resolve({ seconds, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, peakMb: peakKb / 1024, out, err });
    });
  });
}

if (!existsSync(join(run, 'step_2000', 'model.safetensors'))) {
  process.stderr.write(`making the 160m-shaped run in ${run} ...\n`);
  const r = spawnSync(PY, [join(root, 'bench', 'make_bench_run.py'), run, '3', '768', '12', '50304'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}
const header = JSON.parse(spawnSync(PY, ['-c', `import json,struct,math;f=open(${JSON.stringify(join(run, 'step_0', 'model.safetensors'))},'rb');n=struct.unpack('<Q',f.read(8))[0];h=json.loads(f.read(n));h.pop('__metadata__',None);print(json.dumps({'params':sum(math.prod(v['shape']) for v in h.values()),'largest':max(math.prod(v['shape']) for v in h.values())}))`], { encoding: 'utf8' }).stdout);

process.stderr.write('sweep: torch ...\n');
const torch = await timed(PY, [join(root, 'bench', 'sweep_torch.py'), run, String(THREADS)]);
const tj = JSON.parse(torch.out.trim().split('\n').pop());

const db = join(tmp, 'sweep.sqlite');
for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
const analyze = () => timed(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), 'analyze', run, '--analyses', 'weights,fits,spectra', '--threads', String(THREADS), '--db', db]);
process.stderr.write('sweep: checkpoint-atlas (cold cache, default calibration) ...\n');
const first = await analyze();
// Second sweep: same cache (its calibration from the first), results cleared.
const requireNative = createRequire(join(root, 'package.json'));
const Database = requireNative('better-sqlite3');
const conn = new Database(db);
conn.exec('DELETE FROM units; DELETE FROM scalars; DELETE FROM arrays; DELETE FROM run_params;');
conn.close();
process.stderr.write('sweep: checkpoint-atlas (calibrated by the first sweep) ...\n');
const second = await analyze();

function parse(r) {
  const est = /estimate: (\d+) units on \d+ checkpoint\(s\)[^:]*: ~([^,]+), peak ~([\d.]+ [MG]B)/.exec(r.err);
  const took = /took ([^(]+) \(estimated ([^)]+)\), peak ([\d.]+ [MG]B) \(estimated ([\d.]+ [MG]B)\)/.exec(r.err);
  const split = /unit seconds \(summed over threads\): (.*)/.exec(r.err);
  const units = split ? [...split[1].matchAll(/([\w-]+) ([\d.]+) s \/ (\d+) \(peak ([\d.]+ [MG]B)\)/g)].map((m) => ({ unit: m[1], seconds: Number(m[2]), units: Number(m[3]), peak: m[4] })) : [];
  return { estSeconds: took?.[2]?.trim() ?? est?.[2] ?? '?', estPeak: took?.[4] ?? est?.[3] ?? '?', tookPeak: took?.[3] ?? '?', units };
}
const p1 = parse(first);
const p2 = parse(second);
const bound = (3 * header.largest * 4) / 2 ** 20 + 300;
const row = (label, r) => `| ${label} | ${r.seconds.toFixed(1)} | ${(r.seconds / torch.seconds).toFixed(2)}x | ${r.cpu.toFixed(1)} | ${(r.cpu / torch.cpu).toFixed(2)}x | ${r.peakMb.toFixed(0)} | ${r.peakMb <= bound ? 'met' : 'not met'} |`;
const unitTotal = p1.units.reduce((a, u) => a + u.seconds, 0) || 1;
const fmtSplit = (p) => p.units.map((u) => `${u.unit} ${u.seconds.toFixed(1)} s (${((100 * u.seconds) / (p.units.reduce((a, x) => a + x.seconds, 0) || 1)).toFixed(0)}%)`).join(', ');

process.stdout.write(`Run: 3 checkpoints of a Pythia-160m-shaped GPT-NeoX (d 768, 12 layers, V 50304; ${(header.params / 1e6).toFixed(1)}M parameters, float16), \`bench/make_bench_run.py\`.
Ours: \`checkpoint-atlas analyze --analyses weights,fits,spectra --threads ${THREADS}\` (statistics, distances, histograms, Gaussian/logistic/Student-t fits with QQ frames, all singular values; cold cache). Torch: \`bench/sweep_torch.py\` (statistics, distances, histograms, \`torch.linalg.svdvals\` in float64; no fits). Wall and CPU seconds include process start and file reads; CPU = user + system of the whole process.

| | wall s | / torch | CPU s | / torch | peak RSS MB | 3x largest + 300 = ${bound.toFixed(0)} MB |
|---|---:|---:|---:|---:|---:|---|
| PyTorch ${THREADS} threads (stats ${tj.stats_seconds.toFixed(1)} s, histograms ${tj.histogram_seconds.toFixed(1)} s, svdvals ${tj.svdvals_seconds.toFixed(1)} s) | ${torch.seconds.toFixed(1)} | 1.00x | ${torch.cpu.toFixed(1)} | 1.00x | ${torch.peakMb.toFixed(0)} | |
${row('Checkpoint Atlas, first sweep', first)}
${row('Checkpoint Atlas, second sweep', second)}

Target: ours / torch <= 0.40x (wall). Our time by unit kind (wall seconds of each unit summed over the ${THREADS} worker threads, ${unitTotal.toFixed(0)} s in all): ${fmtSplit(p1)}; second sweep: ${fmtSplit(p2)}.

Estimate before the sweep (main/jobs/estimate.ts) against what happened:

| sweep | calibration | estimated s | measured s | estimated peak | measured peak (meter) | measured peak (VmHWM) MB |
|---|---|---:|---:|---:|---:|---:|
| first | defaults (BENCHMARKS.md rates) | ${p1.estSeconds} | ${first.seconds.toFixed(0)} s | ${p1.estPeak} | ${p1.tookPeak} | ${first.peakMb.toFixed(0)} |
| second | measured by the first | ${p2.estSeconds} | ${second.seconds.toFixed(0)} s | ${p2.estPeak} | ${p2.tookPeak} | ${second.peakMb.toFixed(0)} |
`);
