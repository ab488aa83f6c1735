// The eigensolver's WebAssembly kernels (./kernels.wat, assembled at build time by
// tools/wat-plugin.mjs; why WebAssembly: that file's header): compiled once per thread, and
// instantiated with room for the caller's arrays.
import kernelsWasm from './kernels.wat';

export interface EigenKernels {
  memory: WebAssembly.Memory;
  /** Band (at element 0) -> tridiagonal in place; v, v2, w: element offsets of b-long scratch. */
  chase: (n: number, b: number, ld: number, v: number, v2: number, w: number) => void;
  /** Householder QR of an m x b panel and its block reflector's T (arguments: element offsets). */
  factor: (m: number, b: number, cur: number, panel: number, vt: number, v: number, tau: number, T: number, dots: number) => void;
}

let compiled: WebAssembly.Module | null = null;

/**
 * A new instance (its own memory, so that callers that await in between never share one) with
 * room for at least `elements` float64 values.
 */
export function eigenKernels(elements: number): EigenKernels {
  compiled ??= new WebAssembly.Module(kernelsWasm);
  const kernels = new WebAssembly.Instance(compiled, { m: { hypot: Math.hypot } }).exports as unknown as EigenKernels;
  ensureElements(kernels, elements);
  return kernels;
}

/** Instances handed back by their callers, for the next one (a reduction per Gram matrix). */
const idle: EigenKernels[] = [];

/** An idle instance, or a new one, with room for `elements` values; give it back with releaseKernels. */
export function borrowKernels(elements: number): EigenKernels {
  const kernels = idle.pop() ?? eigenKernels(0);
  ensureElements(kernels, elements);
  return kernels;
}

export function releaseKernels(kernels: EigenKernels): void {
  if (idle.length < 4) idle.push(kernels);
}

/** Grows the instance's memory to hold `elements` float64 values (views made before are detached). */
export function ensureElements(kernels: EigenKernels, elements: number): void {
  const bytes = elements * 8;
  const have = kernels.memory.buffer.byteLength;
  if (have < bytes) kernels.memory.grow(Math.ceil((bytes - have) / 65536));
}
