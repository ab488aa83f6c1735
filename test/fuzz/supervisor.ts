// The fuzz supervisor (main thread): hands batches of cases to one worker thread and watches it.
// A case that runs longer than the time limit (in CPU time: see the watchdog) is a hang, a process RSS above the limit is a
// memory blow-up; in both cases the worker is terminated (which stops even a synchronous infinite
// loop), the case is regenerated from its seed for the report, and a fresh worker continues with
// the next case. The worker reports crashes itself; its death (uncaught error, heap limit) is a
// finding too. Synchronous JavaScript cannot be interrupted from inside its own thread, hence two.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { CANARY_PATH } from './mutate-pickle';
import { SHARED, emptyStats, mergeStats, type BatchStats, type Finding, type FindingKind, type WorkerData, type WorkerReply, type WorkerRequest } from './protocol';
import { generateCase, loadSeeds, type FuzzInput, type Seeds, type TargetName } from './targets';

export interface SupervisorOptions {
  repoRoot: string;
  /** The bundled worker entry (JavaScript). */
  workerFile: string;
  scratchDir: string;
  /** Wall-clock limit of one case. */
  timeoutMs: number;
  /**
   * Limit on how much the process's resident set may grow while one case runs (growth, not the
   * absolute size: freed memory of earlier cases and terminated workers is not always returned
   * to the system, so the absolute RSS drifts upwards over a long run).
   */
  rssLimitBytes: number;
}

export interface TargetReport {
  target: TargetName;
  stats: BatchStats;
  byKind: Record<FindingKind, number>;
  seconds: number;
}

interface Aborted {
  kind: FindingKind;
  caseIndex: number;
  error: string;
}

interface BatchResult {
  stats: BatchStats;
  findings: Finding[];
  aborted: Aborted | null;
}

const WATCH_INTERVAL_MS = 20;
/** A case that has not finished after this many times the limit (even without using CPU) is stopped. */
const STALL_FACTOR = 10;

export class FuzzSupervisor {
  private worker: Worker | null = null;
  private readonly shared = new SharedArrayBuffer(SHARED.length * 8);
  private readonly state = new Float64Array(this.shared);
  private seeds: Seeds | null = null;
  /** Canary trap calls seen in the shared counter (survives worker restarts: counted on exit). */
  canaryCalls = 0;
  peakRss = 0;

  constructor(private readonly options: SupervisorOptions) {}

  private async startWorker(): Promise<Worker> {
    this.state.fill(0);
    const workerData: WorkerData = { repoRoot: this.options.repoRoot, shared: this.shared, scratchDir: this.options.scratchDir };
    const worker = new Worker(this.options.workerFile, { workerData, resourceLimits: { maxOldGenerationSizeMb: 2048 }, stdout: false, stderr: false });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => {
        if (m.kind === 'ready') {
          worker.off('error', reject);
          worker.off('message', onMessage);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    this.worker = worker;
    return worker;
  }

  private async stopWorker(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) {
      this.canaryCalls += this.state[SHARED.canaryCalls];
      this.state[SHARED.canaryCalls] = 0;
      await w.terminate();
    }
  }

  /** Run one batch; resolves when the worker finishes it or is stopped by the watchdog. */
  private async runBatch(req: WorkerRequest): Promise<BatchResult> {
    const worker = this.worker ?? (await this.startWorker());
    const findings: Finding[] = [];
    const finishedBefore = this.state[SHARED.finished];
    const successesBefore = this.state[SHARED.successes];
    const typedBefore = this.state[SHARED.typedErrors];
    return new Promise<BatchResult>((resolve) => {
      let settled = false;
      const settle = (result: BatchResult): void => {
        if (settled) return;
        settled = true;
        clearInterval(watch);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(result);
      };
      const abort = (kind: FindingKind, error: string): void => {
        const caseIndex = this.state[SHARED.caseIndex];
        const stats = emptyStats();
        // Cases finished before the abort (their refusal reasons are lost with the worker).
        stats.cases = this.state[SHARED.finished] - finishedBefore;
        stats.successes = this.state[SHARED.successes] - successesBefore;
        stats.typedErrors = this.state[SHARED.typedErrors] - typedBefore;
        stats.findings = findings.length;
        stats.peakRss = this.peakRss;
        settle({ stats, findings, aborted: { kind, caseIndex, error } });
        void this.stopWorker();
      };
      const onMessage = (m: WorkerReply): void => {
        if (m.kind === 'finding') findings.push(m.finding);
        else if (m.kind === 'done') settle({ stats: m.stats, findings, aborted: null });
      };
      const onError = (err: Error): void => abort('worker-exit', `worker died: ${err.name}: ${err.message}`);
      const onExit = (code: number): void => abort('worker-exit', `worker exited with code ${code}`);
      const watch = setInterval(() => {
        const rss = process.memoryUsage.rss();
        this.peakRss = Math.max(this.peakRss, rss);
        if (this.state[SHARED.running] !== 1) return;
        const elapsed = Date.now() - this.state[SHARED.startedAt];
        const cpu = process.cpuUsage();
        const cpuMs = (cpu.user + cpu.system - this.state[SHARED.cpuAtStart]) / 1000;
        // CPU time, not wall time alone, decides a hang: on a loaded machine a short case can wait
        // seconds for a core. A case that waits without using CPU is stopped at STALL_FACTOR x limit.
        if ((elapsed > this.options.timeoutMs && cpuMs > this.options.timeoutMs) || elapsed > STALL_FACTOR * this.options.timeoutMs) {
          abort('hang', `still running after ${elapsed} ms wall, ${cpuMs.toFixed(0)} ms CPU (limit ${this.options.timeoutMs} ms)`);
        }
        else if (rss - this.state[SHARED.rssAtStart] > this.options.rssLimitBytes) {
          abort('memory', `process RSS grew by ${((rss - this.state[SHARED.rssAtStart]) / 2 ** 20).toFixed(0)} MiB during the case (limit ${(this.options.rssLimitBytes / 2 ** 20).toFixed(0)} MiB)`);
        }
      }, WATCH_INTERVAL_MS);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(req);
    });
  }

  private async inputOf(req: WorkerRequest, caseIndex: number): Promise<FuzzInput> {
    if (req.kind === 'inputs') return req.inputs[caseIndex - req.from];
    this.seeds ??= await loadSeeds(this.options.repoRoot);
    return generateCase(req.target, req.runSeed, caseIndex, this.seeds);
  }

  /**
   * Run a whole request, restarting the worker after every abort and continuing with the next
   * case. Calls `onBatch` after each batch (progress). `confirm: false` skips the lone re-run of
   * hang and memory aborts (for replays of fixtures that are known to abort).
   */
  async run(req: WorkerRequest, onBatch?: (done: number) => void, batchSize = 250, confirm = true): Promise<{ stats: BatchStats; findings: Finding[] }> {
    const stats = emptyStats();
    const findings: Finding[] = [];
    this.peakRss = process.memoryUsage.rss();
    const end = req.kind === 'generate' ? req.to : req.from + req.inputs.length;
    let next = req.from;
    while (next < end) {
      const to = Math.min(end, next + batchSize);
      const batch: WorkerRequest = req.kind === 'generate' ? { ...req, from: next, to } : { ...req, from: next, inputs: req.inputs.slice(next - req.from, to - req.from) };
      const result = await this.runBatch(batch);
      mergeStats(stats, result.stats);
      findings.push(...result.findings);
      if (result.aborted) {
        const { kind, caseIndex, error } = result.aborted;
        const input = await this.inputOf(req, caseIndex);
        stats.cases++;
        // A hang or memory abort counts only if the case does it again alone in a fresh worker
        // (the RSS limit covers the whole process, which other cases' garbage can inflate).
        const confirmed = kind === 'worker-exit' || !confirm || (await this.runBatch({ kind: 'inputs', target: req.target, inputs: [input], from: caseIndex })).aborted?.kind === kind;
        if (confirmed) {
          stats.findings++;
          if (kind === 'hang') stats.maxCaseMs = Math.max(stats.maxCaseMs, this.options.timeoutMs);
          findings.push({ kind, target: req.target, caseIndex, runSeed: req.kind === 'generate' ? req.runSeed : -1, error, stack: '', where: '', input });
        } else {
          stats.unconfirmed++;
          stats.unconfirmedNotes.push(`case ${caseIndex} (${input.origin}): ${error}; not repeated alone`);
        }
        next = caseIndex + 1;
      } else {
        next = to;
      }
      onBatch?.(next - req.from);
    }
    stats.peakRss = Math.max(stats.peakRss, this.peakRss);
    return { stats, findings };
  }

  /** True when a malicious payload managed to create its marker file. */
  canaryFileExists(): boolean {
    return existsSync(CANARY_PATH);
  }

  async close(): Promise<void> {
    await this.stopWorker();
  }
}
