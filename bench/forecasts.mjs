#!/usr/bin/env node
// Back-test of the forecasts (main/metrics/forecast.ts) on the bundled demo runs: both runs are
// analysed (weights, fits, spectra) into a scratch cache, each trajectory of the forecast metrics
// (main/store/trajectories.ts FORECAST_METRICS) is fitted on the checkpoints up to 60% of the
// run's last step and scored on the rest, per metric family. The baseline, measured in the same
// run, is the last fitted checkpoint's value carried forward. Prints a Markdown section for
// BENCHMARKS.md (bench/run.mjs includes it). Errors are relative: |prediction - value| / |value|.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
const lib = join(tmp, 'forecast-lib.mjs');
const db = join(tmp, 'forecast.sqlite');
const out = join(tmp, 'forecast-export');
const FAMILIES = ['frobenius_norm', 'dist_to_init', 'rel_dist_to_init', 'std', 'absmax', 'spectral_norm', 'stable_rank', 'effective_rank', 'student_t_nu'];
const DEMO = ['tiny', 'small'].map((s) => join(root, 'resources', 'demo', 'hub', `models--atlas--atlas-demo-${s}`));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

mkdirSync(tmp, { recursive: true });
const { build } = await import('rolldown');
await build({ input: join(root, 'main', 'metrics', 'forecast.ts'), platform: 'node', output: { file: lib, format: 'esm' }, logLevel: 'silent' });
const { forecast } = await import(pathToFileURL(lib).href);

rmSync(db, { force: true });
rmSync(out, { recursive: true, force: true });
process.stderr.write('forecasts: analysing the demo runs ...\n');
run(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), 'analyze', ...DEMO, '--db', db, '--analyses', 'weights,fits,spectra', '--threads', '2']);
run(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), 'export', '--db', db, '--out', out]);

const series = new Map();
const [, ...lines] = readFileSync(join(out, 'scalars.csv'), 'utf8').trim().split('\n');
for (const line of lines) {
  const [runId, step, , tensor, , , metric, value] = line.split(',');
  if (!FAMILIES.includes(metric) || value === '') continue;
  const key = `${runId}|${tensor}|${metric}`;
  if (!series.has(key)) series.set(key, { metric, steps: [], values: [] });
  const s = series.get(key);
  s.steps.push(Number(step));
  s.values.push(Number(value));
}

const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))] : NaN;
};
const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : 'n/a');
const rows = [];
const t0 = performance.now();
let fitted = 0;
for (const family of FAMILIES) {
  const errs = [];
  const errsLast = [];
  const base = [];
  const baseLast = [];
  let inside = 0;
  let scored = 0;
  const forms = {};
  for (const s of series.values()) {
    if (s.metric !== family) continue;
    const last = s.steps[s.steps.length - 1];
    const cut = s.steps.filter((x) => x <= 0.6 * last).length;
    if (cut < 6 || cut >= s.steps.length) continue;
    const heldSteps = s.steps.slice(cut);
    const f = forecast(s.steps.slice(0, cut), s.values.slice(0, cut), { at: heldSteps });
    fitted++;
    if (!f) continue;
    forms[f.fit.form] = (forms[f.fit.form] ?? 0) + 1;
    const pred = f.points.slice(cut);
    const carried = s.values[cut - 1];
    heldSteps.forEach((_, j) => {
      const truth = s.values[cut + j];
      if (!(Math.abs(truth) > 0)) return;
      const e = Math.abs(pred[j].value - truth) / Math.abs(truth);
      const b = Math.abs(carried - truth) / Math.abs(truth);
      errs.push(e);
      base.push(b);
      scored++;
      if (truth >= pred[j].lower && truth <= pred[j].upper) inside++;
      if (j === heldSteps.length - 1) {
        errsLast.push(e);
        baseLast.push(b);
      }
    });
  }
  if (!errsLast.length) continue;
  rows.push(`| ${family} | ${errsLast.length} | ${pct(quantile(errs, 0.5))} | ${pct(quantile(errsLast, 0.5))} | ${pct(quantile(errsLast, 0.9))} | ${pct(quantile(baseLast, 0.5))} | ${pct(inside / scored)} | ${Object.entries(forms).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`Both demo runs (atlas-demo-tiny and -small, 32 checkpoints each, last step 2600): every
trajectory fitted on its checkpoints up to step 1500 (60% of the run, 20 checkpoints) and scored on
the 12 later ones (1600 ... 2600, up to 1.73x the last fitted step). Relative error |forecast -
value| / |value|; baseline: the value at step 1500 carried forward. ${fitted} fits in ${seconds.toFixed(1)} s.

| metric family | trajectories | median error, all held-out | median error at step 2600 | 90th pct at 2600 | baseline median at 2600 | truth inside the 95% band | forms chosen |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`);
