#!/usr/bin/env node
// Benchmark: full singular value spectra (main/compute/gram.ts + eigen.ts on onnxruntime) against
// torch.linalg.svdvals in float64, same weights, same thread count, in one invocation. Prints a
// Markdown section for BENCHMARKS.md (bench/run.mjs includes it). Sizes: 2048 x 8192 and
// 5120 x 20480 float32 weights (override: BENCH_SPECTRA_SIZES=2048x8192,1024x4096).
// Each side runs in its own process so that its peak RSS (VmHWM) is its own; the weight file is
// written once by bench/spectra_torch.py and read by both. Also reports the largest deviation of
// our singular values from torch's, relative to s_max.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
const PY = '/usr/bin/python3';
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const lib = join(tmp, 'spectra-lib.mjs');

function peakMb() {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

async function ours(weightPath, rows, cols, threads, torchValuesPath) {
  const { singularValues } = await import(pathToFileURL(lib).href);
  const bytes = readFileSync(weightPath);
  const W = new Float32Array(bytes.buffer, bytes.byteOffset, rows * cols);
  const baseMb = peakMb();
  const timings = {};
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const s = await singularValues(W, rows, cols, { intraOpThreads: threads, timings });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const ref = new Float64Array(readFileSync(torchValuesPath).buffer.slice(0));
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(s[i] - ref[i]));
  process.stdout.write(
    JSON.stringify({ seconds, cpu_seconds: cpuSeconds, peak_mb: peakMb(), base_mb: baseMb, max_rel_err: worst / ref[0], n: s.length, timings }) + '\n',
  );
}

async function main() {
  if (process.argv[2] === '--ours') {
    const [, , , path, rows, cols, threads, ref] = process.argv;
    await ours(path, Number(rows), Number(cols), Number(threads), ref);
    return;
  }
  mkdirSync(tmp, { recursive: true });
  const { build } = await import('rolldown');
  const { watPlugin } = await import('../tools/wat-plugin.mjs');
  await build({
    input: join(root, 'main', 'compute', 'gram.ts'),
    plugins: [watPlugin()], // the eigensolver's WebAssembly kernels (*.wat)
    platform: 'node',
    external: [/^onnxruntime-node/, /^protobufjs/],
    output: { file: lib, format: 'esm' },
    logLevel: 'silent',
  });
  const sizes = (process.env.BENCH_SPECTRA_SIZES ?? '2048x8192,5120x20480').split(',').map((x) => x.split('x').map(Number));
  const rowsOut = [];
  for (const [rows, cols] of sizes) {
    const weight = join(tmp, `spectra-${rows}x${cols}.f32`);
    const torchValues = join(tmp, `spectra-${rows}x${cols}.torch.f64`);
    process.stderr.write(`spectra ${rows} x ${cols}: making weight, torch svdvals ...\n`);
    run(PY, [join(root, 'bench', 'spectra_torch.py'), 'make', weight, String(rows), String(cols), '7']);
    const torch = JSON.parse(run(PY, [join(root, 'bench', 'spectra_torch.py'), 'svd', weight, String(rows), String(cols), String(THREADS), torchValues]).trim().split('\n').pop());
    process.stderr.write(`spectra ${rows} x ${cols}: ours ...\n`);
    const me = JSON.parse(run(process.execPath, [fileURLToPath(import.meta.url), '--ours', weight, String(rows), String(cols), String(THREADS), torchValues]).trim().split('\n').pop());
    rmSync(weight, { force: true });
    rmSync(torchValues, { force: true });
    const tensorMb = (rows * cols * 4) / 2 ** 20;
    const t = me.timings;
    const gramS = ((me.seconds * 1000 - (t.band ?? 0) - (t.tridiagonal ?? 0) - (t.ql ?? 0)) / 1000).toFixed(1);
    rowsOut.push(
      `| ${rows} x ${cols} | ${torch.seconds.toFixed(2)} | ${me.seconds.toFixed(2)} | **${(me.seconds / torch.seconds).toFixed(2)}x** | ` +
        `${torch.cpu_seconds.toFixed(1)} | ${me.cpu_seconds.toFixed(1)} | ${(me.cpu_seconds / torch.cpu_seconds).toFixed(2)}x | ` +
        `${gramS} / ${(t.band / 1000).toFixed(1)} / ${(t.tridiagonal / 1000).toFixed(1)} / ${(t.ql / 1000).toFixed(2)} | ` +
        `${torch.peak_mb.toFixed(0)} | ${me.peak_mb.toFixed(0)} | ${(3 * tensorMb + 300).toFixed(0)} | ${me.max_rel_err.toExponential(1)} |`,
    );
  }
  process.stdout.write(`All min(rows, cols) singular values of a random float32 weight (N(0, 0.02^2)) in float64.
Torch: \`torch.linalg.svdvals\` on the float64 tensor (\`bench/spectra_torch.py\`, ${THREADS} threads; the
float32 -> float64 conversion is not timed). Ours: \`singularValues\` (main/compute/gram.ts: Gram on
onnxruntime, then main/compute/eigen.ts: band reduction on onnxruntime, bulge chasing and QL in JS),
onnxruntime intra-op threads ${THREADS}. Peak RSS is each process's VmHWM and includes the float32 weight
itself; the bound is 3x the weight's float32 bytes + 300 MB. Error: max |s_ours - s_torch| / s_max.
Wall-clock seconds decide the target; CPU seconds (user + system, all threads) are shown because
the machine may be shared: they measure the work each side did whatever else was running.

| weight | torch s | ours s | ours / torch | torch CPU s | ours CPU s | CPU ratio | ours: gram / band / tridiagonal / QL s | torch peak MB | ours peak MB | bound MB | error |
|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|
${rowsOut.join('\n')}

Target: ours / torch <= 1.0 and ours peak <= bound.
`);
}

await main();
