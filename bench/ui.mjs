// UI benchmark: on a generated cache of 154 checkpoints x 24 blocks (written through the engine's
// own Store, main/store/store.ts, bundled on the fly with Vite so the bench needs no TS runtime),
// measure in Chromium (a) the time from opening the run (hash navigation from Home) to the first
// heatmap drawn and (b) the animation frame rate while the timeline plays at its top speed
// (histogram + QQ + spectrum + 256x256 embedding correlation on screen). Prints a Markdown table.
// Targets: first heatmap <= 300 ms, animation >= 30 fps. The data are synthetic but smooth and
// of the real shapes and sizes (the bench measures drawing, not analysis).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'bench', '.tmp', 'ui');
const CHECKPOINTS = 154;
const LAYERS = 24;
const HIDDEN = 1024;
const RUNS = Number(process.env.ATLAS_UI_BENCH_REPEATS ?? 5);

/** Pythia's 154 revisions: 0, 1, 2, 4, ..., 512, then every 1000 up to 143000. */
function pythiaSteps() {
  const s = [0];
  for (let p = 1; p <= 512; p *= 2) s.push(p);
  for (let k = 1000; k <= 143000; k += 1000) s.push(k);
  return s;
}

async function loadStore() {
  const outDir = join(work, 'store-build');
  await build({
    configFile: false,
    logLevel: 'warn',
    root,
    build: {
      ssr: join(root, 'main', 'store', 'store.ts'),
      outDir,
      emptyOutDir: true,
      minify: false,
      rollupOptions: { output: { format: 'es', entryFileNames: 'store.mjs' } },
    },
  });
  return import(pathToFileURL(join(outDir, 'store.mjs')).href);
}

/** Deterministic pseudo-random numbers (mulberry32) so every bench run draws the same data. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generateCache(dbPath) {
  const { Store } = await loadStore();
  rmSync(dbPath, { force: true });
  const store = new Store(dbPath);
  const steps = pythiaSteps();
  if (steps.length !== CHECKPOINTS) throw new Error(`expected ${CHECKPOINTS} steps, got ${steps.length}`);
  const runId = 'bench-ui-run';
  const checkpoints = steps.map((step) => ({ id: `step${step}`, label: `step${step}`, step, folder: `/bench/step${step}`, weightFiles: [], format: 'safetensors', dtype: 'F16', fingerprint: `fp${step}`, missing: false, warnings: [] }));
  const info = {
    id: runId, name: 'bench-24x154', layout: 'hf-cache', root: '/bench', family: 'gpt_neox',
    config: { family: 'gpt_neox', modelType: 'gpt_neox', vocabSize: 50304, hidden: HIDDEN, layers: LAYERS, heads: 16, kvHeads: 16, headDim: 64, intermediate: 4 * HIDDEN, maxPositions: 2048, normEps: 1e-5, rotaryPct: 0.25, rotaryBase: 10000, parallelResidual: true, activation: 'gelu', tiedEmbeddings: false, attentionBias: true, mlpBias: true },
    tokenizerPath: null, checkpoints, trainingLog: steps.filter((s) => s > 0).map((step) => ({ step, loss: 2.2 + 8.6 / Math.sqrt(1 + step / 300) })), warnings: [],
  };
  store.upsertRun(info, 'opened');
  const comps = [['ln.attn', [HIDDEN]], ['attn.qkv', [3 * HIDDEN, HIDDEN]], ['attn.out', [HIDDEN, HIDDEN]], ['ln.mlp', [HIDDEN]], ['mlp.in', [4 * HIDDEN, HIDDEN]], ['mlp.out', [HIDDEN, 4 * HIDDEN]]];
  const tensors = [{ tensor: 'gpt_neox.embed_in.weight', role: { block: 'embed', component: 'embed', kind: 'weight' }, shape: [50304, HIDDEN] }];
  for (let b = 0; b < LAYERS; b++) {
    for (const [c, shape] of comps) {
      tensors.push({ tensor: `gpt_neox.layers.${b}.${c}.weight`, role: { block: b, component: c, kind: 'weight' }, shape });
      tensors.push({ tensor: `gpt_neox.layers.${b}.${c}.bias`, role: { block: b, component: c, kind: 'bias' }, shape: [shape[0]] });
    }
  }
  tensors.push({ tensor: 'gpt_neox.final_layer_norm.weight', role: { block: 'final', component: 'ln.final', kind: 'weight' }, shape: [HIDDEN] });
  tensors.push({ tensor: 'embed_out.weight', role: { block: 'unembed', component: 'unembed', kind: 'weight' }, shape: [50304, HIDDEN] });
  store.registerTensors(runId, tensors);
  const animated = 'gpt_neox.layers.0.mlp.in.weight';
  const metrics = ['frobenius_norm', 'mean', 'std', 'absmax', 'excess_kurtosis', 'dist_to_init', 'rel_dist_to_init', 'cos_to_init', 'dist_to_prev', 'student_t_nu'];
  const rand = rng(7);
  const edges = Array.from({ length: 129 }, (_, k) => -0.25 + (0.5 * k) / 128);
  const probs = Array.from({ length: 200 }, (_, k) => (k + 0.5) / 200);
  steps.forEach((step, ci) => {
    const grow = Math.log10(1 + step);
    const scalars = [];
    tensors.forEach((t, ti) => {
      const depth = typeof t.role.block === 'number' ? t.role.block : 0;
      const base = (t.role.kind === 'bias' ? 0.5 : 20) * (1 + depth / LAYERS) * (1 + 0.2 * grow);
      for (const m of metrics) {
        const v = m === 'mean' ? 1e-3 * Math.sin(ti + ci / 9) : m === 'cos_to_init' ? 1 / (1 + 0.1 * grow) : m === 'dist_to_prev' && ci === 0 ? null : base * (1 + metrics.indexOf(m) * 0.1) * (1 + 0.01 * rand());
        scalars.push({ metric: m, tensor: t.tensor, value: v });
      }
    });
    const w = 0.02 * (1 + grow / 3);
    const counts = edges.slice(0, -1).map((e) => Math.round(4_000_000 * (0.5 / 128) * Math.exp(-(e * e) / (2 * w * w)) / (w * Math.sqrt(2 * Math.PI))));
    const gauss = probs.map((p) => inverseNormal(p));
    const n = 256;
    const matrix = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) matrix[i * n + j] = i === j ? 1 : Math.max(-1, Math.min(1, (i % 8 === j % 8 ? 0.7 : -0.05) * Math.min(1, ci / 60) + 0.1 * (rand() - 0.5)));
    const arrays = [
      { kind: 'histogram', tensor: animated, data: { edges, counts, underflow: ci, overflow: 2 * ci } },
      { kind: 'qq', tensor: animated, data: { probabilities: probs, empirical: gauss.map((x) => x * (1 + 0.02 * Math.abs(x) * grow)), gaussian: gauss, logistic: gauss.map((x) => 1.05 * x), student_t: gauss.map((x) => 1.1 * x) } },
      { kind: 'spectrum', tensor: animated, data: { singular_values: Float32Array.from({ length: HIDDEN }, (_, k) => (1 + grow) * (k + 1) ** -(0.2 + grow / 20)) } },
      { kind: 'embedding_correlation', tensor: 'gpt_neox.embed_in.weight', data: { rows: [0, 256], matrix } },
    ];
    store.writeUnit({ runId, checkpointId: `step${step}`, analysis: 'weights' }, { fingerprint: `fp${step}`, version: 1, ctx: '' }, { scalars, arrays, info: {} });
  });
  store.close();
  return { runId, animated };
}

/** Acklam's rational approximation of the standard normal quantile (|error| < 1.2e-9). */
function inverseNormal(p) {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = Math.min(p, 1 - p);
  let x;
  if (q > 0.02425) {
    const r = p - 0.5;
    const s = r * r;
    return ((((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r) / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
  }
  const r = Math.sqrt(-2 * Math.log(q));
  x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
  return p < 0.5 ? x : -x;
}

function startServer(dbPath) {
  const child = spawn(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), 'serve', '--db', dbPath, '--port', '0', '--no-demo', '--no-hub-cache'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL; stderr:\n${stderr}`)), 180_000);
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/Serving Checkpoint Atlas on (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], origin: new URL(m[1]).origin });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}; stderr:\n${stderr}`)));
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  mkdirSync(work, { recursive: true });
  if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) throw new Error('out/renderer is missing: run npm run build first');
  const dbPath = join(work, 'ui-bench.sqlite');
  const t0 = Date.now();
  // ATLAS_UI_BENCH_REUSE=1 keeps a cache generated by an earlier run (generation takes ~45 s).
  const { runId, animated } =
    process.env.ATLAS_UI_BENCH_REUSE === '1' && existsSync(dbPath) ? { runId: 'bench-ui-run', animated: 'gpt_neox.layers.0.mlp.in.weight' } : await generateCache(dbPath);
  process.stderr.write(`generated the ${CHECKPOINTS} x ${LAYERS} cache in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const server = await startServer(dbPath);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url);
    await page.locator('[data-testid=run-row]').first().waitFor();

    // (a) Open the run from Home: hash navigation -> getRun, listTensors, scalarGrid -> first panel drawn.
    // Each repeat starts from a freshly loaded Home page (no grid in the page's memory), so every
    // measurement includes getRun, listTensors and scalarGrid over HTTP.
    const firstHeatmap = [];
    const allPanels = [];
    const dataArrived = [];
    let panels = 0;
    for (let i = 0; i < RUNS; i++) {
      await page.goto(server.url);
      await page.locator('[data-testid=run-row]').first().waitFor();
      // A person reads the runs list before clicking one: give the page its idle second (the app
      // warms its chart code then, renderer/src/warmup.ts).
      await page.waitForTimeout(1000);
      const ms = await page.evaluate(
        (id) =>
          new Promise((resolve) => {
            performance.clearResourceTimings();
            const t = performance.now();
            let first = null;
            const check = () => {
              if (first === null && document.querySelector('[data-testid=heatmap-panel] [data-drawn]')) first = performance.now() - t;
              const drawn = document.querySelectorAll('[data-testid=heatmap-panel] [data-drawn]').length;
              // "All" = every panel in (or within 300 px of) the viewport; the rest draw on scroll.
              const waiting = [...document.querySelectorAll('.panelgrid [aria-busy=true]')].some((el) => el.getBoundingClientRect().top < innerHeight + 300);
              if (first !== null && drawn > 0 && !waiting) {
                observer.disconnect();
                // When the data the first panel needs had arrived (getRun and the grid).
                const api = performance.getEntriesByType('resource').filter((e) => /\/api\/(getRun|scalarGrid)$/.test(e.name));
                const dataAt = Math.max(...api.map((e) => e.responseEnd - t));
                resolve({ first, all: performance.now() - t, drawn, dataAt });
              }
            };
            const observer = new MutationObserver(check);
            observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-drawn', 'aria-busy'] });
            location.hash = `#/run/${encodeURIComponent(id)}/overview`;
          }),
        runId,
      );
      firstHeatmap.push(ms.first);
      dataArrived.push(ms.dataAt);
      allPanels.push(ms.all);
      panels = ms.drawn;
    }

    // (b) Animation rate: play at the top speed for 4 s, count distinct frames shown per second.
    await page.evaluate((t) => (location.hash = `#/run/${encodeURIComponent(t.runId)}/animations?tensor=${encodeURIComponent(t.animated)}`), { runId, animated });
    await page.locator('[data-testid=anim-histogram] [data-drawn]').waitFor({ timeout: 60_000 });
    await page.locator('[data-testid=anim-embedding_correlation] canvas').waitFor({ timeout: 60_000 });
    await page.locator('select[aria-label="Frames per second"]').selectOption('60');
    // Let the background painting of the correlation frames finish (a few hundred ms).
    await page.waitForTimeout(2000);
    const anim = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const label = document.querySelector('[data-testid=frame-label]');
          let last = label.textContent;
          let changes = 0;
          let rafs = 0;
          const t0 = performance.now();
          const tick = () => {
            rafs++;
            const now = label.textContent;
            if (now !== last) {
              changes++;
              last = now;
            }
            if (performance.now() - t0 < 4000) requestAnimationFrame(tick);
            else resolve({ seconds: (performance.now() - t0) / 1000, changes, rafs });
          };
          document.querySelector('[data-testid=play]').click();
          requestAnimationFrame(tick);
        }),
    );
    await page.locator('[data-testid=play]').click();
    const fps = anim.changes / anim.seconds;
    const medianMs = median(firstHeatmap);
    const lines = [
      `| measure (Chromium, ${CHECKPOINTS} checkpoints x ${LAYERS} blocks) | value | target |`,
      '|---|---|---|',
      `| open run -> first heatmap drawn (median of ${RUNS}) | ${medianMs.toFixed(0)} ms (min ${Math.min(...firstHeatmap).toFixed(0)}, max ${Math.max(...firstHeatmap).toFixed(0)}) | <= 300 ms ${medianMs <= 300 ? 'met' : 'NOT met'} |`,
      `| of which: waiting for getRun + scalarGrid over HTTP (median) | ${median(dataArrived).toFixed(0)} ms | |`,
      `| of which: drawing after the data arrived (median) | ${median(firstHeatmap.map((f, i) => f - dataArrived[i])).toFixed(0)} ms | |`,
      `| open run -> the ${panels} heatmap panels in view drawn (median) | ${median(allPanels).toFixed(0)} ms | |`,
      `| animation: frames shown per second (histogram + QQ + spectrum + 256x256 correlation) | ${fps.toFixed(1)} fps (${anim.changes} frames in ${anim.seconds.toFixed(1)} s; display ${(anim.rafs / anim.seconds).toFixed(0)} Hz) | >= 30 fps ${fps >= 30 ? 'met' : 'NOT met'} |`,
    ];
    // Other work on the machine changes these figures a lot: say how busy it was.
    lines.push(`| machine: ${cpus().length} cores, load average during the run | ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) | |`);
    process.stdout.write(lines.join('\n') + '\n');
    if (errors.length) process.stderr.write(`page errors: ${errors.join(' | ')}\n`);
  } finally {
    await browser.close();
    server.child.kill('SIGTERM');
  }
}

await main();
