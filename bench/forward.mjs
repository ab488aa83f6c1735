#!/usr/bin/env node
// Forward and forward+backward of a GPT-NeoX (default d=512, 6 layers, 8 heads, V=8192, B=4, L=256)
// on the same probe-sized batch: our ONNX graphs on onnxruntime-node vs PyTorch (bench/forward_torch.py)
// with the same thread count, median of repeats after a warm-up; prints a Markdown table. Both our
// paths are timed: the whole-model graph (index.ts) and the block-streamed run the app uses
// (streamed.ts, one block's weights at a time, the vocabulary in row pieces).
// The TypeScript sources are bundled on the fly with vite (a devDependency) into
// bench/.tmp/, since plain Node 20 cannot import .ts files.
// Usage: node bench/forward.mjs [--threads 2] [--d 512] [--layers 6] [--heads 8] [--vocab 8192] [--batch 4] [--seq 256] [--repeats 3]
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const num = (k, d) => Number(args[k] ?? d);
const threads = num('threads', 2), d = num('d', 512), layers = num('layers', 6), heads = num('heads', 8);
const vocab = num('vocab', 8192), batch = num('batch', 4), seqLen = num('seq', 256), repeats = num('repeats', 3);

const tmp = join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
const bundle = join(tmp, 'forward.bundle.mjs');
// An SSR build keeps node_modules packages (onnxruntime-node, protobufjs) external.
await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: join(root, 'main', 'compute', 'forward', 'index.ts'),
    outDir: tmp,
    emptyOutDir: false,
    rollupOptions: { output: { format: 'es', entryFileNames: 'forward.bundle.mjs' } },
  },
});
await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: join(root, 'main', 'compute', 'forward', 'streamed.ts'),
    outDir: tmp,
    emptyOutDir: false,
    rollupOptions: { output: { format: 'es', entryFileNames: 'streamed.bundle.mjs' } },
  },
});
const { buildForward, runForward } = await import(pathToFileURL(bundle).href);
const { StreamedModel, readerFromLookup } = await import(pathToFileURL(join(tmp, 'streamed.bundle.mjs')).href);
const ort = await import('onnxruntime-node');

/** @type {import('../common/domain').ModelConfig} */
const config = {
  family: 'gpt_neox', modelType: 'gpt_neox', vocabSize: vocab, hidden: d, layers, heads, kvHeads: heads,
  headDim: d / heads, intermediate: 4 * d, maxPositions: 2048, normEps: 1e-5, rotaryPct: 0.25, rotaryBase: 10000,
  parallelResidual: true, activation: 'gelu', tiedEmbeddings: false, attentionBias: true, mlpBias: true,
};

function randomWeights(graph) {
  // Deterministic pseudo-random values (xorshift) with roughly the scale of trained weights.
  let s = 0x9e3779b9;
  const rnd = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), ((s >>> 0) / 2 ** 32 - 0.5) * 0.07);
  const m = new Map();
  for (const [name, shape] of graph.weightShapes) {
    const w = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isNormWeight = /layernorm\.weight|layer_norm\.weight/.test(name);
    for (let i = 0; i < w.length; i++) w[i] = isNormWeight ? 1 + rnd() : name.includes('embed_in') ? rnd() * 30 : rnd();
    m.set(name, w);
  }
  return m;
}

async function timeOurs(gradients) {
  const t0 = performance.now();
  const graph = buildForward(config, { batch, seqLen, gradients });
  const session = await ort.InferenceSession.create(graph.model, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1,
  });
  const setup = (performance.now() - t0) / 1000;
  const weights = randomWeights(graph);
  const tokens = Array.from({ length: batch * seqLen }, (_, i) => (i * 7919) % vocab);
  let result = await runForward(session, graph, weights, tokens);
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    result = await runForward(session, graph, weights, tokens);
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  await session.release();
  return { seconds: times[Math.floor(times.length / 2)], setup, loss: result.loss, grads: result.gradients.size };
}

async function timeStreamed(gradients) {
  const t0 = performance.now();
  const model = new StreamedModel(config, { batch, seqLen, gradients, resid: !gradients, mlp: !gradients, provider: 'cpu', threads });
  await model.prepare();
  const setup = (performance.now() - t0) / 1000;
  const weights = randomWeights(buildForward(config, { batch, seqLen, outputs: { resid: false, mlp: false, logits: false, finalNorm: false, loss: false } }));
  const reader = readerFromLookup(weights, config.family);
  const tokens = Array.from({ length: batch * seqLen }, (_, i) => (i * 7919) % vocab);
  // The sinks do what the app's do with each piece (read every element once).
  let touched = 0;
  const sink = {
    activation: (_n, data) => { for (let i = 0; i < data.length; i += 64) touched += data[i]; },
    gradient: (_n, piece) => { for (let i = 0; i < piece.length; i += 64) touched += piece[i]; },
  };
  let result = await model.run(reader, tokens, sink);
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    result = await model.run(reader, tokens, sink);
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  await model.release();
  return { seconds: times[Math.floor(times.length / 2)], setup, loss: result.loss, timings: result.timings, touched };
}

process.stderr.write('ours, block-streamed: forward ...\n');
const sfwd = await timeStreamed(false);
process.stderr.write('ours, block-streamed: forward + backward ...\n');
const sbwd = await timeStreamed(true);
process.stderr.write('ours: forward ...\n');
const fwd = await timeOurs(false);
process.stderr.write('ours: forward + backward ...\n');
const bwd = await timeOurs(true);
process.stderr.write('torch ...\n');
const py = spawnSync('/usr/bin/python3', [join(root, 'bench', 'forward_torch.py'), ...[threads, d, layers, heads, vocab, batch, seqLen, repeats].map(String)], { encoding: 'utf8' });
if (py.status !== 0) throw new Error(`forward_torch.py failed:\n${py.stderr}`);
const torch = JSON.parse(py.stdout.trim().split('\n').pop());

const f = (x) => x.toFixed(3);
const phases = (t) => Object.entries(t).filter(([k]) => k !== 'total').map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
console.log(`## Forward / backward (GPT-NeoX d=${d}, ${layers} layers, ${heads} heads, V=${vocab}, B=${batch}, L=${seqLen})

${cpus()[0]?.model ?? 'CPU'}; ${threads} threads on both sides; median of ${repeats} after a warm-up.

| pass | onnxruntime (s) | torch (s) | ratio ours/torch | target |
|---|---|---|---|---|
| forward (resid, mlp, final_norm, logits, loss) | ${f(fwd.seconds)} | ${f(torch.forward_s)} | ${(fwd.seconds / torch.forward_s).toFixed(2)} | <= 1.5 |
| forward + backward (${bwd.grads} weight gradients) | ${f(bwd.seconds)} | ${f(torch.forward_backward_s)} | ${(bwd.seconds / torch.forward_backward_s).toFixed(2)} | <= 2 |
| forward, block-streamed (the app's path: resid, mlp, final_norm, loss) | ${f(sfwd.seconds)} | ${f(torch.forward_s)} | ${(sfwd.seconds / torch.forward_s).toFixed(2)} | <= 1.5 |
| forward + backward, block-streamed (the app's path) | ${f(sbwd.seconds)} | ${f(torch.forward_backward_s)} | ${(sbwd.seconds / torch.forward_backward_s).toFixed(2)} | <= 2 |

Graph build + session creation (once per run, not per checkpoint): forward ${f(fwd.setup)} s, forward + backward ${f(bwd.setup)} s;
block-streamed ${f(sfwd.setup)} s and ${f(sbwd.setup)} s. Block-streamed phases (s): forward ${phases(sfwd.timings)}; forward + backward ${phases(sbwd.timings)}.
Loss whole graph ${fwd.loss.toFixed(6)}, block-streamed ${sfwd.loss.toFixed(6)}.`);
