/**
 * The GPU check (issue 16, item 3): runs on a machine with a GPU, in one call, with no npm and no
 * network there. bench/gpu/prepare.sh bundles this file (vite SSR build; onnxruntime-node stays
 * external) and packs node, onnxruntime-node's binding and the Vulkan loaders; bench/gpu/run.sh
 * unpacks them there and runs this. It:
 *   1. starts each onnxruntime execution provider (cpu, webgpu, cuda) on a one-node graph and
 *      records which start and, for the others, onnxruntime's reason;
 *   2. on every provider that starts, runs the model graphs (forward, forward + backward) of the
 *      bundled demo run's last checkpoint and of Pythia-160m- and 410m-shaped GPT-NeoX models with
 *      seeded weights, and compares every number with the CPU run at the held-out tolerances
 *      (docs/VALIDATION.md: loss abs 1e-3, residual max |x| / std rel 1e-3, gradient norms rel 1e-2);
 *   3. runs the Gram product behind the spectra (W W^T; float64 where the provider has float64
 *      MatMul, float32 otherwise) and compares the singular values with the CPU's float64 route
 *      (main/compute/gram.ts + eigen.ts) at 1e-4 x s_max;
 * and writes results.json and results.md (the section pasted into BENCHMARKS.md) to the folder
 * given as its first argument. Exit code 0 when every provider that started agreed with the CPU.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelConfig } from '../../common/domain';
import { symmetricEigenvalues, singularValuesFromGramEigenvalues } from '../../main/compute/eigen';
import { buildForward, lookupFromSource, runForward, type ForwardGraph } from '../../main/compute/forward/index';
import { gram } from '../../main/compute/gram';
import { GraphBuilder } from '../../main/compute/onnx/graph';
import { encodeTinyModel, OnnxType } from '../../main/compute/ort';
import { openCheckpoint } from '../../main/formats/index';
import { scanPaths } from '../../main/layouts/scan';

type Provider = 'cpu' | 'webgpu' | 'cuda';
const outDir = process.argv[2] ?? '.';
const demoRoot = process.argv[3] ?? 'resources/demo/hub';
const threads = cpus().length;
/** ATLAS_GPU_QUICK=1: small shapes only (to try the script on a CPU machine). */
const quick = process.env.ATLAS_GPU_QUICK === '1';
const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

function epOption(p: Provider): ort.InferenceSession.ExecutionProviderConfig {
  return p === 'cuda' ? { name: 'cuda', deviceId: 0 } : p;
}

async function session(model: Uint8Array, p: Provider): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: [epOption(p)],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
}

// ---------------------------------------------------------------------------------------------
// 1. Which providers start
interface Attempt { provider: Provider; ok: boolean; error?: string; ms?: number }
async function tryProvider(p: Provider): Promise<Attempt> {
  const t0 = performance.now();
  try {
    const g = new GraphBuilder('probe');
    g.output(g.relu(g.input('x', 'float32', [2])), 'y');
    const s = await session(g.toBuffer(), p);
    const y = (await s.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2), [2]) })).y.data as Float32Array;
    await s.release();
    if (y[0] !== 0 || y[1] !== 2) return { provider: p, ok: false, error: `wrong result ${Array.from(y)}` };
    return { provider: p, ok: true, ms: performance.now() - t0 };
  } catch (e) {
    return { provider: p, ok: false, error: (e instanceof Error ? e.message : String(e)).split('\n').slice(0, 3).join(' | ') };
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Model graphs
function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 2 ** 32 - 0.5);
}

function syntheticWeights(graph: ForwardGraph): Map<string, Float32Array> {
  const rnd = seeded(0x9e3779b9);
  const m = new Map<string, Float32Array>();
  for (const [name, shape] of graph.weightShapes) {
    const w = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isNorm = /layernorm\.weight|layer_norm\.weight|norm\.weight/.test(name);
    const scale = 0.07 / Math.sqrt(Math.max(1, shape[shape.length - 1] / 512));
    for (let i = 0; i < w.length; i++) w[i] = isNorm ? 1 + rnd() * 0.1 : rnd() * scale;
    m.set(name, w);
  }
  return m;
}

function neox(hidden: number, layers: number, heads: number, vocab: number): ModelConfig {
  return {
    family: 'gpt_neox', modelType: 'gpt_neox', vocabSize: vocab, hidden, layers, heads, kvHeads: heads,
    headDim: hidden / heads, intermediate: 4 * hidden, maxPositions: 2048, normEps: 1e-5, rotaryPct: 0.25,
    rotaryBase: 10000, parallelResidual: true, activation: 'gelu', tiedEmbeddings: false, attentionBias: true, mlpBias: true,
  } as ModelConfig;
}

interface ModelNumbers {
  loss: number | null;
  /** Per activation output: [max |x|, std]. */
  activations: Record<string, [number, number]>;
  /** Per weight: ||grad||_F. */
  gradNorms: Record<string, number>;
  forwardS: number;
  forwardBackwardS: number;
  setupS: number;
}

function stats(x: Float32Array): [number, number] {
  let mx = 0, s = 0, s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const a = Math.abs(v);
    if (a > mx) mx = a;
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  return [mx, Math.sqrt(Math.max(0, s2 / x.length - mean * mean))];
}

function norm(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

async function timed<T>(f: () => Promise<T>, repeats: number): Promise<{ value: T; s: number }> {
  let value = await f(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    value = await f();
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return { value, s: times[Math.floor(times.length / 2)] };
}

async function runModel(
  p: Provider,
  config: ModelConfig,
  batch: number,
  seqLen: number,
  weights: (g: ForwardGraph) => Promise<Map<string, Float32Array>> | Map<string, Float32Array>,
  repeats: number,
): Promise<ModelNumbers> {
  const t0 = performance.now();
  const fwdGraph = buildForward(config, { batch, seqLen });
  const bwdGraph = buildForward(config, { batch, seqLen, gradients: true });
  const fwd = await session(fwdGraph.model, p);
  const bwd = await session(bwdGraph.model, p);
  const setupS = (performance.now() - t0) / 1000;
  const w = await weights(bwdGraph);
  const rnd = seeded(12345);
  const tokens = Array.from({ length: batch * seqLen }, () => Math.floor((rnd() + 0.5) * config.vocabSize) % config.vocabSize);
  const f = await timed(() => runForward(fwd, fwdGraph, w, tokens), repeats);
  const fb = await timed(() => runForward(bwd, bwdGraph, w, tokens), repeats);
  await fwd.release();
  await bwd.release();
  const activations: Record<string, [number, number]> = {};
  for (const [name, a] of f.value.activations) if (name !== 'logits') activations[name] = stats(a.data);
  const gradNorms: Record<string, number> = {};
  for (const [name, g] of fb.value.gradients) gradNorms[name] = norm(g);
  return { loss: fb.value.loss, activations, gradNorms, forwardS: f.s, forwardBackwardS: fb.s, setupS };
}

interface Comparison { compared: number; worst: number; worstWhat: string; pass: boolean }
function compareModels(ref: ModelNumbers, got: ModelNumbers): Comparison {
  let compared = 0, worst = 0, worstWhat = '', pass = true;
  const check = (what: string, a: number, b: number, tol: number, relative: boolean): void => {
    compared++;
    const err = relative ? Math.abs(a - b) / Math.max(Math.abs(a), 1e-30) : Math.abs(a - b);
    const ratio = err / tol;
    if (ratio > worst) { worst = ratio; worstWhat = `${what}: cpu ${a.toPrecision(7)}, got ${b.toPrecision(7)}`; }
    if (!(err <= tol)) pass = false;
  };
  check('loss', ref.loss ?? NaN, got.loss ?? NaN, 1e-3, false);
  for (const [k, [mx, sd]] of Object.entries(ref.activations)) {
    const g = got.activations[k];
    check(`${k} max|x|`, mx, g?.[0] ?? NaN, 1e-3, true);
    check(`${k} std`, sd, g?.[1] ?? NaN, 1e-3, true);
  }
  for (const [k, v] of Object.entries(ref.gradNorms)) check(`grad ${k}`, v, got.gradNorms[k] ?? NaN, 1e-2, true);
  return { compared, worst, worstWhat, pass };
}

// ---------------------------------------------------------------------------------------------
// 3. Gram products
async function gramOn(p: Provider, W: Float32Array, rows: number, cols: number, f64: boolean, repeats: number): Promise<{ G: Float64Array; s: number }> {
  const t = f64 ? OnnxType.float64 : OnnxType.float32;
  const nodes = f64
    ? [
        { opType: 'Cast', inputs: ['W'], outputs: ['W64'], attributes: [{ name: 'to', int: OnnxType.float64 }] },
        { opType: 'Gemm', inputs: ['W64', 'W64'], outputs: ['G'], attributes: [{ name: 'transB', int: 1 }] },
      ]
    : [{ opType: 'Gemm', inputs: ['W', 'W'], outputs: ['G'], attributes: [{ name: 'transB', int: 1 }] }];
  const model = encodeTinyModel({
    name: `gram_${f64 ? 'f64' : 'f32'}`,
    inputs: [{ name: 'W', elemType: OnnxType.float32, dims: [rows, cols] }],
    outputs: [{ name: 'G', elemType: t, dims: [rows, rows] }],
    nodes,
  });
  const s = await session(model, p);
  const feeds = { W: new ort.Tensor('float32', W, [rows, cols]) };
  const r = await timed(async () => (await s.run(feeds)).G.data as Float64Array | Float32Array, repeats);
  await s.release();
  return { G: r.value instanceof Float64Array ? r.value : Float64Array.from(r.value), s: r.s };
}

// ---------------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    node: process.version, onnxruntime: ort.env.versions, cpus: `${cpus().length} x ${cpus()[0]?.model}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30), threads,
  };
  log('providers ...');
  const attempts: Attempt[] = [];
  for (const p of ['cpu', 'webgpu', 'cuda'] as Provider[]) {
    const a = await tryProvider(p);
    attempts.push(a);
    log(`  ${p}: ${a.ok ? 'starts' : `does not start: ${a.error}`}`);
  }
  results.providers = attempts;
  const started = attempts.filter((a) => a.ok).map((a) => a.provider);
  let allPass = true;

  // The demo run's last checkpoint (real trained weights, float16 on disk).
  const scan = await scanPaths([demoRoot]);
  const run = scan.runs.find((r) => r.config?.family === 'gpt_neox') ?? scan.runs[0];
  const models: { name: string; config: ModelConfig; batch: number; seqLen: number; weights: (g: ForwardGraph) => Promise<Map<string, Float32Array>> | Map<string, Float32Array>; repeats: number }[] = [];
  if (run?.config) {
    const last = run.checkpoints[run.checkpoints.length - 1];
    models.push({
      name: `demo ${run.name} step ${last.step}`, config: run.config, batch: 4, seqLen: 128, repeats: 3,
      weights: async (g) => {
        const source = await openCheckpoint(last.folder);
        const look = lookupFromSource(source, run.config!.family);
        const m = new Map<string, Float32Array>();
        for (const name of g.weightInputs) m.set(name, await look(name));
        return m;
      },
    });
  }
  if (quick) {
    models.push({ name: 'small NeoX (d=256, 4 layers, V=8192), B=2 L=128', config: neox(256, 4, 8, 8192), batch: 2, seqLen: 128, weights: syntheticWeights, repeats: 1 });
  } else {
    models.push({ name: 'Pythia-160m shape (d=768, 12 layers, V=50304), B=4 L=512', config: neox(768, 12, 12, 50304), batch: 4, seqLen: 512, weights: syntheticWeights, repeats: 2 });
    models.push({ name: 'Pythia-410m shape (d=1024, 24 layers, V=50304), B=4 L=512', config: neox(1024, 24, 16, 50304), batch: 4, seqLen: 512, weights: syntheticWeights, repeats: 1 });
  }

  const modelRows: Record<string, unknown>[] = [];
  for (const m of models) {
    const byProvider: Partial<Record<Provider, ModelNumbers>> = {};
    for (const p of started) {
      log(`model ${m.name} on ${p} ...`);
      try {
        byProvider[p] = await runModel(p, m.config, m.batch, m.seqLen, m.weights, m.repeats);
        log(`  loss ${byProvider[p].loss}, forward ${byProvider[p].forwardS.toFixed(3)} s, fwd+bwd ${byProvider[p].forwardBackwardS.toFixed(3)} s`);
      } catch (e) {
        log(`  failed: ${(e as Error).message}`);
        modelRows.push({ model: m.name, provider: p, error: (e as Error).message.split('\n')[0] });
        if (p !== 'cpu') allPass = false;
      }
    }
    const ref = byProvider.cpu;
    for (const p of started) {
      const got = byProvider[p];
      if (!got) continue;
      const cmp = ref && p !== 'cpu' ? compareModels(ref, got) : null;
      if (cmp && !cmp.pass) allPass = false;
      modelRows.push({ model: m.name, provider: p, loss: got.loss, forwardS: got.forwardS, forwardBackwardS: got.forwardBackwardS, setupS: got.setupS, comparison: cmp });
    }
  }
  results.models = modelRows;

  // Gram products: an MLP-out-shaped 2048 x 8192 weight (Pythia-1B) and a 5120 x 20480 one (12B).
  const gramRows: Record<string, unknown>[] = [];
  const gramShapes: [number, number, boolean][] = quick ? [[256, 1024, true]] : [[2048, 8192, true], [5120, 20480, false]];
  for (const [rows, cols, withEigen] of gramShapes) {
    const rnd = seeded(rows * 31 + cols);
    const W = new Float32Array(rows * cols);
    for (let i = 0; i < W.length; i++) W[i] = rnd() * 0.04 + (i % cols < 4 ? 0.3 : 0); // a few outlier columns: spiky spectrum
    log(`gram ${rows} x ${cols}: cpu route (main/compute/gram.ts) ...`);
    const t0 = performance.now();
    const Gcpu = await gram(W, rows, cols, { intraOpThreads: threads });
    const cpuS = (performance.now() - t0) / 1000;
    let sCpu: Float64Array | null = null;
    if (withEigen) sCpu = singularValuesFromGramEigenvalues(await symmetricEigenvalues(Float64Array.from(Gcpu), rows, { intraOpThreads: threads }));
    gramRows.push({ shape: `${rows}x${cols}`, provider: 'cpu', dtype: 'float64', seconds: cpuS });
    for (const p of started.filter((q) => q !== 'cpu')) {
      for (const f64 of [true, false]) {
        log(`  on ${p} ${f64 ? 'float64' : 'float32'} ...`);
        try {
          const { G, s } = await gramOn(p, W, rows, cols, f64, 2);
          let maxRel = 0, gmax = 0;
          for (let i = 0; i < G.length; i++) gmax = Math.max(gmax, Math.abs(Gcpu[i]));
          for (let i = 0; i < G.length; i++) maxRel = Math.max(maxRel, Math.abs(G[i] - Gcpu[i]) / gmax);
          let svErr: number | null = null, pass = true;
          if (sCpu) {
            const sGot = singularValuesFromGramEigenvalues(await symmetricEigenvalues(G, rows, { intraOpThreads: threads, overwrite: true }));
            svErr = 0;
            for (let i = 0; i < rows; i++) svErr = Math.max(svErr, Math.abs(sGot[i] - sCpu[i]) / sCpu[0]);
            pass = svErr <= 1e-4;
            if (!pass) allPass = false;
          }
          gramRows.push({ shape: `${rows}x${cols}`, provider: p, dtype: f64 ? 'float64' : 'float32', seconds: s, gramMaxErrOverMax: maxRel, singularValueErrOverSmax: svErr, pass });
        } catch (e) {
          gramRows.push({ shape: `${rows}x${cols}`, provider: p, dtype: f64 ? 'float64' : 'float32', error: (e as Error).message.split('\n')[0] });
        }
      }
    }
  }
  results.gram = gramRows;
  results.allPass = allPass;
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2));

  const md: string[] = [];
  md.push(`## GPU check (bench/gpu)`, '', `${results.cpus}, ${results.memoryGiB} GiB; node ${process.version}; onnxruntime-node ${JSON.stringify(ort.env.versions)}; CPU provider with ${threads} threads.`, '');
  md.push('| provider | starts | why not |', '|---|---|---|');
  for (const a of attempts) md.push(`| ${a.provider} | ${a.ok ? 'yes' : 'no'} | ${a.ok ? '' : (a.error ?? '').replace(/\|/g, '/')} |`);
  md.push('', '| model | provider | forward (s) | forward+backward (s) | vs CPU (worst error / tolerance, over n numbers) |', '|---|---|---|---|---|');
  for (const r of modelRows as { model: string; provider: string; forwardS?: number; forwardBackwardS?: number; comparison?: Comparison | null; error?: string }[]) {
    if (r.error) { md.push(`| ${r.model} | ${r.provider} | failed: ${r.error.replace(/\|/g, '/')} | | |`); continue; }
    const c = r.comparison;
    md.push(`| ${r.model} | ${r.provider} | ${r.forwardS!.toFixed(3)} | ${r.forwardBackwardS!.toFixed(3)} | ${c ? `${c.pass ? 'PASS' : 'FAIL'} ${c.worst.toFixed(3)} over ${c.compared} (${c.worstWhat})` : 'reference'} |`);
  }
  md.push('', '| Gram W W^T | provider | dtype | seconds | max abs err / max abs(G) | singular values: max err / s_max |', '|---|---|---|---|---|---|');
  for (const r of gramRows as { shape: string; provider: string; dtype: string; seconds?: number; gramMaxErrOverMax?: number; singularValueErrOverSmax?: number | null; error?: string }[]) {
    if (r.error) { md.push(`| ${r.shape} | ${r.provider} | ${r.dtype} | failed: ${r.error.replace(/\|/g, '/')} | | |`); continue; }
    md.push(`| ${r.shape} | ${r.provider} | ${r.dtype} | ${r.seconds!.toFixed(3)} | ${r.gramMaxErrOverMax?.toExponential(2) ?? ''} | ${r.singularValueErrOverSmax?.toExponential(2) ?? ''} |`);
  }
  md.push('', `Every provider that started agrees with the CPU at the held-out tolerances: ${allPass ? 'yes' : 'NO'}.`);
  writeFileSync(join(outDir, 'results.md'), md.join('\n') + '\n');
  process.stdout.write(md.join('\n') + '\n');
  process.exitCode = allPass ? 0 : 1;
}

main().catch((e) => {
  log(`fatal: ${(e as Error).stack ?? e}`);
  process.exitCode = 2;
});
