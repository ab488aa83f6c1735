// Runs analysis jobs: plan -> worker_threads pool -> progress events (checkpoint, tensor, ETA)
// -> cancel -> resume. Workers compute; only this (main) thread writes to the store, one
// transaction per finished (checkpoint, unit), so a crash or a cancel loses at most the units in
// flight and a rerun skips everything already stored.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { AtlasError, type AnalysisKind, type CheckpointSubset, type JobState, type SweepEstimate } from '../../common/api';
import type { ModelConfig, RunInfo } from '../../common/domain';
import { describeSubset, isWholeRun } from '../../common/subset';
import type { Store, UnitResults } from '../store/store';
import { workerScript } from '../paths';
import { planUnits, shortHash, type PlannedUnit } from './plan';
import { extentsFromStore, RUN_PARAM_SOURCES, runParamsFor, type RunParams } from './run-params';
import { assignShards, checkpointBytesOf, shardPlanRecord, type ShardSpec } from './shard';
import { runShapes } from './estimate-run';
import type { ShardExchange } from './shard-files';
import { runUnit, unitDescriptor, unitPrecondition, type UnitTask } from './units';
import { SweepMeter } from './meter';
import { updateCalibration } from './estimate';
import type { Probe, RunShapes } from './cost';
import { Timeline } from './timeline';
import { runInWorker } from './worker-call';
import { expectedSeconds, UnitQueue } from './schedule';

export interface JobOptions {
  threads?: number;
  probe?: { file?: string; batch?: number; seqLen?: number };
  provider?: 'auto' | 'cpu' | 'cuda' | 'webgpu';
  /** Only these checkpoints (common/subset.ts); references stay the run's own. */
  subset?: CheckpointSubset;
  /** The estimate made before the start (main/jobs/estimate.ts): shown with the job, then compared with what happened and used to calibrate. */
  estimate?: { estimate: SweepEstimate; shapes: RunShapes; config: ModelConfig | null; probe?: Probe };
  /** Compute only shard i of N of the plan (main/jobs/shard.ts); run-wide parameters come through `exchange`. */
  shard?: { spec: ShardSpec; exchange: ShardExchange | null; waitSeconds?: number };
}

export interface ManagerOptions {
  /** Default worker count; 0 runs units in the calling thread (tests, debugging). */
  defaultThreads?: number;
  /** Force in-thread execution even when threads > 0 (no built worker available). */
  inline?: boolean;
}

interface Job {
  state: JobState;
  run: RunInfo;
  cancelled: boolean;
  /** Set when the job cannot go on (the cache refuses writes). */
  fatal?: string;
  workers: Set<Worker>;
  done: Promise<void>;
  /** Times and resident memory of the units that ran (main/jobs/meter.ts). */
  meter?: SweepMeter;
  /** Set when a shard stopped before its histograms because other shards' statistics are missing. */
  waitingOn?: number[];
}

/** A unit to compute, with its stamp's context and the run-wide parameters it needs. */
interface Todo {
  p: PlannedUnit;
  ctx: string;
  params: RunParams | null;
}

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  /** Opt-in record of the pool's lanes (CHECKPOINT_ATLAS_TIMELINE; main/jobs/timeline.ts). */
  private readonly timeline = new Timeline();

  constructor(
    private readonly store: Store,
    private readonly onUpdate: (job: JobState) => void,
    private readonly options: ManagerOptions = {},
  ) {}

  list(): JobState[] {
    return [...this.jobs.values()].map((j) => ({ ...j.state }));
  }

  get(jobId: string): JobState | null {
    const j = this.jobs.get(jobId);
    return j ? { ...j.state } : null;
  }

  /** Wait for a job to end (tests and the CLI). */
  async wait(jobId: string): Promise<JobState> {
    const j = this.jobs.get(jobId);
    if (!j) throw new AtlasError('not-found', `no job ${jobId}`);
    await j.done;
    return { ...j.state };
  }

  start(run: RunInfo, analyses: AnalysisKind[], opts: JobOptions = {}): string {
    for (const j of this.jobs.values()) {
      if (j.run.id === run.id && (j.state.state === 'running' || j.state.state === 'queued')) {
        throw new AtlasError('busy', `an analysis of ${run.name} is already running (job ${j.state.jobId}); cancel it or wait`);
      }
    }
    const jobId = randomUUID();
    const state: JobState = {
      jobId,
      runId: run.id,
      analyses,
      state: 'queued',
      done: 0,
      total: 0,
      skipped: 0,
      failed: 0,
      current: null,
      startedAt: Date.now(),
      // Until the first unit ends, the ETA is the estimate's.
      etaSeconds: opts.estimate && opts.estimate.estimate.units > 0 ? Math.round(opts.estimate.estimate.seconds) : null,
      provider: null,
      providerNote: null,
      error: null,
      warnings: [],
      ...(isWholeRun(opts.subset) ? {} : { subset: describeSubset(opts.subset) }),
      estimate: opts.estimate?.estimate ?? null,
      measured: null,
    };
    const job: Job = { state, run, cancelled: false, workers: new Set(), done: Promise.resolve() };
    this.jobs.set(jobId, job);
    // Start on a later tick so that callers can subscribe to the job's events first.
    job.done = new Promise<void>((r) => setImmediate(r)).then(() => this.execute(job, analyses, opts)).catch((err: unknown) => {
      job.state.state = 'failed';
      job.state.error = err instanceof Error ? err.message : String(err);
      this.publish(job);
    });
    return jobId;
  }

  /** Shards whose statistics a stopped shard job waits for (null when it does not wait). */
  waitingOn(jobId: string): number[] | null {
    return this.jobs.get(jobId)?.waitingOn ?? null;
  }

  /** How many units run at once for a requested thread count (as execute decides; 1 in-thread). */
  lanes(threads?: number): number {
    const t = Math.max(0, threads ?? this.options.defaultThreads ?? Math.min(2, availableParallelism()));
    return this.options.inline || t === 0 || !existsSync(workerScript()) ? 1 : Math.max(1, t);
  }

  async cancel(jobId: string): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (!job || job.state.state === 'done' || job.state.state === 'failed' || job.state.state === 'cancelled') return false;
    job.cancelled = true;
    await Promise.all([...job.workers].map((w) => w.terminate()));
    await job.done;
    return true;
  }

  async cancelAll(): Promise<void> {
    await Promise.all([...this.jobs.keys()].map((id) => this.cancel(id)));
  }

  async shutdown(): Promise<void> {
    await this.cancelAll();
  }

  private publish(job: Job): void {
    this.onUpdate({ ...job.state, warnings: [...job.state.warnings] });
  }

  private async execute(job: Job, analyses: AnalysisKind[], opts: JobOptions): Promise<void> {
    let planned = planUnits(job.run, analyses, opts.subset).filter((p) => {
      const why = unitPrecondition(job.run, p.unit);
      if (why && !job.state.warnings.some((w) => w.startsWith(`${p.unit}:`))) job.state.warnings.push(`${p.unit}: skipped for this run: ${why}`);
      return !why;
    });
    // A shard keeps its share of the plan; every shard records the whole split for merge/status.
    let planHash = '';
    let ownWeights = new Set<string>();
    if (opts.shard) {
      const { spec } = opts.shard;
      // Costs from the shapes of the last planned checkpoint's headers (as the estimate reads them).
      const shapesCkpt = planned[planned.length - 1]?.checkpoint ?? null;
      const bytesOf = checkpointBytesOf(job.run);
      const shapes = shapesCkpt ? await runShapes(job.run, shapesCkpt.folder) : null;
      const probe = { ...(opts.probe?.batch ? { batch: opts.probe.batch } : {}), ...(opts.probe?.seqLen ? { seqLen: opts.probe.seqLen } : {}) };
      const assignment = assignShards(planned, spec.count, { shapes, config: job.run.config, probe, bytesOf, shapesBytes: shapesCkpt ? bytesOf(shapesCkpt.id) : 0 });
      const record = shardPlanRecord(planned, assignment, spec.count, analyses);
      planHash = shortHash(record.units.map(([c, u, s]) => [c, u, s]));
      this.store.setParam(job.run.id, 'shard_plan', record);
      this.store.setParam(job.run.id, 'shard_index', spec.index);
      ownWeights = new Set(planned.filter((p, i) => p.unit === 'weights' && assignment.shardOf[i] === spec.index).map((p) => p.checkpoint.id));
      planned = planned.filter((_, i) => assignment.shardOf[i] === spec.index);
    }
    const threads = Math.max(0, opts.threads ?? this.options.defaultThreads ?? Math.min(2, availableParallelism()));
    const inline = this.options.inline || threads === 0 || !existsSync(workerScript());
    job.state.state = 'running';
    job.state.total = planned.length;
    this.publish(job);

    // Units that need run-wide parameters wait for the units those are derived from.
    const firstPhase = planned.filter((p) => !unitDescriptor(p.unit).needsRunParams);
    const secondPhase = planned.filter((p) => unitDescriptor(p.unit).needsRunParams);
    const timing = { startedAt: Date.now(), computed: 0 };
    this.timeline.mark(-1, 'job-start');
    const meter = new SweepMeter();
    job.meter = meter;
    const lanes = inline ? 0 : Math.max(1, threads);
    const secondsOf = expectedSeconds(this.store, opts.estimate);
    // What is not cached yet, with its stamp's context.
    const pending = (phase: PlannedUnit[], params: RunParams | null): Todo[] => {
      const todo: Todo[] = [];
      for (const p of phase) {
        const ctx = this.contextOf(p, params, opts);
        const stamp = { fingerprint: p.checkpoint.fingerprint, version: unitDescriptor(p.unit).version, ctx };
        if (this.store.isUnitDone({ runId: job.run.id, checkpointId: p.checkpoint.id, analysis: p.unit }, stamp)) {
          job.state.skipped++;
          job.state.done++;
        } else todo.push({ p, ctx, params });
      }
      this.publish(job);
      return todo;
    };
    if (!opts.shard) {
      // One pool, longest units first (./schedule.ts); the histograms join once every statistics unit is stored.
      const gate = secondPhase.length
        ? { waitsFor: (t: Todo) => RUN_PARAM_SOURCES.includes(t.p.unit), then: () => pending(secondPhase, runParamsFor(this.store, job.run)) }
        : null;
      await this.runPool(job, new UnitQueue(pending(firstPhase, null), (t) => secondsOf(t.p.unit)), opts, lanes, timing, gate);
    }
    for (const phase of opts.shard ? [firstPhase, secondPhase] : []) {
      // A shard hands its statistics to the others once its first phase is complete.
      if (phase === secondPhase && opts.shard?.exchange && !job.cancelled && !job.fatal) {
        opts.shard.exchange.publish(job.run.id, planHash, extentsFromStore(this.store, job.run, ownWeights));
      }
      if (!phase.length || job.cancelled) continue;
      let params: RunParams | null = null;
      if (phase === secondPhase && opts.shard) {
        const exchange = opts.shard.exchange;
        const got = exchange
          ? await exchange.gather(job.run.id, planHash, opts.shard.waitSeconds ?? 0, () => job.cancelled)
          : ({ kind: 'missing', shards: [], files: [] } as const);
        if (got.kind === 'missing') {
          job.waitingOn = [...got.shards];
          job.fatal = exchange
            ? `histograms need every checkpoint's statistics; shard(s) ${got.shards.join(', ')} of ${opts.shard.spec.count} have not finished theirs (${got.files.join(', ')} missing): rerun this shard when they have`
            : 'histograms of a shard need the shared folder of the sweep';
          break;
        }
        params = runParamsFor(this.store, job.run, got.extents);
      }
      await this.runPool(job, new UnitQueue(pending(phase, params), (t) => secondsOf(t.p.unit)), opts, lanes, timing, null);
    }
    meter.stop();
    this.timeline.mark(-1, 'job-end');
    this.timeline.flush();
    job.state.measured = {
      seconds: (Date.now() - timing.startedAt) / 1000,
      peakBytes: meter.peakBytes(),
      byUnit: meter.observations().map((o) => ({ unit: o.unit, units: o.count, seconds: o.unitSeconds, peakBytes: o.peakRss })),
    };
    // This machine's rates and memory factors, measured on the units that ran (estimate.ts).
    if (opts.estimate && !job.fatal && meter.observations().length) {
      try {
        updateCalibration(this.store, meter.observations(), { ...opts.estimate, lanes: inline ? 1 : Math.max(1, threads), baseRss: meter.baseRss });
      } catch (err) {
        job.state.warnings.push(`the estimate's calibration was not updated: ${(err as Error).message}`);
      }
    }
    if (job.fatal) {
      job.state.state = 'failed';
      job.state.error = job.fatal;
    } else if (job.cancelled) job.state.state = 'cancelled';
    else if (job.state.state === 'running') job.state.state = 'done';
    job.state.current = null;
    job.state.etaSeconds = job.state.state === 'done' ? 0 : null;
    this.publish(job);
  }

  private contextOf(p: PlannedUnit, params: RunParams | null, opts: JobOptions): string {
    return unitDescriptor(p.unit).context({ planned: p, params, probe: opts.probe ?? null });
  }

  private taskFor(job: Job, p: PlannedUnit, params: RunParams | null, opts: JobOptions, threads: number): UnitTask {
    return {
      unit: p.unit,
      run: { id: job.run.id, family: job.run.family, config: job.run.config, tokenizerPath: job.run.tokenizerPath },
      checkpoint: p.checkpoint,
      init: p.init,
      prev: p.prev,
      final: p.final,
      params: params ?? undefined,
      probe: opts.probe,
      provider: opts.provider ?? 'auto',
      // Each worker's onnxruntime session gets its share of the cores.
      intraOpThreads: Math.max(1, Math.floor(availableParallelism() / Math.max(1, threads))),
    };
  }

  private async runPool(
    job: Job,
    queue: UnitQueue<Todo>,
    opts: JobOptions,
    threads: number,
    timing: { startedAt: number; computed: number },
    gate: { waitsFor: (t: Todo) => boolean; then: () => Todo[] } | null,
  ): Promise<void> {
    // The units the gated ones wait for; when the last has ended, the gated units are queued.
    let blocking = gate ? queue.waiting().filter(gate.waitsFor).length : 0;
    let wake: () => void = () => {};
    let changed = new Promise<void>((r) => (wake = r));
    const ended = (item: Todo): void => {
      if (gate && blocking > 0 && gate.waitsFor(item) && --blocking === 0 && !job.cancelled) queue.add(gate.then());
      wake();
      changed = new Promise<void>((r) => (wake = r));
    };
    if (gate && blocking === 0) queue.add(gate.then());
    const finishUnit = (item: Todo, results: UnitResults): void => {
      job.meter?.end(item, true);
      if (job.cancelled) return;
      try {
        storeUnit(item, results);
      } catch (err) {
        // The cache cannot take more (full, locked, read-only): stop the job, keep what is stored.
        job.fatal = err instanceof Error ? err.message : String(err);
        job.cancelled = true;
        for (const w of job.workers) void w.terminate();
      }
    };
    const storeUnit = (item: Todo, results: UnitResults): void => {
      this.store.writeUnit(
        { runId: job.run.id, checkpointId: item.p.checkpoint.id, analysis: item.p.unit },
        { fingerprint: item.p.checkpoint.fingerprint, version: unitDescriptor(item.p.unit).version, ctx: item.ctx },
        results,
      );
      if (results.tensors) this.store.registerTensors(job.run.id, results.tensors);
      const provider = results.info.provider;
      if (typeof provider === 'string') job.state.provider = provider;
      if (typeof results.info.providerNote === 'string') job.state.providerNote = results.info.providerNote;
      for (const w of (results.info.warnings as string[] | undefined) ?? []) {
        if (job.state.warnings.length < 200) job.state.warnings.push(`${item.p.checkpoint.label}: ${w}`);
      }
      job.state.done++;
      timing.computed++;
      const elapsed = (Date.now() - timing.startedAt) / 1000;
      const remaining = job.state.total - job.state.done;
      job.state.etaSeconds = timing.computed > 0 ? Math.round((elapsed / timing.computed) * remaining) : null;
      this.publish(job);
    };
    const failUnit = (item: { p: PlannedUnit }, message: string): void => {
      job.meter?.end(item, false);
      // One bad checkpoint never stops the run: it is reported and the job goes on.
      job.state.warnings.push(`${item.p.checkpoint.label} (${item.p.unit}): ${message}`);
      job.state.done++;
      job.state.failed++;
      this.publish(job);
    };
    const progress = (item: { p: PlannedUnit }, tensor?: string): void => {
      job.meter?.begin(item, item.p.unit);
      job.state.current = { checkpoint: item.p.checkpoint.label, ...(tensor ? { tensor } : {}) };
      this.publish(job);
    };

    if (threads === 0) {
      for (let item = queue.take(0); item && !job.cancelled; item = queue.take(0)) {
        progress(item);
        this.timeline.mark(0, 'begin', { unit: item.p.unit, checkpoint: item.p.checkpoint.label });
        try {
          const results = await runUnit(this.taskFor(job, item.p, item.params, opts, 1), (tensor) => progress(item, tensor));
          finishUnit(item, results);
        } catch (err) {
          failUnit(item, (err as Error).message);
        }
        this.timeline.mark(0, 'end', { unit: item.p.unit, checkpoint: item.p.checkpoint.label });
        ended(item);
      }
      return;
    }

    // With gated units to come every lane is started; a lane with nothing ready waits for them.
    const lanes = gate ? threads : Math.min(threads, queue.pending);
    // Shared by this pool's workers: one large tensor in memory at a time (units/large-tensor.ts).
    const largeTensorSlot = new SharedArrayBuffer(4);
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const nextItem = async (): Promise<Todo | null> => {
          for (;;) {
            if (job.cancelled) return null;
            const item = queue.take(lane);
            if (item || blocking === 0) return item;
            await changed;
          }
        };
        let item = await nextItem();
        while (item) {
          this.timeline.mark(lane, 'spawn');
          const worker = new Worker(workerScript(), { workerData: { largeTensorSlot } });
          if (this.timeline.enabled) worker.once('online', () => this.timeline.mark(lane, 'online'));
          job.workers.add(worker);
          try {
            while (item) {
              const current: Todo = item;
              progress(current);
              this.timeline.mark(lane, 'begin', { unit: current.p.unit, checkpoint: current.p.checkpoint.label });
              const outcome = await runInWorker(worker, this.taskFor(job, current.p, current.params, opts, threads), (tensor) => {
                this.timeline.mark(lane, 'tensor', { unit: current.p.unit, tensor });
                progress(current, tensor);
              });
              this.timeline.mark(lane, 'end', { unit: current.p.unit, checkpoint: current.p.checkpoint.label });
              if (outcome.kind === 'done') finishUnit(current, outcome.results);
              else if (outcome.kind === 'error') failUnit(current, outcome.message);
              else {
                // A dead worker cannot give the large-tensor slot back: free it for the others.
                const slot = new Int32Array(largeTensorSlot);
                if (Atomics.compareExchange(slot, 0, worker.threadId, 0) === worker.threadId) Atomics.notify(slot, 0);
                // The worker died (cancel, out of memory, native crash): a fresh one takes the next unit.
                if (!job.cancelled) failUnit(current, outcome.message);
              }
              ended(current);
              item = await nextItem();
              if (outcome.kind === 'exit') break;
            }
          } finally {
            job.workers.delete(worker);
            await worker.terminate();
            this.timeline.mark(lane, 'terminated');
          }
        }
      }),
    );
  }
}

export { unitPrecondition };
