// The engine: implements AtlasApi once, over the layouts (what runs exist), the job manager (what
// is being computed) and the store (what has been computed). ipc.ts and http.ts only carry it.
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { platform } from 'node:os';
import {
  AtlasError,
  type AtlasApi,
  type AtlasEvent,
  type FrameKind,
  type Request,
  type Response,
  type RunSummary,
} from '../../common/api';
import type { RunInfo } from '../../common/domain';
import { metricTrajectories, runTimeline } from '../store/trajectories';
import { runCoUpdate } from '../store/co-update';
import { initDistResponse } from '../export/init-dist';
import { withTokensPerStep } from '../layouts/tokens';
import { Store, type RunSource, type StoredRun } from '../store/store';
import { runColourSlot, setRunColourSlot } from '../store/run-colours';
import { scanPaths } from '../layouts/scan';
import { findHubCacheRoot } from '../layouts/hf-cache';
import { JobManager, type JobOptions } from '../jobs/manager';
import { orderedCheckpoints } from '../jobs/plan';
import { estimateRun, type RunEstimate } from '../jobs/estimate-run';
import { FIGURE_DEFAULT_SIZE } from '../../common/charts/types';
import { SubsetError, selectCheckpoints } from '../../common/subset';
import { exportRun, gridToCsv } from '../export/tables';
import { readProbeText } from '../jobs/units/model';
import { MemorySink, renderGifTo } from '../export/gif';
import { isStudyView, studyExportBytes } from '../export/study-views';
import { drawFigure, FIGURE_VIEWS, type FigureView } from '../export/figure';
import { renderCompareExport } from '../export/compare';
import { isAnimationView, resolveTensor } from '../export/lookup';
import { probeProviders } from '../compute/providers';
import { projectRoot } from '../paths';
import { buildScalarGrid, presentCheckpoints } from '../store/grids';
import { RunWatcher } from './watch';
import { browseFolder } from './browse';
import { summarizeRun } from './summary';
import { tokenLossChangeFor } from '../store/token-loss';
import { scalingSeries, TOKENS_PER_STEP_KEY } from '../store/scaling';
import { renderScalingExport } from '../export/scaling';
import { EmbeddingRanges } from './embedding-range';
import { runLabel } from '../../common/run-label';

export { buildScalarGrid, presentCheckpoints };

export interface EngineOptions {
  store: Store;
  carrier: 'electron' | 'http';
  /** Folders scanned at start as the bundled demo. */
  demoRoots?: string[];
  /** Look for runs in the user's Hugging Face cache at start (default true). */
  scanHubCache?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Worker threads for analysis jobs (0 = run in the calling thread). */
  defaultThreads?: number;
  /** Watch the folders of runs that are shown (getRun) and rescan them on change (default on). */
  watchRuns?: boolean;
  /** Quiet time before a watched change triggers a rescan, ms (main/api/watch.ts default). */
  watchSettleMs?: number;
}

export function defaultDemoRoot(): string {
  return join(projectRoot(), 'resources', 'demo', 'hub');
}

export class Engine implements AtlasApi {
  readonly events = new EventEmitter();
  readonly jobs: JobManager;
  private ready: Promise<void> | null = null;
  private readonly gridCache = new Map<string, { gen: string; updatedAt: number; grid: Response<'scalarGrid'> }>();

  private readonly watcher: RunWatcher | null;

  constructor(private readonly opts: EngineOptions) {
    this.events.setMaxListeners(100);
    // A change under a shown run's folder: rescan it (freshRun says runs-changed if it grew).
    this.watcher = opts.watchRuns === false ? null : new RunWatcher((runId) => void this.freshRun(runId).catch(() => undefined), opts.watchSettleMs);
    this.jobs = new JobManager(opts.store, (job) => this.emit({ type: 'job', job }), { defaultThreads: opts.defaultThreads });
  }

  get store(): Store {
    return this.opts.store;
  }

  subscribe = (listener: (event: AtlasEvent) => void): (() => void) => {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  };

  private emit(event: AtlasEvent): void {
    this.events.emit('event', event);
  }

  /** Scan the demo and the hub cache once; later calls wait for the same scan. */
  init(): Promise<void> {
    this.ready ??= this.discover();
    return this.ready;
  }

  private async discover(): Promise<void> {
    const demoRoots = (this.opts.demoRoots ?? [defaultDemoRoot()]).filter((p) => existsSync(p));
    if (demoRoots.length) await this.register(demoRoots, 'demo');
    if (this.opts.scanHubCache ?? true) {
      const hub = findHubCacheRoot(this.opts.env ?? process.env);
      if (hub && existsSync(hub)) await this.register([hub], 'hf-cache');
    }
  }

  private async register(paths: string[], source: RunSource): Promise<{ runs: RunInfo[]; errors: { path: string; message: string }[] }> {
    const result = await scanPaths(paths);
    // A run the user removed from the library stays removed when found again by discovery (demo,
    // HF cache); opening its folder explicitly brings it back.
    if (source === 'opened') for (const run of result.runs) this.store.forgetRemoval(run.id);
    else result.runs = result.runs.filter((run) => !this.store.isRemoved(run.id));
    for (const run of result.runs) {
      this.store.upsertRun(run, source);
      // Its colour is chosen once, as it enters the library (main/store/run-colours.ts).
      runColourSlot(this.store, run.id);
    }
    if (result.runs.length) this.emit({ type: 'runs-changed' });
    return result;
  }

  private requireRun(runId: string): RunInfo {
    const stored = this.store.getRun(runId);
    if (!stored) throw new AtlasError('not-found', `no run with id "${runId}"; open its folder first`);
    return stored.info;
  }

  summarize(info: RunInfo, source: RunSource): RunSummary {
    return summarizeRun(this.store, info, source);
  }

  // ------------------------------------------------------------------------------ AtlasApi

  async appInfo(_req: Request<'appInfo'>): Promise<Response<'appInfo'>> {
    const attempts = await probeProviders();
    return {
      version: '0.1.0',
      carrier: this.opts.carrier,
      dbPath: this.store.path,
      providers: attempts.filter((a) => a.ok).map((a) => a.provider),
      providersPassedOver: attempts.filter((a) => !a.ok).map((a) => ({ provider: a.provider, reason: a.error ?? 'failed to start' })),
      platform: `${platform()} ${process.arch}`,
    };
  }

  async listRuns(_req: Request<'listRuns'>): Promise<Response<'listRuns'>> {
    await this.init();
    // The bundled demo is listed once: the per-user cache also holds the demo runs of every other
    // checkout of the app it has seen (same names, other folders); those are not this app's demo.
    const demoRoots = (this.opts.demoRoots ?? [defaultDemoRoot()]).map((p) => resolve(p));
    const ownDemo = (root: string) => demoRoots.some((d) => root === d || root.startsWith(d + sep));
    return {
      runs: this.store
        .listRuns()
        .filter((r) => r.source !== 'demo' || ownDemo(resolve(r.root)))
        .map((r) => this.listed(r)),
    };
  }

  /** A stored run as the run list shows it: summary, the user's name, whether its folder is gone. */
  private listed(r: StoredRun): RunSummary {
    return { ...this.summarize(r.info, r.source), ...(r.alias ? { alias: r.alias } : {}), ...(existsSync(r.root) ? {} : { folderMissing: true }) };
  }

  async removeRun(req: Request<'removeRun'>): Promise<Response<'removeRun'>> {
    await this.init();
    const stored = this.store.getRun(req.runId);
    if (!stored) throw new AtlasError('not-found', `no run with id "${req.runId}"`);
    const active = this.jobs.list().find((j) => j.runId === req.runId && (j.state === 'queued' || j.state === 'running'));
    if (active) throw new AtlasError('busy', `an analysis of ${stored.alias ?? stored.name} is running; cancel it before removing the run`);
    this.store.removeRun(req.runId);
    for (const key of [...this.gridCache.keys()]) if (key.startsWith(`${req.runId}\u0000`)) this.gridCache.delete(key);
    this.emit({ type: 'runs-changed' });
    return { runId: stored.id, name: stored.name, root: stored.root };
  }

  async renameRun(req: Request<'renameRun'>): Promise<Response<'renameRun'>> {
    await this.init();
    const stored = this.store.getRun(req.runId);
    if (!stored) throw new AtlasError('not-found', `no run with id "${req.runId}"`);
    const alias = req.alias.trim();
    if (/[\u0000-\u001f\u007f]/.test(alias)) throw new AtlasError('bad-request', 'a run name cannot contain control characters');
    this.store.setAlias(req.runId, alias === '' || alias === stored.name ? null : alias);
    this.emit({ type: 'runs-changed' });
    return { run: this.listed(this.store.getRun(req.runId)!) };
  }

  async setRunColour(req: Request<'setRunColour'>): Promise<Response<'setRunColour'>> {
    await this.init();
    if (!this.store.getRun(req.runId)) throw new AtlasError('not-found', `no run with id "${req.runId}"`);
    // Removed meanwhile by another process sharing the cache: nothing is stored, and the answer says so.
    const run = setRunColourSlot(this.store, req.runId, req.colourSlot) ? this.store.getRun(req.runId) : null;
    if (!run) throw new AtlasError('not-found', `no run with id "${req.runId}" (removed from the library)`);
    this.emit({ type: 'runs-changed' });
    return { run: this.listed(run) };
  }

  async openPaths(req: Request<'openPaths'>): Promise<Response<'openPaths'>> {
    await this.init();
    const paths = req.paths.map((p) => resolve(p));
    const missing = paths.filter((p) => !existsSync(p));
    const result = await this.register(
      paths.filter((p) => existsSync(p)),
      'opened',
    );
    for (const p of paths) if (existsSync(p)) this.store.addRecentPath(p);
    const errors = [...missing.map((p) => ({ path: p, message: 'no such file or folder' })), ...result.errors];
    if (!result.runs.length && !errors.length) {
      errors.push(...paths.map((p) => ({ path: p, message: 'no checkpoints found here (looked for safetensors / PyTorch weight files, Trainer checkpoint-N folders, step folders and Hugging Face cache models)' })));
    }
    return { runs: result.runs.map((r) => this.summarize(r, 'opened')), errors };
  }

  async getRun(req: Request<'getRun'>): Promise<Response<'getRun'>> {
    await this.init();
    const run = this.requireRun(req.runId);
    const alias = this.store.getRun(req.runId)?.alias ?? null;
    this.watcher?.watch(run.id, run.root);
    // Checkpoints without a read token count get step x the user's tokens per step, if given.
    const tokensPerStep = this.store.getParam<number>(run.id, TOKENS_PER_STEP_KEY);
    // The views name the run as the exports do: by its alias when the user gave one (common/run-label.ts).
    const shown = { ...run, name: runLabel({ name: run.name, alias }), checkpoints: withTokensPerStep(run.checkpoints, tokensPerStep), tokensPerStep };
    return { run: shown as unknown as Record<string, unknown> };
  }

  async browse(req: Request<'browse'>): Promise<Response<'browse'>> {
    return browseFolder(req, this.opts.env ?? process.env, this.store.recentPaths());
  }

  /**
   * The run as its folder is now: rescanned (headers only, a fraction of a second) before an
   * analysis, so that checkpoints written since the last scan are analysed too (a run still
   * training) and the model settings are read by this version's parsers. When the folder cannot
   * be scanned now, the stored description is used and the units say what they cannot read.
   */
  private async freshRun(runId: string): Promise<RunInfo> {
    const stored = this.store.getRun(runId);
    if (!stored) return this.requireRun(runId);
    let fresh: RunInfo | undefined;
    try {
      fresh = (await scanPaths([stored.info.root])).runs.find((r) => r.id === runId);
    } catch {
      fresh = undefined;
    }
    if (!fresh) return stored.info;
    if (JSON.stringify(fresh) !== JSON.stringify(stored.info)) {
      this.store.upsertRun(fresh, stored.source);
      this.emit({ type: 'runs-changed' });
    }
    return fresh;
  }

  /** `local` carries what only the CLI passes (a shard of a cluster sweep), never over IPC/HTTP. */
  async startAnalysis(req: Request<'startAnalysis'>, local: Pick<JobOptions, 'shard'> = {}): Promise<Response<'startAnalysis'>> {
    await this.init();
    // A probe must be a regular UTF-8 text file of bounded size (no FIFO, device or binary file).
    if (req.probe?.file) await readProbeText(req.probe.file).catch((err: Error) => { throw new AtlasError('bad-request', err.message, req.probe?.file); });
    const run = await this.freshRun(req.runId);
    // Estimate first: a sweep whose peak memory would not fit is refused before it starts.
    const est = await this.sweepEstimate(run, req);
    if (est && !est.estimate.fits && !req.force) throw new AtlasError('too-large', `${run.name}: ${est.estimate.message}`);
    const jobId = this.jobs.start(run, req.analyses, {
      threads: req.threads,
      probe: req.probe,
      provider: req.provider,
      ...(req.subset ? { subset: req.subset } : {}),
      ...(est ? { estimate: est } : {}),
      ...(local.shard ? { shard: local.shard } : {}),
    });
    return { jobId };
  }

  async estimateAnalysis(req: Request<'estimateAnalysis'>): Promise<Response<'estimateAnalysis'>> {
    await this.init();
    const run = await this.freshRun(req.runId);
    const est = await this.sweepEstimate(run, req);
    if (!est) throw new AtlasError('internal', `${run.name}: the sweep could not be estimated`);
    return est.estimate;
  }

  /** The subset checked (a bad one is the caller's error), then main/jobs/estimate-run.ts; null if the estimate itself failed. */
  private async sweepEstimate(run: RunInfo, req: Request<'estimateAnalysis'>): Promise<RunEstimate | null> {
    try {
      selectCheckpoints(orderedCheckpoints(run), req.subset);
    } catch (err) {
      if (err instanceof SubsetError) throw new AtlasError('bad-request', `${run.name}: ${err.message}`);
      throw err;
    }
    try {
      return await estimateRun(this.store, run, req.analyses, { lanes: this.jobs.lanes(req.threads), subset: req.subset, probe: req.probe });
    } catch {
      return null;
    }
  }

  async cancelJob(req: Request<'cancelJob'>): Promise<Response<'cancelJob'>> {
    return { cancelled: await this.jobs.cancel(req.jobId) };
  }

  async listJobs(_req: Request<'listJobs'>): Promise<Response<'listJobs'>> {
    return { jobs: this.jobs.list() };
  }

  async listTensors(req: Request<'listTensors'>): Promise<Response<'listTensors'>> {
    this.requireRun(req.runId);
    return { tensors: this.store.listTensors(req.runId), metrics: this.store.listMetrics(req.runId) };
  }

  async scalarGrid(req: Request<'scalarGrid'>): Promise<Response<'scalarGrid'>> {
    const stored = this.store.getRun(req.runId);
    if (!stored) throw new AtlasError('not-found', `no run with id "${req.runId}"; open its folder first`);
    const run = stored.info;
    // Grids are rebuilt only when the run's results changed (views ask for the same metric often).
    const key = `${req.runId}\u0000${req.metric}`;
    const gen = this.store.generation(req.runId);
    const hit = this.gridCache.get(key);
    if (hit && hit.gen === gen && hit.updatedAt === stored.updatedAt) return hit.grid;
    const grid = buildScalarGrid(this.store, run, req.metric);
    if (this.gridCache.size > 64) this.gridCache.clear();
    this.gridCache.set(key, { gen, updatedAt: stored.updatedAt, grid });
    return grid;
  }

  async frames(req: Request<'frames'>): Promise<Response<'frames'>> {
    const run = this.requireRun(req.runId);
    const present = presentCheckpoints(run);
    const byCkpt = this.store.frames(run.id, req.kind, req.tensor);
    return {
      runId: run.id,
      kind: req.kind as FrameKind,
      tensor: req.tensor,
      steps: present.map((c) => c.step ?? 0),
      checkpointIds: present.map((c) => c.id),
      frames: present.map((c) => byCkpt.get(c.id) ?? null),
    };
  }

  async renderExport(req: Request<'renderExport'>): Promise<Response<'renderExport'>> {
    const run = this.requireRun(req.runId);
    const slug = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');
    // Distinct names for distinct figures: run, view, metric, component/kind, block or tensor, step.
    const step = req.step !== undefined ? `step${req.step}` : req.steps ? `steps${req.steps.map((s) => (Number.isFinite(s) ? s : '')).join('-')}` : req.tokens !== undefined ? `tokens${req.tokens}` : req.tokenRange ? `tokens${req.tokenRange.join('-')}` : '';
    const base = slug(
      [run.name, req.view, req.metric, req.tensor ?? [req.component, req.kind && req.kind !== 'weight' ? req.kind : undefined, req.block !== undefined ? `block${req.block}` : undefined].filter(Boolean).join('_'), step]
        .filter(Boolean)
        .join('-'),
    ).slice(0, 160);
    if (req.compare?.length || req.minus) {
      // A comparison: every run shown is in the file (main/export/compare.ts).
      const file = await renderCompareExport(this.store, req);
      return { filename: `${slug(`${base}-${file.suffix}`).slice(0, 200)}.${req.format}`, mime: file.mime, base64: file.bytes.toString('base64'), bytes: file.bytes.length };
    }
    if (req.format === 'csv') {
      if (req.view !== 'heatmap' && req.view !== 'curves') throw new AtlasError('bad-request', 'CSV export covers heatmaps and curves; use Export data for every array');
      const grid = buildScalarGrid(this.store, run, req.metric ?? 'frobenius_norm');
      const csv = gridToCsv(run.id, grid, (t) => (!req.component || t.component === req.component) && (!req.kind || t.kind === req.kind) && (req.block === undefined || String(t.block) === req.block));
      const bytes = Buffer.from(csv, 'utf8');
      return { filename: `${base}.csv`, mime: 'text/csv', base64: bytes.toString('base64'), bytes: bytes.length };
    }
    // Rendered into memory (a sink, not a temporary file read back): the bytes go back over the API.
    let bytes: Buffer;
    if (isStudyView(req.view)) bytes = await studyExportBytes(this.store, { ...req, runId: run.id, view: req.view, format: req.format }); // outliers, head spectra
    else if (req.format === 'gif') {
      if (!isAnimationView(req.view)) throw new AtlasError('bad-request', `${req.view} is not an animation; export it as PNG or SVG`);
      const view = req.view;
      const meta = resolveTensor(this.store, run.id, { tensor: req.tensor, component: req.component, block: req.block });
      const sink = new MemorySink();
      await renderGifTo(this.store, { runId: run.id, view, tensor: meta.tensor, fps: req.fps, width: req.width, height: req.height, steps: req.steps, reorder: req.reorder, yLog: req.yLog, family: req.family }, sink);
      bytes = sink.bytes();
    } else {
      if (!(FIGURE_VIEWS as readonly string[]).includes(req.view)) throw new AtlasError('bad-request', `${req.view} has no figure export yet; export it as GIF`);
      const { content } = await drawFigure(this.store, {
        runId: run.id, view: req.view as FigureView, metric: req.metric, component: req.component, kind: req.kind, block: req.block, tensor: req.tensor, step: req.step,
        format: req.format, width: req.width ?? FIGURE_DEFAULT_SIZE.width, height: req.height ?? FIGURE_DEFAULT_SIZE.height, yLog: req.yLog, family: req.family, reorder: req.reorder,
        changePoints: req.changePoints,
      });
      bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    }
    const mime = req.format === 'gif' ? 'image/gif' : req.format === 'png' ? 'image/png' : 'image/svg+xml';
    return { filename: `${base}.${req.format}`, mime, base64: bytes.toString('base64'), bytes: bytes.length };
  }

  async trajectories(req: Request<'trajectories'>): Promise<Response<'trajectories'>> {
    const run = this.requireRun(req.runId);
    const r = metricTrajectories(this.store, run, req.metric, { forecasts: !!req.forecast });
    // JSON has no Infinity: a form that could not be fitted has a null held-out error.
    return { ...r, forecasts: r.forecasts.map((f) => ({ ...f, heldOut: Object.fromEntries(Object.entries(f.heldOut).map(([k, v]) => [k, Number.isFinite(v) ? v : null])) })) };
  }

  async regimeTimeline(req: Request<'regimeTimeline'>): Promise<Response<'regimeTimeline'>> {
    return runTimeline(this.store, this.requireRun(req.runId));
  }

  async tokenLossChange(req: Request<'tokenLossChange'>): Promise<Response<'tokenLossChange'>> {
    return tokenLossChangeFor(this.store, this.requireRun(req.runId), req);
  }

  async coUpdate(req: Request<'coUpdate'>): Promise<Response<'coUpdate'>> {
    return runCoUpdate(this.store, this.requireRun(req.runId), req.group, req.removeCommon ?? true);
  }

  async initDist(req: Request<'initDist'>): Promise<Response<'initDist'>> {
    return initDistResponse(this.store, req);
  }

  readonly embeddingRanges = new EmbeddingRanges();
  scaling = async (req: Request<'scaling'>): Promise<Response<'scaling'>> => scalingSeries(this.store, req);
  scalingExport = async (req: Request<'scalingExport'>): Promise<Response<'scalingExport'>> => renderScalingExport(this.store, req);
  embeddingCorrelation = async (req: Request<'embeddingCorrelation'>): Promise<Response<'embeddingCorrelation'>> => this.embeddingRanges.correlation(this.requireRun(req.runId), req);

  async setTokensPerStep(req: Request<'setTokensPerStep'>): Promise<Response<'setTokensPerStep'>> {
    this.requireRun(req.runId);
    this.store.setParam(req.runId, TOKENS_PER_STEP_KEY, req.tokensPerStep);
    return { tokensPerStep: req.tokensPerStep };
  }

  async exportData(req: Request<'exportData'>): Promise<Response<'exportData'>> {
    const runs = req.runId ? [this.requireRun(req.runId)] : this.store.listRuns().map((r) => r.info);
    const outDir = resolve(req.outDir);
    // The folder, if it exists, must be a folder (links to one are fine); safe-write.ts refuses
    // to replace anything inside it that an earlier export did not write.
    const st = await stat(outDir).catch(() => null);
    if (st && !st.isDirectory()) throw new AtlasError('bad-request', `${outDir} exists and is not a folder`, outDir);
    const files = await exportRun(this.store, runs, outDir);
    return { files };
  }

  async close(): Promise<void> {
    this.watcher?.close();
    await this.jobs.shutdown();
  }
}
