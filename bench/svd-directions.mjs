#!/usr/bin/env node
// Benchmark: SVD directions (DOMAIN.md) of one synthetic checkpoint at Pythia-410m size (d=1024,
// d_ff=4096, 24 layers, 16 heads, V=50304) and Pythia-1.4B size (d=2048, d_ff=8192, 24 layers, 16
// heads), ours (main/compute/directions.ts on onnxruntime) against PyTorch float64
// (bench/svd_directions_torch.py: eigh of W W^T, exact OV route, U @ D, topk), in one invocation,
// same weights, same thread count. Also times the pure-JS implementation this replaced (commit
// BEFORE_COMMIT, fetched from git) on one block and scales it by the layer count (a whole
// checkpoint takes it ~15 min at 410m size; skip with BENCH_SVD_BEFORE=0). Each side runs in its
// own process, so each peak RSS (VmHWM) is its own; wall-clock includes reading the weights.
// Prints a Markdown section for BENCHMARKS.md (bench/run.mjs adds the title).
// Sizes: BENCH_SVD_SIZES=410m,1.4b (default both). Weights are written once under bench/.tmp/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
const PY = '/usr/bin/python3';
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const lib = join(tmp, 'svd-directions-lib.mjs');
const beforeLib = join(tmp, 'svd-directions-before-lib.mjs');
/** The last commit whose main/metrics/svd-directions.ts computed directions in pure JS. */
const BEFORE_COMMIT = 'bcfc75a';
const K = 30;
const TOP = 20;
const SIZES = {
  '410m': { label: 'Pythia-410m size', d: 1024, dff: 4096, layers: 24, heads: 16, vocab: 50304 },
  '1.4b': { label: 'Pythia-1.4B size', d: 2048, dff: 8192, layers: 24, heads: 16, vocab: 50304 },
};

function peakMb() {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

function readF32(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** Ours on the whole checkpoint; compares with torch's record file. */
async function ours(dir, s, refPath) {
  const { blockDirections, prepareUnembedding, gptNeoxHeadSlices } = await import(pathToFileURL(lib).href);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const un = prepareUnembedding(readF32(join(dir, 'unembed.f32')), s.vocab, s.d);
  const blocks = [];
  for (let b = 0; b < s.layers; b++) {
    const w = readF32(join(dir, `mlp${b}.f32`));
    const qkv = readF32(join(dir, `qkv${b}.f32`));
    const dense = readF32(join(dir, `dense${b}.f32`));
    const heads = Array.from({ length: s.heads }, (_, h) => ({ head: h, slices: gptNeoxHeadSlices(qkv, dense, s.d, s.heads, h) }));
    blocks.push(await blockDirections({ mlpOut: { w, dff: s.dff }, heads }, un, String, { directions: K, topK: TOP, intraOpThreads: THREADS }));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  // Torch's records: per direction float64 s, int32 top[TOP], bottom[TOP], in our order.
  const ref = readFileSync(refPath);
  const recordBytes = 8 + 8 * TOP;
  let at = 0;
  let same = 0;
  let flipped = 0;
  const differ = { 'mlp.out': 0, 'attn.ov': 0 };
  let differLowest = Infinity;
  let worstS = 0;
  let count = 0;
  const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const comps of blocks)
    for (const c of comps) {
      const sMax = ref.readDoubleLE(at);
      for (const dir of c.directions) {
        const sRef = ref.readDoubleLE(at);
        const top = Array.from({ length: TOP }, (_, i) => ref.readInt32LE(at + 8 + 4 * i));
        const bottom = Array.from({ length: TOP }, (_, i) => ref.readInt32LE(at + 8 + 4 * TOP + 4 * i));
        at += recordBytes;
        count++;
        worstS = Math.max(worstS, Math.abs(dir.singularValue - sRef) / sMax);
        if (eq(dir.top, top) && eq(dir.bottom, bottom)) same++;
        else if (eq(dir.top, bottom) && eq(dir.bottom, top)) flipped++;
        else {
          differ[c.component]++;
          differLowest = Math.min(differLowest, dir.index);
        }
      }
    }
  if (at !== ref.length) throw new Error(`torch wrote ${ref.length / recordBytes} directions, ours ${count}`);
  const mlp = blocks.map((comps) => comps[0]);
  process.stdout.write(
    JSON.stringify({
      seconds,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      peak_mb: peakMb(),
      directions: count,
      same,
      flipped,
      differ,
      differ_lowest_index: differLowest,
      worst_s: worstS,
      iterations: Math.max(...mlp.map((c) => c.iterations)),
      converged: mlp.filter((c) => c.converged).length,
    }) + '\n',
  );
}

/** The pure-JS implementation of BEFORE_COMMIT on block 0 (unembedding read included once). */
async function before(dir, s) {
  const m = await import(pathToFileURL(beforeLib).href);
  const t0 = performance.now();
  const unembed = readF32(join(dir, 'unembed.f32'));
  const tRead = performance.now() - t0;
  const t1 = performance.now();
  const w = readF32(join(dir, 'mlp0.f32'));
  m.mlpOutDirections(w, s.d, s.dff, unembed, s.vocab, String, { directions: K, topK: TOP });
  m.ovDirectionsGptNeox(readF32(join(dir, 'qkv0.f32')), readF32(join(dir, 'dense0.f32')), s.d, s.heads, unembed, s.vocab, String, { directions: K, topK: TOP });
  const block = (performance.now() - t1) / 1000;
  process.stdout.write(JSON.stringify({ block_seconds: block, checkpoint_seconds: tRead / 1000 + block * s.layers, peak_mb: peakMb() }) + '\n');
}

async function bundle() {
  mkdirSync(tmp, { recursive: true });
  const { build } = await import('rolldown');
  const entry = join(tmp, 'svd-directions-entry.ts');
  writeFileSync(
    entry,
    `export { blockDirections, prepareUnembedding } from ${JSON.stringify(join(root, 'main', 'compute', 'directions'))};\n` +
      `export { gptNeoxHeadSlices } from ${JSON.stringify(join(root, 'main', 'architectures', 'gpt-neox'))};\n`,
  );
  const { watPlugin } = await import('../tools/wat-plugin.mjs');
  await build({ input: entry, platform: 'node', plugins: [watPlugin()], external: [/^onnxruntime-node/, /^protobufjs/], output: { file: lib, format: 'esm' }, logLevel: 'silent' });
  const old = join(tmp, 'svd-directions-before.ts');
  const source = run('git', ['show', `${BEFORE_COMMIT}:main/metrics/svd-directions.ts`]).replace("from './moments'", `from ${JSON.stringify(join(root, 'main', 'metrics', 'moments'))}`);
  writeFileSync(old, source);
  await build({ input: old, platform: 'node', output: { file: beforeLib, format: 'esm' }, logLevel: 'silent' });
}

async function main() {
  const mode = process.argv[2];
  if (mode === '--ours' || mode === '--before') {
    const [dir, key, ref] = process.argv.slice(3);
    if (mode === '--ours') await ours(dir, SIZES[key], ref);
    else await before(dir, SIZES[key]);
    return;
  }
  await bundle();
  const keys = (process.env.BENCH_SVD_SIZES ?? '410m,1.4b').split(',');
  const withBefore = process.env.BENCH_SVD_BEFORE !== '0';
  const rows = [];
  const checks = [];
  for (const key of keys) {
    const s = SIZES[key];
    if (!s) throw new Error(`unknown size ${key} (known: ${Object.keys(SIZES).join(', ')})`);
    const dir = join(tmp, `svd-${key}`);
    if (!existsSync(join(dir, `dense${s.layers - 1}.f32`))) {
      process.stderr.write(`svd directions ${key}: writing synthetic weights to ${dir} ...\n`);
      run(PY, [join(root, 'bench', 'svd_directions_torch.py'), 'make', dir, String(s.d), String(s.dff), String(s.layers), String(s.heads), String(s.vocab), '11']);
    }
    const refPath = join(tmp, `svd-${key}.torch.bin`);
    process.stderr.write(`svd directions ${key}: torch ...\n`);
    const torch = JSON.parse(run(PY, [join(root, 'bench', 'svd_directions_torch.py'), 'run', dir, String(s.d), String(s.dff), String(s.layers), String(s.heads), String(s.vocab), String(THREADS), refPath]).trim().split('\n').pop());
    process.stderr.write(`svd directions ${key}: ours ...\n`);
    const me = JSON.parse(run(process.execPath, [fileURLToPath(import.meta.url), '--ours', dir, key, refPath]).trim().split('\n').pop());
    let old = null;
    if (withBefore) {
      process.stderr.write(`svd directions ${key}: before (pure JS, one block) ...\n`);
      old = JSON.parse(run(process.execPath, [fileURLToPath(import.meta.url), '--before', dir, key]).trim().split('\n').pop());
    }
    rmSync(refPath, { force: true });
    const largestMb = (s.vocab * s.d * 4) / 2 ** 20;
    const bound = 3 * largestMb + 300;
    rows.push(
      `| ${s.label} | ${old ? `${old.checkpoint_seconds.toFixed(0)} (${old.block_seconds.toFixed(1)} per block)` : 'not run'} | ${torch.seconds.toFixed(1)} | **${me.seconds.toFixed(1)}** | ` +
        `${old ? `**${(old.checkpoint_seconds / me.seconds).toFixed(1)}x**` : '-'} | ${(me.seconds / torch.seconds).toFixed(2)}x | ${torch.cpu_seconds.toFixed(0)} | ${me.cpu_seconds.toFixed(0)} | ` +
        `${torch.peak_mb.toFixed(0)} | ${me.peak_mb.toFixed(0)} | ${bound.toFixed(0)} ${me.peak_mb <= bound ? '(met)' : '(**not met**)'} |`,
    );
    checks.push(
      `| ${s.label} | ${me.directions} | ${me.same} | ${me.flipped} | ${me.differ['mlp.out']} / ${me.differ['attn.ov']} | ` +
        `${Number.isFinite(me.differ_lowest_index) ? me.differ_lowest_index : '-'} | ${me.worst_s.toExponential(1)} | ${me.iterations} (${me.converged} of ${s.layers} converged) |`,
    );
  }
  process.stdout.write(`Per block: top-${K} left singular vectors of mlp.out [d, d_ff] and of each head's OV circuit,
mapped through the unembedding to their top-${TOP} token ids (both signs); ${keys.length} synthetic GPT-NeoX checkpoints
(\`bench/svd_directions_torch.py make\`: N(0, 0.02^2) weights with planted large singular values in
mlp.out and in each head's W_V / W_O; 24 distinct blocks). Times are per checkpoint, wall-clock,
reading the float32 weights included; ${THREADS} threads for every side.
Ours: \`blockDirections\` (main/compute/directions.ts: Gram and subspace-iteration products, OV
circuits and the float32 token pass on onnxruntime; Jacobi and exact float64 re-ranking in JS).
Before: the pure-JS implementation of commit ${BEFORE_COMMIT}, one block timed and multiplied by 24 (plus
the unembedding read). Torch: float64, \`eigh(W W^T)\` for mlp.out, QR + \`eigh\` for each head,
one \`U @ D\` per block and \`topk\` (\`bench/svd_directions_torch.py run\`).
Memory bound: 3x the largest tensor (the unembedding, float32) + 300 MB.

| checkpoint | before s | torch s | ours s | speed-up vs before | ours / torch | torch CPU s | ours CPU s | torch peak MB | ours peak MB | bound MB |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

### Agreement with torch

Torch computes its own vectors (eigh), so a direction's sign may differ (its lists swap); "differ"
counts directions whose lists match neither way (by component), with the lowest direction index
among them. Singular values: max |s_ours - s_torch| / s_max of the component. mlp.out's subspace
iteration stops at 200 iterations when the bulk of the spectrum (past the 8 planted values) is too
flat to converge to 1e-10, as the replaced implementation did: those directions are mixtures
within near-degenerate clusters, and so are their lists. Identity with the replaced implementation
(same lists, same signs, singular values to 1e-10) is checked by the unit tests
(test/unit/compute/svd-directions.test.ts).

| checkpoint | directions | lists equal | equal with sign flipped | differ (mlp.out / attn.ov) | lowest differing index | s error | mlp.out iterations |
|---|---:|---:|---:|---:|---:|---:|---|
${checks.join('\n')}
`);
}

await main();
