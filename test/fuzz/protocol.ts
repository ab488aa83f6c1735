// Messages between the fuzz supervisor (main thread) and the worker thread that runs the cases,
// and the layout of the shared memory the supervisor's watchdog reads while a case runs.
import type { FuzzInput, TargetName } from './targets';

/** Float64 slots of the shared state buffer. */
export const SHARED = {
  /** Index of the case now running (generated mode) or of the input in the batch (inputs mode). */
  caseIndex: 0,
  /** Date.now() when the case started. */
  startedAt: 1,
  /** 1 while a case runs, 0 between cases. */
  running: 2,
  /** Canary trap calls (never reset). */
  canaryCalls: 3,
  /** Cases finished by this worker (progress). */
  finished: 4,
  /** Process CPU time (user + system, microseconds) when the case started. */
  cpuAtStart: 5,
  /** Process RSS (bytes) when the case started: the limit applies to growth during one case. */
  rssAtStart: 6,
  /** Successes and typed refusals so far (a batch cut short by the watchdog keeps its counts). */
  successes: 7,
  typedErrors: 8,
  length: 9,
} as const;

export type FindingKind = 'crash' | 'invariant' | 'canary' | 'hang' | 'memory' | 'worker-exit';

export interface Finding {
  kind: FindingKind;
  target: TargetName;
  /** Case index in generated mode; -1 for replayed inputs. */
  caseIndex: number;
  runSeed: number;
  /** Error name and message (or what the watchdog saw). */
  error: string;
  stack: string;
  /** Where the failing code is: first stack frame in main/ or in a dependency. */
  where: string;
  input: FuzzInput;
}

/** Per-target counters one batch reports. */
export interface BatchStats {
  cases: number;
  successes: number;
  typedErrors: number;
  findings: number;
  /** Slowest case by wall-clock time, and its origin. */
  maxCaseMs: number;
  maxCaseOrigin: string;
  /** Most process CPU time one case used (wall-clock time also counts waiting on a loaded machine). */
  maxCaseCpuMs: number;
  peakRss: number;
  /** Largest growth of the process RSS from the start to the end of one case. */
  maxRssGrowth: number;
  /** Hang or memory aborts that did not repeat when the case ran again alone (not findings). */
  unconfirmed: number;
  unconfirmedNotes: string[];
  /** Typed refusal reasons (numbers and quoted names stripped) -> count: how deep the cases got. */
  reasons: Record<string, number>;
}

export type WorkerRequest =
  | { kind: 'generate'; target: TargetName; runSeed: number; from: number; to: number }
  | { kind: 'inputs'; target: TargetName; inputs: FuzzInput[]; from: number };

export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'finding'; finding: Finding }
  | { kind: 'done'; stats: BatchStats };

export interface WorkerData {
  repoRoot: string;
  shared: SharedArrayBuffer;
  scratchDir: string;
}

export function emptyStats(): BatchStats {
  return { cases: 0, successes: 0, typedErrors: 0, findings: 0, maxCaseMs: 0, maxCaseOrigin: '', maxCaseCpuMs: 0, peakRss: 0, maxRssGrowth: 0, unconfirmed: 0, unconfirmedNotes: [], reasons: {} };
}

export function mergeStats(into: BatchStats, from: BatchStats): void {
  into.cases += from.cases;
  into.successes += from.successes;
  into.typedErrors += from.typedErrors;
  into.findings += from.findings;
  if (from.maxCaseMs > into.maxCaseMs) {
    into.maxCaseMs = from.maxCaseMs;
    into.maxCaseOrigin = from.maxCaseOrigin;
  }
  into.unconfirmed += from.unconfirmed;
  into.unconfirmedNotes.push(...from.unconfirmedNotes);
  into.maxCaseCpuMs = Math.max(into.maxCaseCpuMs, from.maxCaseCpuMs);
  into.peakRss = Math.max(into.peakRss, from.peakRss);
  into.maxRssGrowth = Math.max(into.maxRssGrowth, from.maxRssGrowth);
  for (const [k, v] of Object.entries(from.reasons)) into.reasons[k] = (into.reasons[k] ?? 0) + v;
}
