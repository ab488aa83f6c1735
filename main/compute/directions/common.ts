// Shared by the parts of SVD directions on onnxruntime (main/compute/directions.ts is the entry
// and describes the method): the error type, options, column packing and a float64 graph run.
import type * as ortTypes from 'onnxruntime-node';
import type { SubspaceOptions } from '../../metrics/svd-directions';

export class DirectionsError extends Error {
  constructor(message: string) {
    super(`main/compute/directions.ts: ${message}`);
    this.name = 'DirectionsError';
  }
}

export interface ComputeOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  intraOpThreads?: number;
}

export interface FastDirectionOptions extends SubspaceOptions, ComputeOptions {
  /** Directions per matrix (default 30). */
  directions?: number;
  /** Tokens per direction (default 20). */
  topK?: number;
  /** Largest float32 logit piece [rows, m] (and unembedding piece [rows, d]) in elements (default 4M). */
  pieceElements?: number;
}

export type Tensor = ortTypes.Tensor;

export function allFinite(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

export function identity(m: number): Float64Array {
  const t = new Float64Array(m * m);
  for (let i = 0; i < m; i++) t[i * m + i] = 1;
  return t;
}

/** Row-major [n, m] from m columns of length n, and back. */
export function packColumns(cols: readonly Float64Array[], n: number): Float64Array {
  const m = cols.length;
  const out = new Float64Array(n * m);
  for (let j = 0; j < m; j++) {
    const c = cols[j];
    for (let r = 0; r < n; r++) out[r * m + j] = c[r];
  }
  return out;
}

export function unpackColumns(x: Float64Array, n: number, m: number, count = m): Float64Array[] {
  return Array.from({ length: count }, (_, j) => {
    const c = new Float64Array(n);
    for (let r = 0; r < n; r++) c[r] = x[r * m + j];
    return c;
  });
}

export async function run(session: ortTypes.InferenceSession, feeds: Record<string, Tensor>): Promise<Record<string, Float64Array>> {
  const result = await session.run(feeds);
  const out: Record<string, Float64Array> = {};
  for (const [name, t] of Object.entries(result)) {
    if (t.type !== 'float64') throw new DirectionsError(`graph output ${name} is ${t.type}, expected float64`);
    out[name] = t.data as Float64Array;
  }
  return out;
}
