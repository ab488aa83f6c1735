#!/usr/bin/env node
// Peak resident memory (VmHWM) and time of the model analyses (`activations`, `gradients`) at
// --threads 1, before and after the block-streamed run (issue 16): "before" is the whole-model
// graph the units used to feed every weight at once (bench/model-memory-whole.ts, bundled with
// vite), "after" the CLI's `analyze` itself. Shapes: a Pythia-160m-shaped series (d 768, 12
// layers, 12 heads, V 50304, 3 float16 checkpoints) and a 1.4B-shaped checkpoint (d 2048, 24
// layers, 16 heads), made by bench/make_bench_run.py; probe 8 x 128 tokens (the app's default).
// Prints a Markdown section; `npm run bench` puts it in BENCHMARKS.md.
// Usage: node bench/model-memory.mjs [--skip-before-1.4b] [--shapes 160m,1.4b] [--analyses activations,gradients]
// (needs `npm run build` first; --shapes / --analyses measure a part, e.g. the 1.4B rows alone).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const PY = '/usr/bin/python3';
const MB = 1024 * 1024;

function timed(cmd, args) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '', peakKb = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {}
    };
    const timer = setInterval(sample, 25);
    child.stdout.on('data', () => sample());
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ ok: code === 0, seconds: (performance.now() - t0) / 1000, peakMb: (peakKb * 1024) / MB, err: signal ? `killed by ${signal}` : err.split('\n').filter(Boolean).slice(-3).join(' ') });
    });
  });
}

function series(name, args) {
  const dir = join(tmp, name);
  const last = Number(args[0]) === 1 ? 'step_0' : `step_${(Number(args[0]) - 1) * 1000}`;
  if (!existsSync(join(dir, last, 'model.safetensors'))) {
    process.stderr.write(`making ${dir} ...\n`);
    const r = spawnSync(PY, [join(root, 'bench', 'make_bench_run.py'), dir, ...args.map(String)], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('make_bench_run.py failed');
  }
  return dir;
}

const bundle = join(tmp, 'whole.bundle.mjs');
await build({
  configFile: false,
  logLevel: 'warn',
  build: { ssr: join(root, 'bench', 'model-memory-whole.ts'), outDir: tmp, emptyOutDir: false, rollupOptions: { output: { format: 'es', entryFileNames: 'whole.bundle.mjs' } } },
});

async function after(run, analysis) {
  const db = join(tmp, `model-memory-${analysis}.sqlite`);
  for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
  return timed(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), 'analyze', run, '--analyses', analysis, '--threads', '1', '--provider', 'cpu', '--force', '--db', db]);
}

const rows = [];
const cell = (r) => (r ? (r.ok ? `${r.peakMb.toFixed(0)}` : `failed (${r.err.slice(0, 80)})`) : 'not run');
const secs = (r) => (r?.ok ? r.seconds.toFixed(1) : '');
const option = (flag, all) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1].split(',') : all;
};
const wanted = option('--shapes', ['160m', '1.4b']);
const analyses = option('--analyses', ['activations', 'gradients']);
const shapes = [
  { id: '160m', name: 'Pythia-160m-shaped, 3 checkpoints', dir: () => series('model-160m', [3, 768, 12, 50304, 12]), target: 1200, before: true },
  { id: '1.4b', name: 'Pythia-1.4B-shaped, 1 checkpoint', dir: () => series('model-1.4b', [1, 2048, 24, 50304, 16]), target: 3072, before: !process.argv.includes('--skip-before-1.4b') && totalmem() > 64 * 2 ** 30 },
].filter((s) => wanted.includes(s.id));
for (const s of shapes) {
  s.dir = s.dir();
  for (const analysis of analyses) {
    process.stderr.write(`${s.name} ${analysis}: block-streamed ...\n`);
    const a = await after(s.dir, analysis);
    let b = null;
    if (s.before) {
      process.stderr.write(`${s.name} ${analysis}: whole graph ...\n`);
      b = await timed(process.execPath, [bundle, s.dir, analysis, '1']);
    }
    rows.push(`| ${s.name} | ${analysis} | ${cell(b)} | ${secs(b)} | ${cell(a)} | ${secs(a)} | <= ${s.target} | ${a.ok && a.peakMb <= s.target ? 'yes' : 'no'} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
  }
}
console.log(`## Model analyses: peak memory (activations, gradients)

${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; --threads 1; probe 8 x 128 tokens; float16 checkpoints, V = 50304.
Peak = VmHWM of the process. Before = one whole-model graph fed every weight at once (bench/model-memory-whole.ts,
the units' path until issue 16); after = \`checkpoint-atlas analyze\` (block-streamed, main/compute/forward/streamed.ts).
The 1.4B whole-graph run is not attempted on a machine under 64 GiB (issue 16 estimates ~54 GB for it).

| shape | analysis | before: peak MB | before: s | after: peak MB | after: s | target MB | met |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}`);
