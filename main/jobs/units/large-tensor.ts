// One large tensor at a time per pool of workers, and garbage collection before reading one, so a
// sweep's peak memory is bounded by the largest tensor (docs/ARCHITECTURE.md "How an analysis
// runs", step 3). main/jobs/units/common.ts eachTensor and withSources call it around each tensor
// and each unit; main/jobs/worker.ts hands it the manager's shared slot.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { threadId } from 'node:worker_threads';

let collect: (() => void) | null | undefined;

/**
 * Collect garbage before reading a large tensor: typed arrays are freed only when V8 collects,
 * and the previous dead tensors of a worker would otherwise sit in memory next to the new one
 * (peak memory is meant to be bounded by the largest tensor). V8's gc() is reached through the
 * documented --expose-gc flag, set at run time for this isolate only.
 */
export function releaseLarge(elements: number): void {
  // Our previous tensor was large: free it before another worker may load its own.
  dropLargeTensor();
  if (elements < 1 << 22) {
    collectIfGarbageOver(GARBAGE_BYTES);
    return;
  }
  collectGarbage();
  enterLargeTensor(elements);
}

/**
 * Typed arrays this worker holds, dead or alive, beyond which it collects before its next tensor.
 * Each worker is its own V8 isolate, so another worker's collection before a large tensor frees
 * nothing here: without this, the dead copies a worker leaves behind between tensors (onnxruntime-
 * node returns a fresh copy of every output; the spectra unit's band reduction alone returns
 * gigabytes per checkpoint) sat next to the other worker's large tensor until V8 got round to them
 * (peaks of 582-819 MB in four runs of the 160m-shaped sweep of BENCHMARKS.md, against a 742 MB
 * bound; 563-729 MB in five with 64 MB here, at the same CPU time; 580-768 MB with 256 MB;
 * collecting after every tensor cost 18 CPU s more).
 */
export const GARBAGE_BYTES = 64 << 20;

/** A full collection when this worker's typed arrays (external memory) exceed `bytes`. */
export function collectIfGarbageOver(bytes: number): void {
  if (getHeapStatistics().external_memory > bytes) collectGarbage();
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

/** Free a large tensor this worker still holds and give the slot back (when a unit ends however it ends). */
export function dropLargeTensor(): void {
  if (holdingSlot) {
    collectGarbage();
    leaveLargeTensor();
  }
}
