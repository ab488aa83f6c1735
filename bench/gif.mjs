#!/usr/bin/env node
// Benchmark: a 154-frame GIF of a 256 x 256 embedding-correlation matrix (the densest animated
// view), rendered headless from a SQLite cache by main/export/gif.ts renderGif. The cache is made
// first through Store.writeUnit: a synthetic run of 154 checkpoints whose frames are real Pearson
// correlations of random token vectors drifting into clusters (test/unit/export/synthetic.ts).
// Each measurement runs in its own process so its peak RSS (VmHWM) is its own; 50 and 154 frames
// show whether memory grows with the frame count. Also one 154-frame histogram GIF (echarts canvas
// path, per-frame quantisation) for scale. Prints a Markdown table.
// Usage: node bench/gif.mjs [--keep]   (--keep leaves the cache and GIFs in bench/.tmp)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = join(root, 'bench', '.tmp');
const lib = join(tmp, 'gif-lib.mjs');
const db = join(tmp, 'gif-bench.sqlite');
const CHECKPOINTS = 154;
const N = 256;
const RUN = 'gif-bench';

function peakMb() {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function rssMb() {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Steps like a Pythia run: 0, powers of two to 512, then every 1000 to 143000 (154 checkpoints). */
function pythiaSteps() {
  const steps = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
  for (let s = 1000; s <= 143000; s += 1000) steps.push(s);
  return steps.slice(0, CHECKPOINTS);
}

async function child(view, runCheckpoints, frames, out) {
  const { Store, renderGif } = await import(pathToFileURL(lib).href);
  const store = new Store(db, { readonly: true });
  const steps = pythiaSteps().slice(0, runCheckpoints);
  const baseMb = rssMb();
  const trace = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const result = await renderGif(store, {
    runId: `${RUN}-${runCheckpoints}`,
    view,
    tensor: view === 'correlation' ? 'gpt_neox.embed_in.weight' : 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight',
    out,
    width: 640,
    height: 480,
    steps: [steps[0], steps[frames - 1]],
    // Resident memory along the way: flat in the frame count means no growth after warm-up.
    onProgress: (done) => {
      if (done % 10 === 0 || done === frames) trace.push(`${done}:${rssMb().toFixed(0)}`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  store.close();
  process.stdout.write(JSON.stringify({ frames: result.frames, bytes: result.bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, baseMb, peakMb: peakMb(), trace: trace.join(' ') }) + '\n');
}

async function main() {
  if (process.argv[2] === '--child') {
    await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]), process.argv[6]);
    return;
  }
  mkdirSync(tmp, { recursive: true });
  const entry = join(tmp, 'gif-entry.ts');
  writeFileSync(
    entry,
    [
      `export { Store } from ${JSON.stringify(join(root, 'main/store/store.ts'))};`,
      `export { renderGif } from ${JSON.stringify(join(root, 'main/export/gif.ts'))};`,
      `export { writeSyntheticRun } from ${JSON.stringify(join(root, 'test/unit/export/synthetic.ts'))};`,
    ].join('\n'),
  );
  const { build } = await import('rolldown');
  await build({
    input: entry,
    platform: 'node',
    external: [/^better-sqlite3/, /^@napi-rs\/canvas/, /^echarts/, /^gifenc/, /^zod/],
    output: { file: lib, format: 'esm' },
    logLevel: 'silent',
  });
  const { Store, writeSyntheticRun } = await import(pathToFileURL(lib).href);
  rmSync(db, { force: true });
  rmSync(`${db}-wal`, { force: true });
  rmSync(`${db}-shm`, { force: true });
  const t0 = performance.now();
  const store = new Store(db);
  // Two runs: the exporter holds a run's stored frames of the tensor while it draws (see the
  // report), so memory is compared between runs of 50 and 154 checkpoints, not only frame ranges.
  writeSyntheticRun(store, { id: `${RUN}-${CHECKPOINTS}`, steps: pythiaSteps(), n: N });
  writeSyntheticRun(store, { id: `${RUN}-50`, steps: pythiaSteps().slice(0, 50), n: N });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  const makeSeconds = (performance.now() - t0) / 1000;
  process.stderr.write(`cache: runs of ${CHECKPOINTS} and 50 checkpoints, ${(statSync(db).size / 2 ** 20).toFixed(0)} MB, made in ${makeSeconds.toFixed(1)} s\n`);

  const rows = [];
  const traces = [];
  // [view, checkpoints of the run, frames drawn (--steps over the first ones)]
  const runs = [
    ['correlation', 50, 50],
    ['correlation', CHECKPOINTS, 50],
    ['correlation', CHECKPOINTS, CHECKPOINTS],
    ['histogram', CHECKPOINTS, CHECKPOINTS],
  ];
  for (const [view, runCheckpoints, frames] of runs) {
    const out = join(tmp, `bench-${view}-${runCheckpoints}-${frames}.gif`);
    process.stderr.write(`${view}, run of ${runCheckpoints}, ${frames} frames ...\n`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', view, String(runCheckpoints), String(frames), out], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench child failed:\n${r.stderr}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop());
    rows.push(
      `| ${view} | ${runCheckpoints} | ${m.frames} | ${m.seconds.toFixed(2)} | ${((m.seconds * 1000) / m.frames).toFixed(1)} | ${m.cpuSeconds.toFixed(1)} | ${m.baseMb.toFixed(0)} | ${m.peakMb.toFixed(0)} | ${(m.peakMb - m.baseMb).toFixed(0)} | ${(m.bytes / 2 ** 20).toFixed(2)} |`,
    );
    traces.push(`- ${view}, run of ${runCheckpoints}, ${m.frames} frames (frame:MB): ${m.trace}`);
    if (!process.argv.includes('--keep')) rmSync(out, { force: true });
  }
  if (!process.argv.includes('--keep')) {
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
  }
  process.stdout.write(`### GIF export (\`bench/gif.mjs\`)

${CHECKPOINTS}-checkpoint synthetic run (Pythia-like steps), 640 x 480 GIF. \`correlation\`: 256 x 256 embedding-row
correlation per frame, direct rasteriser, one fixed palette; \`histogram\`: 40-bin weight histogram through
echarts' canvas renderer on @napi-rs/canvas, quantised per frame. Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}.
RSS before = after loading modules and opening the cache; peak = VmHWM of the process. Seconds are wall
time (they include waiting for the CPU when the machine is shared); CPU s is user + system time.

| view | run checkpoints | frames | seconds | ms/frame | CPU s | RSS before (MB) | peak RSS (MB) | peak - before (MB) | GIF (MB) |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Resident memory (VmRSS) every 10 frames:

${traces.join('\n')}
`);
}

await main();
