#!/usr/bin/env node
// Cost of the logit lens and the induction score on top of the activations pass (issue 19
// acceptance: <= 50%). The activations pass is what the `activations` unit does per checkpoint
// (main/jobs/units/model.ts): the block-streamed forward on the probe batch (the app's default
// 8 x 128 tokens) with every resid.i, mlp.i and final_norm reduced by the unit's statistics
// (moments, top dimensions, fixed-bin histogram). Timed three ways on the same weights, median of
// repeats after a warm-up: the pass alone; the pass with the lens (the head run on every
// resid.i, main/compute/forward/streamed-head.ts); and the induction run
// (main/compute/forward/induction.ts: 4 x 128 tokens, attention probabilities, no head).
// Model: the forward bench's GPT-NeoX (d 512, 6 layers, 8 heads) at V 8192 (--vocabs 8192,50304 adds
// Pythia's vocabulary; --piece N sets the logits piece size in elements).
// Usage: node bench/probes.mjs [--threads 2] [--repeats 3] [--vocabs 8192] [--piece 4194304]
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const threads = Number(args.threads ?? 2), repeats = Number(args.repeats ?? 3);
const vocabs = String(args.vocabs ?? '8192').split(',').map(Number);
const d = 512, layers = 6, heads = 8, batch = 8, seqLen = 128;
const tmp = join(root, 'bench', '.tmp');
mkdirSync(tmp, { recursive: true });
await build({
  configFile: false,
  logLevel: 'warn',
  build: { ssr: join(root, 'bench', 'probes-entry.ts'), outDir: tmp, emptyOutDir: false, rollupOptions: { output: { format: 'es', entryFileNames: 'probes.bundle.mjs' } } },
});
const m = await import(pathToFileURL(join(tmp, 'probes.bundle.mjs')).href);

function randomWeights(graph) {
  let s = 0x9e3779b9;
  const rnd = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), ((s >>> 0) / 2 ** 32 - 0.5) * 0.07);
  const w = new Map();
  for (const [name, shape] of graph.weightShapes) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    const norm = /layernorm\.weight|layer_norm\.weight/.test(name);
    for (let i = 0; i < a.length; i++) a[i] = norm ? 1 + rnd() : name.includes('embed_in') ? rnd() * 30 : rnd();
    w.set(name, a);
  }
  return w;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(vocab) {
  const config = {
    family: 'gpt_neox', modelType: 'gpt_neox', vocabSize: vocab, hidden: d, layers, heads, kvHeads: heads, headDim: d / heads, intermediate: 4 * d,
    maxPositions: 2048, normEps: 1e-5, rotaryPct: 0.25, rotaryBase: 10000, parallelResidual: true, activation: 'gelu', tiedEmbeddings: false, attentionBias: true, mlpBias: true,
  };
  const weights = randomWeights(m.buildForward(config, { batch: 1, seqLen: 2, outputs: { resid: false, mlp: false, logits: false, finalNorm: false, loss: false } }));
  const reader = m.readerFromLookup(weights, 'gpt_neox');
  const tokens = Array.from({ length: batch * seqLen }, (_, i) => (i * 7919) % vocab);
  const stats = (_n, data, dims) => m.activationStats(data, dims[dims.length - 1], { topK: 8, edges: m.ACTIVATION_EDGES });
  const piece = args.piece ? { logitsPieceElements: Number(args.piece) } : {};
  const plain = new m.StreamedModel(config, { batch, seqLen, gradients: false, provider: 'cpu', threads, ...piece });
  const lensed = new m.StreamedModel(config, { batch, seqLen, gradients: false, lens: true, provider: 'cpu', threads, ...piece });
  const induction = new m.InductionRunner(config, { provider: 'cpu', threads });
  await Promise.all([plain.prepare(), lensed.prepare(), induction.prepare()]);
  const base = [], withLens = [], lensOnly = [], ind = [];
  let lensLast = NaN, loss = NaN;
  // CPU seconds of the whole process (onnxruntime's threads included): on a shared machine the
  // wall time mostly measures the other processes, the CPU time the work done.
  const cpu = async (f) => {
    const u = process.cpuUsage();
    const t = performance.now();
    const out = await f();
    const c = process.cpuUsage(u);
    return { out, cpu: (c.user + c.system) / 1e6, wall: (performance.now() - t) / 1000 };
  };
  const wall = { base: [], withLens: [], induction: [] };
  for (let r = 0; r <= repeats; r++) {
    const b = await cpu(() => plain.run(reader, tokens, { activation: stats }));
    loss = b.out.loss;
    const l = await cpu(() => lensed.run(reader, tokens, { activation: stats, lens: (i, x) => i === layers && (lensLast = x) }));
    const i = await cpu(() => induction.run(reader));
    if (r === 0) continue; // warm-up
    base.push(b.cpu);
    withLens.push(l.cpu);
    lensOnly.push(l.out.timings.lens);
    ind.push(i.cpu);
    wall.base.push(b.wall);
    wall.withLens.push(l.wall);
    wall.induction.push(i.wall);
  }
  await Promise.all([plain.release(), lensed.release(), induction.release()]);
  if (Math.abs(lensLast - loss) > 1e-9) throw new Error(`lens of the last block ${lensLast} != loss ${loss}`);
  return { vocab, base: median(base), withLens: median(withLens), lens: median(lensOnly), induction: median(ind), wall: { base: median(wall.base), withLens: median(wall.withLens), induction: median(wall.induction) } };
}

const rows = [];
for (const v of vocabs) {
  process.stderr.write(`probes bench: V=${v} ...\n`);
  rows.push(await measure(v));
}
const f = (x) => x.toFixed(3);
const pct = (x, b) => `${((100 * x) / b).toFixed(0)}%`;
console.log(`### Logit lens and induction on top of the activations pass (\`bench/probes.mjs\`)

GPT-NeoX d ${d}, ${layers} layers, ${heads} heads (the forward bench's model); probe ${batch} x ${seqLen} tokens (the app's default); ${cpus()[0]?.model ?? 'CPU'}, ${threads} threads; median of ${repeats} after a warm-up.
Activations pass = block-streamed forward + the unit's statistics of every resid.i, mlp.i, final_norm. Lens = the head on resid.0 .. resid.${layers - 1} (resid.${layers}'s is the loss itself), timed inside the pass. Induction = the separate run on the pinned 4 x 128 probe.

CPU seconds (user + system of the process, onnxruntime's threads included; the machine may be shared, so wall seconds are given too):

| V | activations pass CPU s | with lens CPU s | induction CPU s | (lens + induction) / pass, CPU | wall s: pass / with lens / induction | (lens + induction) / pass, wall | target |
|---:|---:|---:|---:|---:|---|---:|---|
${rows.map((r) => `| ${r.vocab} | ${f(r.base)} | ${f(r.withLens)} | ${f(r.induction)} | **${pct(r.withLens - r.base + r.induction, r.base)}** | ${f(r.wall.base)} / ${f(r.wall.withLens)} / ${f(r.wall.induction)} | ${pct(r.wall.withLens - r.wall.base + r.wall.induction, r.wall.base)} | <= 50% |`).join('\n')}
`);
