// Stage 2 of main/compute/eigen.ts: band -> tridiagonal by bulge chasing, in WebAssembly
// (./kernels.wat `chase`; why there: that file's header).
import { EigenError, type BandStore } from './common';
import { eigenKernels, ensureElements, type EigenKernels } from './wasm';

/** One instance per thread (synchronous: no other call can interleave), grown to the largest band. */
let kernels: EigenKernels | null = null;

/**
 * Reduces the band (half-bandwidth b, store with >= 2b sub-diagonals) to tridiagonal d, e. The
 * store is copied into the WebAssembly memory and left as it was.
 */
export function bandToTridiagonal(store: BandStore, n: number, b: number): { d: Float64Array; e: Float64Array } {
  const { band, ld } = store;
  if (ld < 2 * b) throw new EigenError(`band store has ${ld} diagonals, bulge chasing needs ${2 * b}`);
  if (band.length < n * ld) throw new EigenError(`band store has ${band.length} values, expected ${n} x ${ld}`);
  const scratch = Math.max(b, 1);
  const elements = n * ld + 3 * scratch;
  kernels ??= eigenKernels(0);
  const k = kernels;
  ensureElements(k, elements);
  const mem = new Float64Array(k.memory.buffer, 0, elements);
  mem.set(band.subarray(0, n * ld));
  const v = n * ld;
  k.chase(n, b, ld, v, v + scratch, v + 2 * scratch);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = mem[i * ld];
    if (i < n - 1) e[i] = mem[i * ld + 1];
  }
  return { d, e };
}
