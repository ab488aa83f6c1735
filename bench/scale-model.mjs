#!/usr/bin/env node
// docs/SCALE.md's cost table: the estimate's model (main/jobs/estimate.ts: per unit, fixed
// seconds + rate x work, work from the shapes) with the rates this machine measured in
// bench/shard.mjs (bench/.tmp/shard-rates.json: the calibration its single-process sweep wrote),
// applied to the Pythia suite's shapes over 154 checkpoints; wall time for N tasks by the same
// longest-processing-time split as main/jobs/shard.ts, phase by phase. Also checks the model
// against the measured sweep it was calibrated on. Prints Markdown.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--defaults`: the estimate's default rates (measured by `npm run bench` on this machine, see
// main/jobs/estimate.ts) instead of a fresh calibration, e.g. when the machine was too loaded for
// the fresh one to mean anything (wall seconds under contention inflate every rate).
const useDefaults = process.argv.includes('--defaults');
const ratesFile = join(root, 'bench', '.tmp', 'shard-rates.json');
const m = useDefaults || !existsSync(ratesFile) ? { measuredAt: 'defaults', calibration: {} } : JSON.parse(readFileSync(ratesFile, 'utf8'));
// main/jobs/estimate.ts DEFAULT_CALIBRATION and fixedCost (used where this machine measured nothing).
const DEFAULTS = { weights: 5e-8, histogram: 2e-8, fits: 3e-8, spectra: 8e-11, embedding: 1e-8, 'svd-directions': 1.7e-10 };
const MEMF = { weights: 2.5, histogram: 2, fits: 4, spectra: 2, embedding: 3, 'svd-directions': 3 };
const FIXED = { weights: 0.1, histogram: 0.1, fits: 0.1, spectra: 0.2, embedding: 0.1, 'svd-directions': 0.2 };
const UNITS = ['weights', 'histogram', 'fits', 'spectra', 'embedding', 'svd-directions'];
const rate = (u) => m.calibration[u]?.rate ?? DEFAULTS[u];
const memf = (u) => m.calibration[u]?.memoryFactor ?? MEMF[u];
const measured = (u) => m.calibration[u]?.rate !== undefined;

/** Shapes of a GPT-NeoX (Pythia) model as estimate.ts summarises them. */
function shapes(d, layers, vocab) {
  const mats = [[vocab, d], [vocab, d]];
  for (let i = 0; i < layers; i++) mats.push([3 * d, d], [d, d], [4 * d, d], [d, 4 * d]);
  let params = 0, gramWork = 0, largest = 0, spectraBytes = 0;
  for (const [r, c] of mats) {
    params += r * c;
    largest = Math.max(largest, r * c);
    gramWork += r * c * Math.min(r, c);
    spectraBytes = Math.max(spectraBytes, r * c * 4 + Math.min(r, c) ** 2 * 8);
  }
  params += layers * 13 * d + 2 * d; // biases and layer norms
  return { params, gramWork, largest, spectraBytes, embed: vocab * d, unembed: vocab * d, layers };
}
const work = (u, s) => ({ weights: s.params, histogram: s.params, fits: s.params, spectra: s.gramWork, embedding: s.embed, 'svd-directions': s.gramWork + s.unembed * s.layers })[u];
const mem = (u, s) => ({ weights: s.largest * 4, histogram: s.largest * 4, fits: s.largest * 4, spectra: s.spectraBytes, embedding: s.embed * 4, 'svd-directions': s.largest * 4 })[u];
const unitSeconds = (u, s) => FIXED[u] + rate(u) * work(u, s);

function lpt(costs, n) {
  const load = new Array(Math.min(n, costs.length)).fill(0);
  for (const c of [...costs].sort((a, b) => b - a)) {
    let best = 0;
    for (let i = 1; i < load.length; i++) if (load[i] < load[best]) best = i;
    load[best] += c;
  }
  return Math.max(0, ...load);
}
const fmtH = (s) => (s / 3600 >= 100 ? (s / 3600).toFixed(0) : (s / 3600).toFixed(1));
const fmtT = (s) => (s >= 86400 ? `${(s / 86400).toFixed(1)} d` : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.max(1, Math.round(s / 60))} min`);

const PYTHIA = [['70M', 512, 6, 50304], ['160M', 768, 12, 50304], ['410M', 1024, 24, 50304], ['1B', 2048, 16, 50304], ['1.4B', 2048, 24, 50304], ['2.8B', 2560, 32, 50304], ['6.9B', 4096, 32, 50432], ['12B', 5120, 36, 50688]];
const C = 154;
const out = [];
out.push(m.measuredAt === 'defaults'
  ? 'Rates: the estimate\'s defaults (`main/jobs/estimate.ts`, from `npm run bench` measurements on this machine), core-seconds per unit of work:\n'
  : `Rates measured on ${m.measuredAt.slice(0, 10)} by \`bench/shard.mjs\` (core-seconds per unit of work; ${UNITS.filter(measured).join(', ')} measured here, ${UNITS.filter((u) => !measured(u)).join(', ') || 'none'} at the estimate's default rates):\n`);
out.push('| unit | rate (core-s per work unit) | work per checkpoint | memory factor |');
out.push('|---|---:|---|---:|');
const WORKDOC = { weights: 'parameters', histogram: 'parameters', fits: 'parameters', spectra: 'sum of r*c*min(r,c) over matrices', embedding: 'embedding elements', 'svd-directions': 'spectra work + unembedding x layers' };
for (const u of UNITS) out.push(`| ${u} | ${rate(u).toExponential(2)}${measured(u) ? '' : ' (default)'} | ${WORKDOC[u]} | ${memf(u).toFixed(1)} |`);
out.push('');
out.push(`Sweep of ${C} checkpoints with the default analyses (weights + histograms, fits, spectra, embedding, svd-directions), one core per task:\n`);
out.push('| model | d x layers | parameters | CPU-hours | N = 1 | N = 8 | N = 64 | N = 512 | memory per task |');
out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, d, L, V] of PYTHIA) {
  const s = shapes(d, L, V);
  const phase1 = [];
  const phase2 = [];
  for (let c = 0; c < C; c++) for (const u of UNITS) (u === 'histogram' ? phase2 : phase1).push(unitSeconds(u, s));
  const total = [...phase1, ...phase2].reduce((a, b) => a + b, 0);
  const wall = (n) => lpt(phase1, n) + lpt(phase2, n);
  const peak = Math.max(...UNITS.map((u) => memf(u) * mem(u, s))) + 400 * 2 ** 20;
  out.push(`| Pythia-${name} | ${d} x ${L} | ${(s.params / 1e9).toFixed(2)}B | ${fmtH(total)} | ${fmtT(wall(1))} | ${fmtT(wall(8))} | ${fmtT(wall(64))} | ${fmtT(wall(512))} | ${(peak / 2 ** 30).toFixed(1)} GiB |`);
}
// The check: the model against a measured sweep of the 70M-shaped bench run (d=512, 6 layers).
const s = shapes(512, 6, 50304);
if (m.singleCpu === undefined) {
  console.log(out.join('\n'));
  process.exit(0);
}
const predicted = m.checkpoints * ['weights', 'histogram', 'fits', 'spectra', 'embedding'].reduce((a, u) => a + unitSeconds(u, s), 0);
out.push('');
const byDefaults = m.checkpoints * ['weights', 'histogram', 'fits', 'spectra', 'embedding'].reduce((a, u) => a + FIXED[u] + DEFAULTS[u] * work(u, s), 0);
out.push(`Check against the measured sweep (${m.checkpoints} checkpoints of the 70M-shaped bench run, weights + histograms, fits, spectra, embedding, one process, including process start and reads): measured ${m.singleCpu.toFixed(0)} CPU-s (${m.singleSeconds.toFixed(0)} s wall). The model with the rates above (calibrated on the units of this same sweep, so it checks the model's form and fixed parts) predicts ${predicted.toFixed(0)} core-s (measured/model ${(m.singleCpu / predicted).toFixed(2)}); with the estimate's default rates (measured independently, on earlier benchmarks) it predicts ${byDefaults.toFixed(0)} core-s (measured/model ${(m.singleCpu / byDefaults).toFixed(2)}).`);
console.log(out.join('\n'));
