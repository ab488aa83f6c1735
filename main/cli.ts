// The headless entry: `checkpoint-atlas scan | analyze | export | init-dist | serve | gif | figure | start`.
// Runs the same engine as the desktop app, in plain Node, so a GPU server without a display can
// sweep a run and export results or GIFs over SSH.
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { AtlasError, InitDistRequest, type AnalysisKind, type CheckpointSubset } from '../common/api';
import { ANALYSIS_IDS } from '../common/analyses';
import { SubsetError, parseEvery, parseStepsSpec } from '../common/subset';
import { formatBytes, formatSeconds } from './jobs/estimate';
import { Store, defaultDbPath } from './store/store';
import { Engine, defaultDemoRoot } from './api/engine';
import { startHttpCarrier } from './api/http';
import { browserCommand, writeLaunchFile } from './api/launch-file';
import { scanPaths } from './layouts/scan';
import { formatScanText } from './layouts/scan';
import { projectRoot, rendererDir } from './paths';
import { ProgressPrinter } from './jobs/progress-printer';
import { parseShardSpec, type ShardSpec } from './jobs/shard';
import { ShardExchange, ShardStatusWriter, shardStatusPath } from './jobs/shard-files';
import type { ShardPlanRecord } from './jobs/shard';
import { formatMergeOutcome, mergeShards, requireWritableDir, sweepStatus } from './jobs/sweep';
import { escapeTerminal, escapeTerminalDeep } from '../common/terminal';
import { FIGURE_DEFAULT_SIZE, GIF_DEFAULT_SIZE } from '../common/charts/types';
import { initDistribution } from './export/init-dist';
import { writeInitCheckpoint } from './export/init-checkpoint';
import { figureCommand, gifCommand, type FigureCommandOptions, type GifCommandOptions } from './export/commands';
import { addTokenLossCommand } from './export/token-loss-command';

const ALL_WEIGHT_ANALYSES: AnalysisKind[] = ['weights', 'fits', 'spectra', 'embedding', 'svd-directions'];
/** Every analysis the registry (common/analyses/index.ts) holds: a new descriptor is known here at once. */
const KNOWN_ANALYSES: readonly AnalysisKind[] = ANALYSIS_IDS;

function fail(message: string, code = 1): never {
  process.stderr.write(`checkpoint-atlas: ${escapeTerminal(message)}\n`);
  process.exit(code);
}

function openStore(db: string | undefined): Store {
  return new Store(resolve(db ?? defaultDbPath()));
}

function parseAnalyses(list: string): AnalysisKind[] {
  const out: AnalysisKind[] = [];
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!KNOWN_ANALYSES.includes(raw as AnalysisKind)) fail(`unknown analysis "${raw}" (known: ${KNOWN_ANALYSES.join(', ')})`, 2);
    out.push(raw as AnalysisKind);
  }
  return out;
}

/** Which Electron binary, if any, can be launched (the npm package without its download has none). */
function electronBinary(): string | null {
  try {
    const requireElectron = createRequire(import.meta.url);
    const path = requireElectron('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function openInBrowser(url: string): void {
  // A private redirect file, not the URL: the token stays off every command line (launch-file.ts).
  const { cmd, args } = browserCommand(process.platform, writeLaunchFile(url));
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write('could not open a browser; open the URL above yourself\n'));
  child.unref();
}

async function serve(opts: { db?: string; port?: string; open?: boolean; demo?: boolean; hubCache?: boolean; landOnDemo?: boolean }, paths: string[]): Promise<void> {
  const store = openStore(opts.db);
  const engine = new Engine({
    store,
    carrier: 'http',
    demoRoots: opts.demo === false ? [] : [defaultDemoRoot()],
    scanHubCache: opts.hubCache !== false,
  });
  await engine.init();
  if (paths.length) {
    const { errors } = await engine.openPaths({ paths });
    for (const e of errors) process.stderr.write(`${escapeTerminal(e.path)}: ${escapeTerminal(e.message)}\n`);
  }
  const port = opts.port === undefined ? 0 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, got ${opts.port}`, 2);
  const server = await startHttpCarrier({ api: engine, subscribe: engine.subscribe, staticRoot: rendererDir(), port });
  // `npm start` lands on the bundled demo run rather than the run list.
  const demo = opts.landOnDemo ? (await engine.listRuns({})).runs.find((r) => r.source === 'demo') : undefined;
  const url = demo ? `${server.url}#/run/${demo.id}/overview` : server.url;
  // First launch: start the demo's weight analyses so the researcher sees the heatmaps fill in.
  if (demo && !demo.analysed.includes('weights')) await engine.startAnalysis({ runId: demo.id, analyses: ['weights', 'fits', 'spectra', 'embedding'] });
  process.stdout.write(`Serving Checkpoint Atlas on ${url}\n`);
  if (opts.open) openInBrowser(url);
  const stop = async (): Promise<void> => {
    await engine.close();
    await server.close();
    store.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/** The version in package.json (the one `npm` and the app's footer report). */
function packageVersion(): string {
  return (createRequire(import.meta.url)(resolve(projectRoot(), 'package.json')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('checkpoint-atlas')
    .description('Explore how a language model changes over training: scan checkpoint series, analyse them into a cache, export, serve the UI.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError();

  program
    .command('runs')
    .description('List the runs in the cache: id, name, checkpoints, analyses cached, folder (gif/figure/export accept the id or the name)')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: { db?: string; json?: boolean }) => {
      const store = new Store(resolve(opts.db ?? defaultDbPath()));
      const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false });
      try {
        const runs = store.listRuns().map((r) => ({
          id: r.id,
          name: r.name,
          source: r.source,
          checkpoints: r.info.checkpoints.filter((c) => !c.missing).length,
          analysed: engine.summarize(r.info, r.source).analysed,
          folder: r.root,
          folderExists: existsSync(r.root),
        }));
        if (opts.json) {
          process.stdout.write(JSON.stringify({ db: store.path, runs }, null, 2) + '\n');
          return;
        }
        if (runs.length === 0) process.stdout.write(`no runs in ${escapeTerminal(store.path)}: run \`checkpoint-atlas analyze <folder>\` first\n`);
        for (const r of runs) {
          process.stdout.write(`${r.id}  ${escapeTerminal(r.name)}  ${r.checkpoints} checkpoints  ${r.analysed.join(',') || '(nothing analysed)'}  ${escapeTerminal(r.folder)}${r.folderExists ? '' : '  (folder missing)'}\n`);
        }
      } finally {
        await engine.close();
        store.close();
      }
    });

  program
    .command('scan')
    .description('List the checkpoint series found under PATHs: layout, architecture, steps, files, warnings')
    .argument('<paths...>', 'folders or files: HF cache, Trainer output, step folders, a checkpoint')
    .option('--json', 'print one JSON document on stdout')
    .option('--full-hash', 'fingerprint weights by a full content hash (slow) instead of headers and samples')
    .action(async (paths: string[], opts: { json?: boolean; fullHash?: boolean }) => {
      const result = await scanPaths(paths.map((p) => resolve(p)), { fullHash: !!opts.fullHash });
      if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else process.stdout.write(formatScanText(escapeTerminalDeep(result))); // names from files: no raw control characters
      if (!result.runs.length) process.exitCode = 1;
    });

  program
    .command('analyze')
    .description('Compute analyses for every checkpoint of the runs under PATHs into the cache (resumable)')
    .argument('<paths...>', 'folders holding checkpoint series')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .option('--analyses <list>', `comma-separated: ${KNOWN_ANALYSES.join(',')}`, ALL_WEIGHT_ANALYSES.join(','))
    .option('--threads <n>', 'worker threads', String(Math.max(1, Math.min(4, (globalThis.navigator?.hardwareConcurrency ?? 2)))))
    .option('--json-progress', 'print progress as JSON lines on stdout')
    .option('--probe <file>', 'probe text for activations/gradients (default: the bundled sample)')
    .option('--probe-batch <n>', 'probe batch size B')
    .option('--probe-len <n>', 'probe sequence length L')
    .addOption(new Option('--provider <name>', 'onnxruntime execution provider').choices(['auto', 'cpu', 'cuda', 'webgpu']).default('auto'))
    .option('--shard <i/N>', 'compute only shard i of N of the sweep (a cluster array task; see docs/SCALE.md); needs --db')
    .option('--wait-for-shards <seconds>', 'with --shard: how long the histogram phase waits for the other shards\' statistics before exiting with code 75', '0')
    .option('--steps <spec>', 'only these checkpoints: A:B (inclusive, either end may be empty) or a list such as 0,1000,143000')
    .option('--every <k>', 'only every K-th checkpoint (of those --steps selects), starting with the first')
    .option('--force', 'start even when the estimated peak memory does not fit in what this machine has free')
    .option('--estimate', 'print the estimate (time, peak memory) and exit without computing')
    .action(async (paths: string[], opts: { db?: string; analyses: string; threads: string; jsonProgress?: boolean; probe?: string; probeBatch?: string; probeLen?: string; provider: 'auto' | 'cpu' | 'cuda' | 'webgpu'; steps?: string; every?: string; force?: boolean; estimate?: boolean; shard?: string; waitForShards: string }) => {
      const analyses = parseAnalyses(opts.analyses);
      const threads = Number(opts.threads);
      if (!Number.isInteger(threads) || threads < 1) fail(`--threads must be a positive integer, got ${opts.threads}`, 2);
      let subset: CheckpointSubset | undefined;
      try {
        const every = opts.every === undefined ? undefined : parseEvery(opts.every);
        subset = { ...(opts.steps === undefined ? {} : parseStepsSpec(opts.steps)), ...(every ? { every } : {}) };
      } catch (err) {
        if (err instanceof SubsetError) fail(`--${opts.every !== undefined && err.message.startsWith('every') ? 'every' : 'steps'}: ${err.message}`, 2);
        throw err;
      }
      let spec: ShardSpec | null = null;
      if (opts.shard !== undefined) {
        try {
          spec = parseShardSpec(opts.shard);
        } catch (err) {
          fail((err as Error).message, 2);
        }
        if (!opts.db) fail('--shard needs --db OUT_DIR/shard-<i>-of-<N>.sqlite (the shards of a sweep share OUT_DIR)', 2);
        requireWritableDir(dirname(resolve(opts.db)), 'the sweep\'s output folder');
      }
      const waitSeconds = Number(opts.waitForShards);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0) fail(`--wait-for-shards must be a number of seconds, got ${opts.waitForShards}`, 2);
      const shardDir = spec && opts.db ? dirname(resolve(opts.db)) : '';
      const exchange = spec ? new ShardExchange(shardDir, spec) : null;
      const status = spec ? new ShardStatusWriter(shardStatusPath(shardDir, spec), spec) : null;
      const store = openStore(opts.db);
      const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false });
      const opened = await engine.openPaths({ paths });
      for (const e of opened.errors) process.stderr.write(`${escapeTerminal(e.path)}: ${escapeTerminal(e.message)}\n`);
      if (!opened.runs.length) fail('no checkpoint series found', 1);
      const printer = new ProgressPrinter({ json: !!opts.jsonProgress, stream: process.stderr });
      let failed = false;
      let waiting = false;
      let interrupted = false;
      const onSignal = (): void => {
        interrupted = true;
        void engine.jobs.cancelAll();
      };
      process.once('SIGINT', onSignal);
      for (const run of opened.runs) {
        const probe = {
          ...(opts.probe ? { file: resolve(opts.probe) } : {}),
          ...(opts.probeBatch ? { batch: Number(opts.probeBatch) } : {}),
          ...(opts.probeLen ? { seqLen: Number(opts.probeLen) } : {}),
        };
        const request = { runId: run.id, analyses, threads, probe, provider: opts.provider, subset };
        if (opts.estimate) {
          const est = await engine.estimateAnalysis(request);
          if (opts.jsonProgress) process.stdout.write(JSON.stringify({ run: run.name, estimate: est }) + '\n');
          else process.stderr.write(`${run.name}: estimate: ${est.message}\n`);
          if (!est.fits) failed = true;
          continue;
        }
        let jobId = '';
        const unsubscribe = engine.subscribe((ev) => {
          if (ev.type !== 'job' || ev.job.jobId !== jobId) return;
          printer.update(run.name, ev.job);
          if (status && !status.hasPlan(run.id)) {
            const plan = store.getParam<ShardPlanRecord>(run.id, 'shard_plan');
            if (plan && plan.count === spec?.count) status.addPlan(run.id, plan.units);
          }
          status?.update(ev.job, 'running');
        });
        const shard = spec ? { spec, exchange, waitSeconds } : undefined;
        try {
          ({ jobId } = await engine.startAnalysis({ ...request, ...(opts.force ? { force: true } : {}) }, shard ? { shard } : {}));
        } catch (err) {
          unsubscribe();
          // Refused before anything ran (too large for memory, a subset the run lacks): say so, go on.
          if (err instanceof AtlasError && (err.code === 'too-large' || err.code === 'bad-request')) {
            process.stderr.write(`checkpoint-atlas: ${err.message}${err.code === 'too-large' ? ' (--force starts it anyway)' : ''}\n`);
            failed = true;
            continue;
          }
          throw err;
        }
        const started = engine.jobs.get(jobId);
        if (started?.estimate && !opts.jsonProgress) process.stderr.write(`${run.name}: estimate: ${started.estimate.message}${started.subset ? `; checkpoints: ${started.subset}` : ''}\n`);
        const final = await engine.jobs.wait(jobId);
        unsubscribe();
        printer.finish(run.name, final);
        if (final.estimate && final.measured && final.estimate.units > 0 && !opts.jsonProgress) {
          const e = final.estimate;
          const m = final.measured;
          process.stderr.write(
            `${run.name}: took ${formatSeconds(m.seconds)} (estimated ${formatSeconds(e.seconds)}), peak ${formatBytes(m.peakBytes)} (estimated ${formatBytes(e.peakBytes)}); this machine's calibration is updated\n`,
          );
          const split = (m.byUnit ?? []).map((u) => `${u.unit} ${u.seconds.toFixed(1)} s / ${u.units} (peak ${formatBytes(u.peakBytes)})`).join(', ');
          if (split) process.stderr.write(`${run.name}: unit seconds (summed over threads): ${split}\n`);
        }
        status?.runEnded(final);
        if (engine.jobs.waitingOn(jobId)) waiting = true;
        else if (final.state !== 'done' || final.failed > 0) failed = true;
        if (interrupted) break;
      }
      status?.update(null, interrupted ? 'cancelled' : waiting ? 'waiting' : failed ? 'failed' : 'done', true);
      await engine.close();
      store.close();
      // 75 (EX_TEMPFAIL): a shard's histograms wait for other shards; sweep.sbatch requeues it.
      process.exitCode = failed ? 1 : waiting ? 75 : 0;
    });

  program
    .command('merge')
    .description('Join the caches of a sharded sweep into one cache (idempotent); says which units are still missing')
    .argument('<out>', 'the merged cache (created if missing; earlier merges are kept)')
    .argument('<shards...>', 'shard caches: OUT_DIR/shard-<i>-of-<N>.sqlite')
    .action((out: string, shards: string[]) => {
      const outcome = mergeShards(out, shards);
      process.stdout.write(formatMergeOutcome(out, outcome));
      // 1: a shard was refused; 3: merged, but units of the sweep are still missing.
      process.exitCode = outcome.errors.length ? 1 : outcome.missing.some((m) => m.count > 0) ? 3 : 0;
    });

  program
    .command('status')
    .description('Progress of a sharded sweep: units done/total per shard, ETA, failures')
    .argument('<out_dir>', 'the folder the shards write into')
    .action((dir: string) => {
      const { text, complete } = sweepStatus(dir);
      process.stdout.write(text);
      // 4: shards still to run (scripts poll until 0: every shard finished, failures listed).
      process.exitCode = complete ? 0 : 4;
    });

  program
    .command('export')
    .description('Write scalars.csv and the JSON Lines files of the export contract from the cache')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--run <id>', 'only this run (default: every run in the cache)')
    .action(async (opts: { db?: string; out: string; run?: string }) => {
      const store = new Store(resolve(opts.db ?? defaultDbPath()));
      const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false });
      const { files } = await engine.exportData({ outDir: opts.out, ...(opts.run ? { runId: opts.run } : {}) });
      for (const f of files) process.stdout.write(`${escapeTerminal(f)}\n`);
      store.close();
    });

  addTokenLossCommand(program);

  program
    .command('init-dist')
    .description('Write one tensor\'s empirical quantile function (float64 probabilities, quantiles) as safetensors, or with --write-checkpoint a whole initial checkpoint drawn from the trained one, to initialise a new model (docs/INIT_DIST.md)')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .requiredOption('--run <id>', 'run id or name')
    .option('--tensor <name>', 'raw tensor name (one tensor\'s distribution; with --out)')
    .option('--step <n>', 'checkpoint step (default: the last)')
    .option('--points <n>', 'points of the quantile function (>= 1025)', '2049')
    .option('--out <file>', 'output .safetensors (one tensor)')
    .option('--write-checkpoint <dir>', 'write a whole initial checkpoint (model.safetensors + config.json) into this new folder')
    .addOption(new Option('--method <m>', 'with --write-checkpoint: sample each tensor from its quantile function, or permute its trained values').choices(['sample', 'permute']).default('sample'))
    .option('--seed <n>', 'with --write-checkpoint: random seed', '0')
    .action(async (opts: { db?: string; run: string; tensor?: string; step?: string; points: string; out?: string; writeCheckpoint?: string; method: 'sample' | 'permute'; seed: string }) => {
      // The same request schema as the app's Export menu (common/api.ts InitDistRequest).
      const parsed = InitDistRequest.safeParse({ run: opts.run, tensor: opts.tensor ?? '-', points: Number(opts.points), ...(opts.step === undefined ? {} : { step: Number(opts.step) }) });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        fail(`--${String(issue.path[0] ?? 'run')}: ${issue.message}`, 2);
      }
      const req = parsed.data;
      const store = new Store(resolve(opts.db ?? defaultDbPath()), { readonly: true });
      try {
        if (opts.writeCheckpoint) {
          const seed = Number(opts.seed);
          if (!Number.isSafeInteger(seed) || seed < 0) fail(`--seed must be a non-negative integer, got ${opts.seed}`, 2);
          const r = await writeInitCheckpoint(store, { run: req.run, out: opts.writeCheckpoint, method: opts.method, seed, points: req.points, ...(req.step === undefined ? {} : { step: req.step }) });
          process.stdout.write(`${escapeTerminal(r.path)}: ${r.drawn.length} tensors ${opts.method === 'sample' ? 'sampled from their' : 'permuted within their'} step-${r.checkpoint.step} distributions of ${escapeTerminal(r.run.name)}, ${r.copied.length} copied (buffers, integers)\n`);
          return;
        }
        if (!opts.tensor || !opts.out) fail('init-dist needs --tensor and --out (one tensor), or --write-checkpoint DIR (a whole checkpoint)', 2);
        const r = await initDistribution(store, { run: req.run, tensor: opts.tensor, out: opts.out, points: req.points, ...(req.step === undefined ? {} : { step: req.step }) });
        process.stdout.write(`${escapeTerminal(r.path)}: ${r.probabilities.length} quantiles of ${escapeTerminal(r.metadata.tensor)} [${r.shape.join(', ')}] at step ${r.checkpoint.step} of ${escapeTerminal(r.run.name)}\n`);
      } finally {
        store.close();
      }
    });

  program
    .command('serve')
    .description('Serve the UI and the API to a browser on 127.0.0.1 (prints the URL with its launch token)')
    .argument('[paths...]', 'folders to open besides the demo and the Hugging Face cache')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .option('--port <n>', 'port (default: any free port)')
    .option('--open', 'open the URL in the default browser')
    .option('--no-demo', 'do not list the bundled demo run')
    .option('--no-hub-cache', 'do not look for runs in the Hugging Face cache')
    .action(async (paths: string[], opts: { db?: string; port?: string; open?: boolean; demo?: boolean; hubCache?: boolean }) => {
      await serve(opts, paths);
    });

  program
    .command('start')
    .description('What `npm start` runs: the desktop window when Electron is installed, else `serve` on the demo')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .option('--port <n>', 'port for the browser mode (default: any free port)')
    .option('--open', 'in browser mode, open the URL in the default browser')
    .action(async (opts: { db?: string; port?: string; open?: boolean }) => {
      const electron = electronBinary();
      if (electron && process.env.ATLAS_NO_ELECTRON !== '1') {
        const child = spawn(electron, [projectRoot(), ...(opts.db ? [`--db=${resolve(opts.db)}`] : [])], { stdio: 'inherit' });
        child.on('exit', (code) => process.exit(code ?? 0));
        return;
      }
      process.stdout.write('The Electron binary is not installed (run `npm run electron:install` with internet access to get the desktop window), so the same app is served to your browser instead.\n');
      await serve({ ...opts, demo: true, hubCache: true, landOnDemo: true }, []);
    });

  program
    .command('gif')
    .description('Render an animation of a run over its checkpoints as a GIF, headless (works over SSH)')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .requiredOption('--run <id>', 'run id or name (see `runs`)')
    .requiredOption('--view <name>', 'histogram|qq|spectrum|correlation|activations|gradients|outliers (--tensor resid.{i})|head-spectrum (--tensor attn.{b}.head.{h}.{q|k|v})')
    .option('--tensor <name>', 'raw tensor name (or use --component and --block)')
    .option('--component <c>', 'component, e.g. mlp.in, attn.qkv, resid')
    .option('--block <b>', 'block index, or embed|final|unembed')
    .requiredOption('--out <file>', 'output .gif')
    .option('--fps <n>', 'frames per second', '10')
    .option('--width <w>', 'width in pixels', String(GIF_DEFAULT_SIZE.width))
    .option('--height <h>', 'height in pixels', String(GIF_DEFAULT_SIZE.height))
    .option('--steps <a:b>', 'only checkpoints with a <= step <= b')
    .option('--no-loop', 'play once instead of looping')
    .option('--reorder', 'correlation: reorder tokens to reveal clusters')
    .option('--y-log', 'histograms: logarithmic counts')
    .option('--family <f>', 'qq: gaussian|logistic|studentT')
    .action(async (opts: GifCommandOptions) => {
      await gifCommand(opts);
    });

  program
    .command('figure')
    .description('Render one view of a run as PNG or SVG, headless')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .requiredOption('--run <id>', 'run id or name (see `runs`)')
    .requiredOption('--view <name>', 'heatmap|curves|histogram|qq|spectrum|correlation|outliers (max |x| ever per block; with --tensor resid.{i}: its outlier dimensions)|head-spectrum')
    .option('--metric <id>', 'heatmap/curves: metric id (e.g. frobenius_norm)')
    .option('--component <c>', 'component')
    .option('--kind <k>', 'weight|bias')
    .option('--block <b>', 'block index, or embed|final|unembed')
    .option('--tensor <name>', 'raw tensor name')
    .option('--step <n>', 'checkpoint step (default: the last)')
    .option('--format <f>', 'png|svg (default: from --out)')
    .option('--width <w>', 'width in pixels', String(FIGURE_DEFAULT_SIZE.width))
    .option('--height <h>', 'height in pixels', String(FIGURE_DEFAULT_SIZE.height))
    .requiredOption('--out <file>', 'output file')
    .option('--step-scale <s>', 'log|linear')
    .option('--y-log', 'logarithmic y (curves default to it)')
    .option('--no-y-log', 'linear y')
    .option('--family <f>', 'qq: gaussian|logistic|studentT')
    .option('--palette <p>', 'colour scale')
    .option('--reorder', 'correlation: reorder tokens')
    .option('--change-points', 'heatmap: mark change points (the default, as the Overview)')
    .option('--no-change-points', 'heatmap: no change-point marks')
    .action(async (opts: FigureCommandOptions) => {
      await figureCommand(opts);
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof AtlasError) fail(err.file && !err.message.includes(err.file) ? `${err.file}: ${err.message}` : err.message);
    throw err;
  }
}

await main(process.argv);
