// Body of the fuzzer's worker thread (started through worker.ts): installs the canary traps, loads the seeds, then runs batches
// of cases (generated from a seed range, or given inputs) one at a time, publishing the running
// case in shared memory so the supervisor can kill this thread on a hang or a memory blow-up.
// Typed refusals and successes are counted; anything else is reported with its input.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { globalShape, installCanary, takeCanaryHits } from './canary';
import { SHARED, emptyStats, type Finding, type FindingKind, type WorkerData, type WorkerReply, type WorkerRequest } from './protocol';
import { InvariantViolation, exercise, generateCase, isTypedError, loadSeeds, type FuzzInput, type Seeds, type TargetName } from './targets';

const data = workerData as WorkerData;
const shared = new Float64Array(data.shared);
installCanary(shared.subarray(SHARED.canaryCalls, SHARED.canaryCalls + 1));
const port = parentPort!;
const send = (m: WorkerReply): void => port.postMessage(m);

/** First stack frame in the app's code (main/, common/), else in a dependency, else the first. */
export function whereOf(stack: string, repoRoot: string): string {
  const frames = stack.split('\n').filter((l) => l.trim().startsWith('at ')).map((l) => l.trim().replaceAll(`${repoRoot}/`, ''));
  const inApp = frames.find((f) => /[( ](main|common)\/[^)]*\.ts:/.test(f));
  const inDependency = frames.find((f) => f.includes('node_modules/'));
  return inApp ?? inDependency ?? frames[0] ?? '';
}

/** Typed refusal message with the variable parts removed, to count distinct reasons. */
function reasonOf(message: string): string {
  return message
    .replace(/^\/fuzz\/[^:]*: /, '')
    .replace(/^[^:]*\/case\/[^:]*: /, '')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?n?\b/g, 'N')
    .replace(/\[[^\]]*\]/g, '[…]')
    .replace(/\(.*\)/g, '(…)')
    .slice(0, 160);
}

let seeds: Seeds | null = null;
const scratch = { dir: mkdtempSync(join(data.scratchDir, 'w-')) };
const baseline = globalShape();

async function runOne(target: TargetName, input: FuzzInput, index: number, runSeed: number, stats: ReturnType<typeof emptyStats>): Promise<void> {
  shared[SHARED.caseIndex] = index;
  shared[SHARED.startedAt] = Date.now();
  const cpu0 = process.cpuUsage();
  shared[SHARED.cpuAtStart] = cpu0.user + cpu0.system;
  shared[SHARED.rssAtStart] = process.memoryUsage.rss();
  shared[SHARED.running] = 1;
  const t0 = performance.now();
  let kind: FindingKind | null = null;
  let error = '';
  let stack = '';
  try {
    await exercise(target, input, scratch);
    stats.successes++;
    shared[SHARED.successes]++;
  } catch (err) {
    if (isTypedError(err)) {
      stats.typedErrors++;
      shared[SHARED.typedErrors]++;
      const r = reasonOf((err as Error).message);
      stats.reasons[r] = (stats.reasons[r] ?? 0) + 1;
    } else {
      kind = err instanceof InvariantViolation ? 'invariant' : 'crash';
      error = err instanceof Error ? `${err.name}: ${err.message}` : `non-Error thrown: ${String(err)}`;
      stack = err instanceof Error ? (err.stack ?? '') : '';
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  shared[SHARED.running] = 0;
  stats.maxCaseCpuMs = Math.max(stats.maxCaseCpuMs, (cpu.user + cpu.system) / 1000);
  shared[SHARED.finished]++;
  const hits = takeCanaryHits();
  if (hits.length) {
    kind = 'canary';
    error = `canary: ${hits.map((h) => h.what).join(', ')}`;
    stack = hits[0].stack;
  } else if (globalShape() !== baseline) {
    kind = 'canary';
    error = 'canary: the global object or a built-in prototype gained or lost keys';
    stack = globalShape();
  }
  stats.cases++;
  if (ms > stats.maxCaseMs) {
    stats.maxCaseMs = ms;
    stats.maxCaseOrigin = input.origin;
  }
  const rss = process.memoryUsage.rss();
  stats.peakRss = Math.max(stats.peakRss, rss);
  stats.maxRssGrowth = Math.max(stats.maxRssGrowth, rss - shared[SHARED.rssAtStart]);
  if (kind) {
    stats.findings++;
    const finding: Finding = { kind, target, caseIndex: index, runSeed, error, stack, where: whereOf(stack, data.repoRoot), input };
    send({ kind: 'finding', finding });
  }
}

port.on('message', (req: WorkerRequest) => {
  void (async () => {
    seeds ??= await loadSeeds(data.repoRoot);
    const stats = emptyStats();
    if (req.kind === 'generate') {
      for (let i = req.from; i < req.to; i++) await runOne(req.target, generateCase(req.target, req.runSeed, i, seeds), i, req.runSeed, stats);
    } else {
      for (let i = 0; i < req.inputs.length; i++) await runOne(req.target, req.inputs[i], req.from + i, -1, stats);
    }
    send({ kind: 'done', stats });
  })();
});
send({ kind: 'ready' });
