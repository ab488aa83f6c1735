// Stage 2 of main/compute/eigen.ts: band -> tridiagonal by bulge chasing, in WebAssembly
// (./bulge.wat, assembled at build time by tools/wat-plugin.mjs; why there: its header).
import bulgeWasm from './bulge.wat';
import { EigenError, type BandStore } from './common';

interface Kernels {
  memory: WebAssembly.Memory;
  chase: (n: number, b: number, ld: number, v: number, v2: number, w: number) => void;
}

let kernels: Kernels | null = null;

/** One instance per thread (each worker is its own isolate), its memory grown to the largest band. */
function instance(): Kernels {
  if (!kernels) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bulgeWasm), { m: { hypot: Math.hypot } });
    kernels = inst.exports as unknown as Kernels;
  }
  return kernels;
}

/**
 * Reduces the band (half-bandwidth b, store with >= 2b sub-diagonals) to tridiagonal d, e. The
 * store is copied into the WebAssembly memory and left as it was.
 */
export function bandToTridiagonal(store: BandStore, n: number, b: number): { d: Float64Array; e: Float64Array } {
  const { band, ld } = store;
  if (ld < 2 * b) throw new EigenError(`band store has ${ld} diagonals, bulge chasing needs ${2 * b}`);
  if (band.length < n * ld) throw new EigenError(`band store has ${band.length} values, expected ${n} x ${ld}`);
  const k = instance();
  const scratch = Math.max(b, 1);
  const elements = n * ld + 3 * scratch;
  const bytes = elements * 8;
  if (k.memory.buffer.byteLength < bytes) k.memory.grow(Math.ceil((bytes - k.memory.buffer.byteLength) / 65536));
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
