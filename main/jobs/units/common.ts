// Helpers shared by the units: which tensors an analysis covers, and opening checkpoints so that
// every unit closes what it opened.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { threadId } from 'node:worker_threads';
import type { TensorRole } from '../../../common/domain';
import type { TensorEntry, TensorSource } from '../../formats/types';
import { openCheckpoint } from '../../formats';
import { roleOf } from '../../architectures';
import type { UnitTask } from './types';

export interface AnalysedTensor {
  entry: TensorEntry;
  role: TensorRole;
}

/** Every floating tensor that is a parameter (buffers such as causal masks are left out). */
export function analysedTensors(task: UnitTask, source: TensorSource): AnalysedTensor[] {
  const out: AnalysedTensor[] = [];
  for (const entry of source.list()) {
    if (!['F16', 'BF16', 'F32', 'F64'].includes(entry.dtype)) continue;
    const role = roleOf(task.run.family, entry.name);
    if (role.kind === 'buffer') continue;
    out.push({ entry, role });
  }
  return out;
}

/** Tensors one checkpoint may hold to be analysed (the largest published MoE checkpoints hold under 100,000). */
export const MAX_TENSORS_PER_CHECKPOINT = 131_072;

export async function withSources<T>(folders: Array<string | null>, fn: (sources: Array<TensorSource | null>) => Promise<T>): Promise<T> {
  const sources: Array<TensorSource | null> = [];
  try {
    for (const f of folders) {
      const src = f ? await openCheckpoint(f) : null;
      sources.push(src);
      const n = src?.list().length ?? 0;
      // Bounds work and cache growth per checkpoint (a 100 MB header of tiny tensors became a
      // 3.1 GB cache): said plainly instead of grinding through it (issue 14).
      if (n > MAX_TENSORS_PER_CHECKPOINT) throw new Error(`${f}: ${n} tensors; checkpoints of more than ${MAX_TENSORS_PER_CHECKPOINT} tensors are not analysed`);
    }
    return await fn(sources);
  } finally {
    if (holdingSlot) {
      collectGarbage();
      leaveLargeTensor();
    }
    await Promise.all(sources.map((s) => s?.close()));
  }
}

/**
 * Run `measure` on each tensor in turn, taking the large-tensor slot around large ones (see
 * releaseLarge). Each tensor is measured in its own async call on purpose: V8 keeps the whole
 * register file of a suspended async function, so a loop that read tensor k into a local keeps
 * it reachable while it waits to read tensor k+1; garbage collection then cannot free it, and
 * two large tensors sit in memory (with the slot already handed on). A finished call leaves
 * nothing behind.
 */
export async function eachTensor<T extends { entry: TensorEntry }>(items: readonly T[], measure: (item: T) => Promise<void>): Promise<void> {
  for (const item of items) {
    releaseLarge(item.entry.shape.reduce((a, b) => a * b, 1));
    await measure(item);
  }
}

/** float64 for F64 tensors (no precision lost), float32 otherwise (exact upcast of F16/BF16/F32). */
export function precisionOf(entry: TensorEntry): 'f32' | 'f64' {
  return entry.dtype === 'F64' ? 'f64' : 'f32';
}

let collect: (() => void) | null | undefined;

/**
 * Collect garbage before reading a large tensor: typed arrays are freed only when V8 collects,
 * and the previous dead tensors of a worker would otherwise sit in memory next to the new one
 * (peak memory is meant to be bounded by the largest tensor). V8's gc() is reached through the
 * documented --expose-gc flag, set at run time for this isolate only.
 */
export function releaseLarge(elements: number): void {
  // Our previous tensor was large: free it before another worker may load its own.
  if (holdingSlot) {
    collectGarbage();
    leaveLargeTensor();
  }
  if (elements < 1 << 22) return;
  collectGarbage();
  enterLargeTensor(elements);
}

/** A full garbage collection, when V8 allows it. */
export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}

// ------------------------------------------------------------------ one large tensor at a time
// Workers share one slot (a SharedArrayBuffer from the manager): a worker about to read a large
// tensor waits until no other worker holds one. Small tensors never wait. So with N workers the
// peak is about one large tensor's working set plus N small ones, not N large ones.

/** Tensors of at least this many elements (32 MB as float32) take the shared slot. */
export const LARGE_TENSOR_ELEMENTS = 1 << 23;
let largeSlot: Int32Array | null = null;
let holdingSlot = false;

/** Called by the worker entry with the manager's shared slot. */
export function useLargeTensorSlot(shared: SharedArrayBuffer): void {
  largeSlot = new Int32Array(shared);
}

function enterLargeTensor(elements: number): void {
  if (!largeSlot || holdingSlot || elements < LARGE_TENSOR_ELEMENTS) return;
  // Blocking wait: allowed in worker threads, and this worker has nothing else to do meanwhile.
  // The slot holds the holder's thread id, so the manager can free it if that worker dies.
  const me = threadId || 1;
  for (;;) {
    const holder = Atomics.compareExchange(largeSlot, 0, 0, me);
    if (holder === 0) break;
    Atomics.wait(largeSlot, 0, holder, 200);
  }
  holdingSlot = true;
}

/** Give the slot back (before the next tensor, and when a unit ends however it ends). */
export function leaveLargeTensor(): void {
  if (!largeSlot || !holdingSlot) return;
  holdingSlot = false;
  Atomics.store(largeSlot, 0, 0);
  Atomics.notify(largeSlot, 0, 1);
}

export function hasName(source: TensorSource, name: string): TensorEntry | undefined {
  return source.list().find((e) => e.name === name);
}
