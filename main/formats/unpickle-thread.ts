// Unpickling off the main thread. The restricted unpickler and the state-dict walk are bounded
// (values, copies, memo, tensors; a dict reached twice is refused), but they are the one place
// where a 2 KB hostile file could still make the process allocate or spin; so the CLI, the server
// and the app hand data.pkl to one long-lived worker thread with V8 `resourceLimits` and a time
// bound. A pickle that exceeds them ends that worker (a fresh one is started for the next file) and
// becomes a FormatError naming the file: it can fail only its own checkpoint.
// The worker is the electron-vite entry out/main/unpickle-worker.js; where it has not been built
// (unit tests on a clean clone, the fuzz harness's own bundle) the same code runs in the calling
// thread, which the fuzzer supervises itself.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../paths';
import type { PTensor, UnpickleLimits } from './restricted-unpickler';
import { unpickleStateDict } from './state-dict';
import { FormatError } from './types';

export interface UnpickleRequest { id: number; pickle: Uint8Array; file: string; limits?: UnpickleLimits }
export type UnpickleReply = { id: number; tensors: [string, PTensor][] } | { id: number; problem: string };

export interface IsolationOptions {
  /** Worker script; default out/main/unpickle-worker.js. Absent file = run in this thread. */
  script?: string;
  /** V8 old-generation heap of the worker, MiB. */
  heapMb?: number;
  /** Wall-clock bound for one data.pkl, ms. */
  timeoutMs?: number;
  limits?: UnpickleLimits;
}

export const UNPICKLE_HEAP_MB = 1024;
export const UNPICKLE_TIMEOUT_MS = 60_000;

export function unpickleWorkerScript(): string {
  return resolve(projectRoot(), 'out', 'main', 'unpickle-worker.js');
}

interface Pending { req: UnpickleRequest; resolve: (t: [string, PTensor][]) => void; reject: (e: Error) => void }

/** One worker, one request at a time (data.pkl files are small; the queue keeps timing fair). */
class UnpickleThread {
  private worker: Worker | null = null;
  private queue: Pending[] = [];
  private current: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;

  constructor(readonly script: string, readonly heapMb: number, readonly timeoutMs: number) {}

  run(pickle: Uint8Array, file: string, limits?: UnpickleLimits): Promise<[string, PTensor][]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { id: this.nextId++, pickle, file, limits }, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Worker {
    const w = new Worker(this.script, {
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: 64, stackSizeMb: 4 },
    });
    w.on('message', (reply: UnpickleReply) => {
      const p = this.current;
      if (!p || p.req.id !== reply.id) return;
      this.finish();
      if ('tensors' in reply) p.resolve(reply.tensors);
      else p.reject(new FormatError(p.req.file, reply.problem));
    });
    const died = (why: string): void => {
      if (this.worker !== w) return;
      this.worker = null;
      const p = this.current;
      this.finish();
      p?.reject(new FormatError(p.req.file, why));
    };
    w.on('error', (err: Error & { code?: string }) => {
      died(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `data.pkl exhausted the unpickler's ${this.heapMb} MiB memory limit; refused (hostile or not a state dict)`
        : `data.pkl: the unpickling thread failed (${err.code ?? err.name})`);
    });
    w.on('exit', (code) => died(`data.pkl: the unpickling thread exited (code ${code})`));
    return w;
  }

  private finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current = null;
    this.pump();
  }

  private pump(): void {
    if (this.current) return;
    const next = this.queue.shift();
    if (!next) {
      this.worker?.unref(); // an idle worker never keeps the process alive
      return;
    }
    this.current = next;
    if (!this.worker) this.worker = this.spawn();
    const w = this.worker;
    w.ref();
    this.timer = setTimeout(() => {
      this.worker = null;
      void w.terminate();
      const p = this.current;
      this.finish();
      p?.reject(new FormatError(next.req.file, `data.pkl took longer than ${Math.round(this.timeoutMs / 1000)} s to unpickle; refused`));
    }, this.timeoutMs);
    this.timer.unref();
    w.postMessage(next.req);
  }
}

const threads = new Map<string, UnpickleThread>();

/** The tensors of a data.pkl, unpickled in the resource-limited worker when it is built. */
export function unpickleStateDictIsolated(pickle: Uint8Array, file: string, options: IsolationOptions = {}): Promise<[string, PTensor][]> {
  const script = options.script ?? unpickleWorkerScript();
  if (!existsSync(script)) return Promise.resolve().then(() => unpickleStateDict(pickle, file, options.limits));
  const heapMb = options.heapMb ?? UNPICKLE_HEAP_MB;
  const timeoutMs = options.timeoutMs ?? UNPICKLE_TIMEOUT_MS;
  const key = `${script}\0${heapMb}\0${timeoutMs}`;
  let t = threads.get(key);
  if (!t) threads.set(key, (t = new UnpickleThread(script, heapMb, timeoutMs)));
  return t.run(pickle, file, options.limits);
}
