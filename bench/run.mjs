#!/usr/bin/env node
// `npm run bench`: every benchmark of the project against its PyTorch baseline measured in the
// same invocation on the same machine and thread count, written to BENCHMARKS.md with the
// machine's description. Not part of `npm test` (CI runs no timings); needs Debian's python3-torch.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
const PY = '/usr/bin/python3';
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
mkdirSync(tmp, { recursive: true });

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Run a command, sampling its VmHWM (peak resident memory) from /proc; returns seconds and MB. */
function timed(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let peakKb = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {}
    };
    const timer = setInterval(sample, 50);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err}`));
      else resolve({ seconds, peakMb: peakKb / 1024, out, err });
    });
  });
}

function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let torch = 'not installed';
  try {
    torch = sh(PY, ['-c', 'import torch; print(torch.__version__)']).trim();
  } catch {}
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; torch ${torch}; ${THREADS} threads for both sides`;
}

const sections = [];

async function weightSweep() {
  const run = join(tmp, 'weights-run');
  const n = Number(process.env.BENCH_CHECKPOINTS ?? 20);
  if (!existsSync(join(run, `step_${(n - 1) * 1000}`, 'model.safetensors'))) {
    process.stderr.write(`making a ${n}-checkpoint benchmark run in ${run} ...\n`);
    sh(PY, [join(root, 'bench', 'make_bench_run.py'), run, String(n)]);
  }
  process.stderr.write('weight sweep: torch ...\n');
  const torch = await timed(PY, [join(root, 'bench', 'weights_torch.py'), run, String(THREADS)]);
  const torchJson = JSON.parse(torch.out.trim().split('\n').pop());
  const db = join(tmp, 'weights.sqlite');
  rmSync(db, { force: true });
  rmSync(db + '-wal', { force: true });
  rmSync(db + '-shm', { force: true });
  process.stderr.write('weight sweep: checkpoint-atlas ...\n');
  const ours = await timed(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), 'analyze', run, '--analyses', 'weights', '--threads', String(THREADS), '--db', db]);
  const params = JSON.parse(sh(PY, ['-c', `import json,struct;f=open(${JSON.stringify(join(run, 'step_0', 'model.safetensors'))},'rb');n=struct.unpack('<Q',f.read(8))[0];h=json.loads(f.read(n));import math;print(json.dumps({'params':sum(math.prod(v['shape']) for k,v in h.items() if k!='__metadata__'),'largest':max(math.prod(v['shape']) for k,v in h.items() if k!='__metadata__')}))`]));
  const oursRate = torchJson.checkpoints / ours.seconds;
  const torchRate = torchJson.checkpoints / torch.seconds;
  sections.push(`## Weight sweep (statistics + fixed-bin histograms)

Run: ${torchJson.checkpoints} checkpoints of a synthetic GPT-NeoX (d=512, 6 layers, V=50304; ${(params.params / 1e6).toFixed(1)}M parameters, float16 safetensors), \`bench/make_bench_run.py\`.
Ours: \`checkpoint-atlas analyze --analyses weights --threads ${THREADS}\` (moments, distances to init and previous, run-wide fixed-bin histograms; cold cache). Torch: \`bench/weights_torch.py\` (the same statistics and histograms). Both wall-clock including process start and file reads.

| | seconds | checkpoints/s | peak RSS (MB) |
|---|---:|---:|---:|
| PyTorch ${THREADS} threads | ${torch.seconds.toFixed(2)} | ${torchRate.toFixed(2)} | ${torch.peakMb.toFixed(0)} |
| Checkpoint Atlas | ${ours.seconds.toFixed(2)} | ${oursRate.toFixed(2)} | ${ours.peakMb.toFixed(0)} |

Ratio (ours / torch checkpoints per second): **${(oursRate / torchRate).toFixed(2)}x** (target >= 1). Largest tensor ${(params.largest * 4 / 2 ** 20).toFixed(0)} MB as float32; memory bound 3x that + 300 MB = ${(3 * params.largest * 4 / 2 ** 20 + 300).toFixed(0)} MB: ${ours.peakMb <= 3 * params.largest * 4 / 2 ** 20 + 300 ? '**met**' : '**not met**'} (${ours.peakMb.toFixed(0)} MB, ${THREADS} worker threads).
`);
}

async function external(name, script) {
  const path = join(root, 'bench', script);
  if (!existsSync(path)) {
    sections.push(`## ${name}\n\nnot measured: ${script} is missing.\n`);
    return;
  }
  process.stderr.write(`${name} ...\n`);
  try {
    const r = await timed(process.execPath, [path]);
    // A script's own headings sit under this section's: demote them, so that a later partial run
    // still finds each section whole.
    sections.push(`## ${name}\n\n${r.out.trim().replace(/^(#{2,}) /gm, '#$1 ')}\n`);
  } catch (err) {
    sections.push(`## ${name}\n\nfailed: ${String(err.message).split('\n').slice(0, 5).join(' ')}\n`);
  }
}

const only = process.argv.slice(2);
const want = (k) => !only.length || only.includes(k);
if (want('weights')) await weightSweep();
if (want('sweep')) await external('Weight sweep with fits and spectra (Pythia-160m shape)', 'sweep.mjs');
if (want('spectra')) await external('Singular value spectra', 'spectra.mjs');
if (want('forward')) await external('Forward and backward passes', 'forward.mjs');
if (want('probes')) await external('Logit lens and induction', 'probes.mjs');
if (want('model-memory')) await external('Model analyses: peak memory', 'model-memory.mjs');
if (want('gif')) await external('GIF export', 'gif.mjs');
if (want('svd')) await external('SVD directions', 'svd-directions.mjs');
if (want('ui')) await external('UI in Chromium', 'ui.mjs');
if (want('compare-ui')) await external('Comparing 8 runs in Chromium', 'compare-ui.mjs');
if (want('shard')) await external('Sharded sweep (N shards vs one process)', 'shard.mjs');
if (want('forecasts')) await external('Forecast back-test', 'forecasts.mjs');

// A partial run (`node bench/run.mjs ui`) replaces only its own sections of BENCHMARKS.md.
const previous = existsSync(join(root, 'BENCHMARKS.md')) ? readFileSync(join(root, 'BENCHMARKS.md'), 'utf8') : '';
const titleOf = (section) => section.split('\n', 1)[0];
const EARLIER = '(from an earlier run of `npm run bench`)';
const HAND_KEPT = '## Measurements behind design choices';
// Sections keep one order whichever of them a partial run refreshed.
const ORDER = ['## Weight sweep (', '## Weight sweep with fits', '## Singular value spectra', '## SVD directions', '## Forward and backward passes', '## Logit lens and induction', '## Model analyses: peak memory', '## GIF export', '## UI in Chromium', '## Comparing 8 runs', '## Sharded sweep', '## Forecast back-test'];
const orderOf = (section) => {
  const i = ORDER.findIndex((t) => titleOf(section).startsWith(t));
  return i < 0 ? ORDER.length : i;
};
const kept = previous
  .split(/^(?=## )/m)
  .slice(1)
  .filter((old) => !sections.some((fresh) => titleOf(fresh) === titleOf(old)))
  // A hand-kept section (one-off measurements cited by modules) is copied as it is.
  .map((old) => (titleOf(old).startsWith(HAND_KEPT) ? `${old.trimEnd()}\n` : `${old.replaceAll(EARLIER, '').trimEnd()}\n\n${EARLIER}\n`));
const doc = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${machine()}.
Every comparison below was measured in one invocation, ours and the baseline side by side.

${[...sections, ...kept].sort((a, b) => orderOf(a) - orderOf(b)).join('\n')}`;
writeFileSync(join(root, 'BENCHMARKS.md'), doc);
process.stdout.write(doc);
