// Shared by the three stages of the symmetric eigensolver (main/compute/eigen.ts is the entry and
// describes the method): the error type, options, the Householder reflector of stages 1 and 2 and
// the band store they hand over.

export class EigenError extends Error {
  constructor(message: string) {
    super(`main/compute/eigen.ts: ${message}`);
    this.name = 'EigenError';
  }
}

export interface EigenOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  intraOpThreads?: number;
  /** Half-bandwidth of stage 1 (default 16): larger means fewer onnxruntime calls, more JS work in stage 2. */
  bandwidth?: number;
  /** Use G itself as the working buffer (destroying it) instead of a copy: saves n^2 doubles. */
  overwrite?: boolean;
  /**
   * The caller has established that every entry of G is finite (gram.ts gramIsFinite: a Gram
   * matrix with a finite diagonal), so the O(n^2) scan is skipped.
   */
  finiteChecked?: boolean;
  /** When given, receives the milliseconds spent in each stage (band, of which bandOnnx in onnxruntime; tridiagonal; ql). */
  timings?: Record<string, number>;
}

/**
 * Householder reflector (LAPACK dlarfg) for x = a[off .. off+len-1]: on return a[off] = beta,
 * a[off+1 ..] = 0, v[0] = 1, v[1..len-1] = the reflector's tail; returns tau with
 * (I - tau v v^T) x = beta e1. tau = 0 when x is already a multiple of e1. The JavaScript
 * definition that eigen/kernels.wat's $householder follows operation for operation (the
 * JavaScript stages kept in test/unit/compute/reference/ call it).
 */
export function householder(a: Float64Array, off: number, len: number, v: Float64Array): number {
  const alpha = a[off];
  let scale = 0;
  for (let i = 1; i < len; i++) {
    const t = Math.abs(a[off + i]);
    if (t > scale) scale = t;
  }
  v[0] = 1;
  if (scale === 0) {
    for (let i = 1; i < len; i++) v[i] = 0;
    return 0;
  }
  // Scaled sum of squares: no overflow or underflow for any finite input.
  let ss = 0;
  for (let i = 1; i < len; i++) {
    const t = a[off + i] / scale;
    ss += t * t;
  }
  const xnorm = scale * Math.sqrt(ss);
  const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let i = 1; i < len; i++) {
    v[i] = a[off + i] * inv;
    a[off + i] = 0;
  }
  a[off] = beta;
  return tau;
}

/** Lower band store: A[i][c] (i >= c, i - c < ld) at band[c * ld + (i - c)]. */
export interface BandStore {
  band: Float64Array;
  ld: number;
}
