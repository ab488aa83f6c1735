// Comparison benchmark (issue 20): 8 runs of 154 checkpoints x 24 blocks (a Pythia-sized
// comparison: 8 sizes or seeds, each with Pythia's 154 revisions), written through the engine's
// own Store (main/store/store.ts, bundled on the fly with Vite) into one cache, served by
// `checkpoint-atlas serve`, and measured in Chromium (playwright-core, Debian's chromium):
//  (a) the Overview with all 8 runs side by side (?compare=...): the time from the moment the
//      data the first heatmap needs has arrived (the last getRun/scalarGrid response of the 8
//      runs, from the browser's resource timings) to the first heatmap panel drawn (its
//      data-drawn mark), and from opening the run to it;
//  (b) the Animations tab with the 8 runs overlaid (histogram + QQ + spectrum, each one chart
//      of 8 series; the embedding correlation panels are shown but say "not computed": the
//      synthetic cache holds no correlation frames, 256x256 floats x 154 x 8 runs would be
//      323 MB): frames shown per second while the shared timeline plays at its top speed
//      (distinct timeline labels per second over 4 s; each label change is one React render
//      whose effects have sent every chart its new series data), and per frame shown the
//      renderer process's CPU time (far less dependent on the machine's load than the frame
//      rate) and the main thread's script and task time (Chromium's Performance metrics).
// Targets: (a) <= 300 ms, (b) >= 30 fps. Prints a Markdown table. Synthetic but real-shaped data.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'bench', '.tmp', 'compare-ui');
const RUNS = 8;
const LAYERS = 24;
const HIDDEN = 1024;
const REPEATS = Number(process.env.ATLAS_UI_BENCH_REPEATS ?? 5);
const ANIMATED = 'gpt_neox.layers.0.mlp.in.weight';

function pythiaSteps() {
  const s = [0];
  for (let p = 1; p <= 512; p *= 2) s.push(p);
  for (let k = 1000; k <= 143000; k += 1000) s.push(k);
  return s;
}

async function loadStore() {
  const outDir = join(work, 'store-build');
  await build({ configFile: false, logLevel: 'warn', root, build: { ssr: join(root, 'main', 'store', 'store.ts'), outDir, emptyOutDir: true, minify: false, rollupOptions: { output: { format: 'es', entryFileNames: 'store.mjs' } } } });
  return import(pathToFileURL(join(outDir, 'store.mjs')).href);
}

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
  const comps = [['ln.attn', [HIDDEN]], ['attn.qkv', [3 * HIDDEN, HIDDEN]], ['attn.out', [HIDDEN, HIDDEN]], ['ln.mlp', [HIDDEN]], ['mlp.in', [4 * HIDDEN, HIDDEN]], ['mlp.out', [HIDDEN, 4 * HIDDEN]]];
  const tensors = [{ tensor: 'gpt_neox.embed_in.weight', role: { block: 'embed', component: 'embed', kind: 'weight' }, shape: [50304, HIDDEN] }];
  for (let b = 0; b < LAYERS; b++) {
    for (const [c, shape] of comps) {
      tensors.push({ tensor: `gpt_neox.layers.${b}.${c}.weight`, role: { block: b, component: c, kind: 'weight' }, shape });
      tensors.push({ tensor: `gpt_neox.layers.${b}.${c}.bias`, role: { block: b, component: c, kind: 'bias' }, shape: [shape[0]] });
    }
  }
  tensors.push({ tensor: 'embed_out.weight', role: { block: 'unembed', component: 'unembed', kind: 'weight' }, shape: [50304, HIDDEN] });
  const edges = Array.from({ length: 129 }, (_, k) => -0.25 + (0.5 * k) / 128);
  const probs = Array.from({ length: 200 }, (_, k) => (k + 0.5) / 200);
  const ids = [];
  for (let r = 0; r < RUNS; r++) {
    const runId = `bench-compare-${r}`;
    ids.push(runId);
    const checkpoints = steps.map((step) => ({ id: `step${step}`, label: `step${step}`, step, folder: `/bench/${r}/step${step}`, weightFiles: [], format: 'safetensors', dtype: 'F16', fingerprint: `fp${r}-${step}`, missing: false, warnings: [] }));
    const info = {
      id: runId, name: `bench-pythia-${['14m', '31m', '70m', '160m', '410m', '1b', '1.4b', '2.8b'][r]}`, layout: 'hf-cache', root: `/bench/${r}`, family: 'gpt_neox',
      config: { family: 'gpt_neox', modelType: 'gpt_neox', vocabSize: 50304, hidden: HIDDEN, layers: LAYERS, heads: 16, kvHeads: 16, headDim: 64, intermediate: 4 * HIDDEN, maxPositions: 2048, normEps: 1e-5, rotaryPct: 0.25, rotaryBase: 10000, parallelResidual: true, activation: 'gelu', tiedEmbeddings: false, attentionBias: true, mlpBias: true },
      tokenizerPath: null, checkpoints, trainingLog: [], warnings: [],
    };
    store.upsertRun(info, 'opened');
    store.registerTensors(runId, tensors);
    const rand = rng(7 + r);
    steps.forEach((step, ci) => {
      const grow = Math.log10(1 + step);
      const scalars = tensors.map((t) => {
        const depth = typeof t.role.block === 'number' ? t.role.block : 0;
        return { metric: 'frobenius_norm', tensor: t.tensor, value: (t.role.kind === 'bias' ? 0.5 : 20) * (1 + depth / LAYERS) * (1 + (0.2 + 0.02 * r) * grow) * (1 + 0.01 * rand()) };
      });
      const w = 0.02 * (1 + grow / 3) * (1 + 0.05 * r);
      const counts = edges.slice(0, -1).map((e) => Math.round(4_000_000 * (0.5 / 128) * Math.exp(-(e * e) / (2 * w * w)) / (w * Math.sqrt(2 * Math.PI))));
      const gauss = probs.map((p) => Math.SQRT2 * erfinv(2 * p - 1));
      const arrays = [
        { kind: 'histogram', tensor: ANIMATED, data: { edges, counts, underflow: ci, overflow: 2 * ci } },
        { kind: 'qq', tensor: ANIMATED, data: { probabilities: probs, empirical: gauss.map((x) => x * (1 + 0.02 * Math.abs(x) * grow * (1 + r / 8))), gaussian: gauss, logistic: gauss.map((x) => 1.05 * x), student_t: gauss.map((x) => 1.1 * x) } },
        { kind: 'spectrum', tensor: ANIMATED, data: { singular_values: Float32Array.from({ length: HIDDEN }, (_, k) => (1 + grow) * (k + 1) ** -(0.2 + grow / 20 + r / 100)) } },
      ];
      store.writeUnit({ runId, checkpointId: `step${step}`, analysis: 'weights' }, { fingerprint: `fp${r}-${step}`, version: 1, ctx: '' }, { scalars, arrays, info: {} });
    });
  }
  store.close();
  return ids;
}

/** Inverse error function (Giles' single-precision approximation; plenty for synthetic quantiles). */
function erfinv(x) {
  let w = -Math.log((1 - x) * (1 + x));
  let p;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
  }
  return p * x;
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
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}; stderr:\n${stderr}`)));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  mkdirSync(work, { recursive: true });
  if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) throw new Error('out/renderer is missing: run npm run build first');
  const dbPath = join(work, 'compare-bench.sqlite');
  const t0 = Date.now();
  const ids = process.env.ATLAS_UI_BENCH_REUSE === '1' && existsSync(dbPath) ? Array.from({ length: RUNS }, (_, r) => `bench-compare-${r}`) : await generateCache(dbPath);
  process.stderr.write(`generated ${RUNS} runs x 154 checkpoints x ${LAYERS} blocks in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const server = await startServer(dbPath);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const browserCdp = await browser.newBrowserCDPSession();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const compare = ids.slice(1).join(',');
    const afterData = [];
    const fromOpen = [];
    let panels = 0;
    for (let i = 0; i < REPEATS; i++) {
      await page.goto(server.url);
      await page.locator('[data-testid=run-row]').first().waitFor();
      await page.waitForTimeout(1000);
      const ms = await page.evaluate(
        ({ id, compare }) =>
          new Promise((resolve) => {
            performance.clearResourceTimings();
            const t = performance.now();
            const observer = new MutationObserver(() => {
              if (!document.querySelector('[data-testid=heatmap-panel] [data-drawn]')) return;
              const first = performance.now() - t;
              observer.disconnect();
              const api = performance.getEntriesByType('resource').filter((e) => /\/api\/(getRun|scalarGrid)$/.test(e.name));
              resolve({ first, dataAt: Math.max(...api.map((e) => e.responseEnd - t)), grids: api.filter((e) => /scalarGrid$/.test(e.name)).length, runs: new Set([...document.querySelectorAll('[data-testid=overview-column]')].map((e) => e.getAttribute('data-run-id'))).size });
            });
            observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-drawn'] });
            location.hash = `#/run/${encodeURIComponent(id)}/overview?compare=${compare}`;
          }),
        { id: ids[0], compare },
      );
      if (ms.runs !== RUNS) throw new Error(`the Overview shows ${ms.runs} runs, not ${RUNS}`);
      afterData.push(ms.first - ms.dataAt);
      fromOpen.push(ms.first);
      panels = ms.grids;
    }

    /** Play the Animations tab at its top speed for 4 s with `runs` runs overlaid; frames shown per second. */
    const playRate = async (runs) => {
      await page.evaluate(({ id, compare, t }) => (location.hash = `#/run/${encodeURIComponent(id)}/animations?tensor=${encodeURIComponent(t)}${compare ? `&compare=${compare}` : ''}`), { id: ids[0], compare: ids.slice(1, runs).join(','), t: ANIMATED });
      const sel = runs > 1 ? `[data-runs="${runs}"]` : '';
      await page.locator(`[data-testid=anim-histogram]${sel} [data-drawn]`).waitFor({ timeout: 60_000 });
      await page.locator(`[data-testid=anim-spectrum]${sel} [data-drawn]`).waitFor({ timeout: 60_000 });
      await page.locator('select[aria-label="Frames per second"]').selectOption('60');
      await page.waitForTimeout(1500);
      // Main-thread time per frame shown (Chromium's own counters over the same 4 s): unlike the
      // frame rate, it hardly depends on how many cores other processes leave to the browser.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      // CPU seconds of the page's renderer process (browser-level SystemInfo): the work a frame
      // costs, whatever share of the cores the process got meanwhile.
      const rendererCpu = async () => (await browserCdp.send('SystemInfo.getProcessInfo')).processInfo.filter((p) => p.type === 'renderer').reduce((a, p) => a + p.cpuTime, 0);
      const c0 = await rendererCpu();
      const m0 = await metrics();
      const r = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const label = document.querySelector('[data-testid=frame-label]');
            let last = label.textContent;
            let changes = 0;
            let rafs = 0;
            const t0 = performance.now();
            const tick = () => {
              rafs++;
              if (label.textContent !== last) {
                changes++;
                last = label.textContent;
              }
              if (performance.now() - t0 < 4000) requestAnimationFrame(tick);
              else resolve({ seconds: (performance.now() - t0) / 1000, changes, rafs });
            };
            document.querySelector('[data-testid=play]').click();
            requestAnimationFrame(tick);
          }),
      );
      const m1 = await metrics();
      const c1 = await rendererCpu();
      await cdp.detach();
      await page.locator('[data-testid=play]').click();
      const perFrame = (name) => (1000 * (m1[name] - m0[name])) / Math.max(1, r.changes);
      return { ...r, scriptMs: perFrame('ScriptDuration'), taskMs: perFrame('TaskDuration'), cpuMs: (1000 * (c1 - c0)) / Math.max(1, r.changes) };
    };
    const anim = await playRate(RUNS);
    // The same page with the page's run alone, measured at the same moment: what the machine's
    // load allows a single run (the issue's 30 fps is met by one run on an idle machine, UI in Chromium).
    const alone = await playRate(1);
    const fps = anim.changes / anim.seconds;
    const m = median(afterData);
    process.stdout.write(
      [
        `| measure (Chromium, ${RUNS} runs x 154 checkpoints x ${LAYERS} blocks) | value | target |`,
        '|---|---|---|',
        `| Overview of ${RUNS} runs: data arrived -> first heatmap drawn (median of ${REPEATS}) | ${m.toFixed(0)} ms (min ${Math.min(...afterData).toFixed(0)}, max ${Math.max(...afterData).toFixed(0)}) | <= 300 ms ${m <= 300 ? 'met' : 'NOT met'} |`,
        `| Overview of ${RUNS} runs: open -> first heatmap drawn, incl. ${panels} scalarGrid requests (median) | ${median(fromOpen).toFixed(0)} ms | |`,
        `| Animations, ${RUNS} runs overlaid (histogram + QQ + spectrum, 8 series each; no correlation frames): frames per second | ${fps.toFixed(1)} fps (${anim.changes} frames in ${anim.seconds.toFixed(1)} s; display ${(anim.rafs / anim.seconds).toFixed(0)} Hz) | >= 30 fps ${fps >= 30 ? 'met' : 'NOT met'} |`,
        `| the same, page run alone (baseline at the same moment) | ${(alone.changes / alone.seconds).toFixed(1)} fps (display ${(alone.rafs / alone.seconds).toFixed(0)} Hz) | |`,
        `| per frame shown, ${RUNS} runs: renderer CPU time; main thread script / all tasks (Chromium's ScriptDuration, TaskDuration, wall-clock) | ${anim.cpuMs.toFixed(1)} ms CPU; ${anim.scriptMs.toFixed(1)} ms / ${anim.taskMs.toFixed(1)} ms | |`,
        `| the same, page run alone | ${alone.cpuMs.toFixed(1)} ms CPU; ${alone.scriptMs.toFixed(1)} ms / ${alone.taskMs.toFixed(1)} ms | |`,
        `| machine: ${cpus().length} cores, load average during the run | ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) | |`,
      ].join('\n') + '\n',
    );
    // The browser's animation frames (display Hz) slow down both when the page's frames take long
    // and when other processes take the cores: on a loaded machine say so, and point to the
    // per-frame CPU time, which measures the page's work whatever the load.
    const hz = anim.rafs / anim.seconds;
    const load = loadavg()[0];
    if (hz < 30 || load > cpus().length) process.stdout.write(`\nThe browser ran ${hz.toFixed(0)} animation frames a second during this run, machine load ${load.toFixed(1)} on ${cpus().length} cores: at that load the fps rows measure the machine as much as the page; the ${RUNS}-run overlay cost ${anim.cpuMs.toFixed(1)} ms of renderer CPU per frame shown, the single run ${alone.cpuMs.toFixed(1)} ms.\n`);
    if (errors.length) process.stderr.write(`page errors: ${errors.join(' | ')}\n`);
  } finally {
    await browser.close();
    server.child.kill('SIGTERM');
  }
}

await main();
