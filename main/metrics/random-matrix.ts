/**
 * Random-matrix references for one weight matrix (a head's Q, K or V slice), so that "Gaussian-
 * like" is measured rather than eyeballed (DOMAIN.md "Per-head spectra against a random-matrix
 * reference"). Pure numerics, float64 accumulation:
 *
 * - Marchenko-Pastur bulk edges for the matrix's shape and entry variance: a p x n matrix
 *   (p <= n) of i.i.d. entries with variance sigma^2 has, as p, n grow, its singular values in
 *   [sigma (sqrt(n) - sqrt(p)), sigma (sqrt(n) + sqrt(p))] (the eigenvalues of W W^T fill
 *   sigma^2 (sqrt(n) +- sqrt(p))^2). sigma is the entries' population standard deviation (mean
 *   removed: a common offset is one rank-one spike, not bulk). Singular values above the upper
 *   edge are the matrix's spikes (learned structure).
 * - The same entries shuffled by a seeded Fisher-Yates permutation: the spectrum a matrix with
 *   exactly these values but no structure has. Generator: xorshift32 (13, 17, 5) from a fixed
 *   seed; step i (from the last index down) swaps with r mod (i + 1). Chosen so that the Python
 *   reference (tools/make_random_matrix_expectations.py) draws the same permutation bit for bit;
 *   the modulo bias is below n / 2^32.
 */

export class RandomMatrixError extends Error {
  constructor(message: string) {
    super(`main/metrics/random-matrix.ts: ${message}`);
    this.name = 'RandomMatrixError';
  }
}

/** The seed of every shuffle (fixed: the reference spectrum of a matrix is reproducible). */
export const SHUFFLE_SEED = 0x9e3779b9;

export interface MarchenkoPasturEdges {
  /** Entry standard deviation used (population, mean removed). */
  sigma: number;
  /** Lower and upper edge of the bulk of singular values. */
  lower: number;
  upper: number;
}

/** Population standard deviation of the entries (two passes, float64). */
export function entrySigma(w: ArrayLike<number>): number {
  if (w.length === 0) throw new RandomMatrixError('entrySigma needs at least one entry');
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += w[i];
  const mean = sum / w.length;
  let m2 = 0;
  for (let i = 0; i < w.length; i++) {
    const c = w[i] - mean;
    m2 += c * c;
  }
  return Math.sqrt(m2 / w.length);
}

/** The bulk edges (singular values) of a rows x cols matrix with entry standard deviation sigma. */
export function marchenkoPasturEdges(rows: number, cols: number, sigma: number): MarchenkoPasturEdges {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 1 && cols >= 1)) throw new RandomMatrixError(`shape ${rows} x ${cols} is not a matrix`);
  if (!(sigma >= 0)) throw new RandomMatrixError(`sigma ${sigma} is not a non-negative number`);
  const p = Math.min(rows, cols);
  const n = Math.max(rows, cols);
  return { sigma, lower: sigma * (Math.sqrt(n) - Math.sqrt(p)), upper: sigma * (Math.sqrt(n) + Math.sqrt(p)) };
}

/** Singular values strictly above the upper bulk edge. */
export function countAbove(s: ArrayLike<number>, edge: number): number {
  let k = 0;
  for (let i = 0; i < s.length; i++) if (s[i] > edge) k++;
  return k;
}

/** A copy of w with its entries permuted by the seeded Fisher-Yates shuffle described above. */
export function shuffledCopy(w: ArrayLike<number>, seed = SHUFFLE_SEED): Float64Array {
  const out = Float64Array.from(w);
  let x = seed >>> 0;
  if (x === 0) throw new RandomMatrixError('the xorshift32 seed must not be 0');
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const j = x % (i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** What the head-spectra unit stores per matrix besides the two spectra. */
export interface RandomMatrixSummary {
  mp: MarchenkoPasturEdges;
  /** Singular values above the MP upper edge. */
  spikes: number;
  /** s_max / (s_max of the shuffled matrix): 1 for an unstructured matrix, > 1 with spikes. */
  spikeRatio: number | null;
}

export function randomMatrixSummary(s: ArrayLike<number>, shuffled: ArrayLike<number>, rows: number, cols: number, sigma: number): RandomMatrixSummary {
  const mp = marchenkoPasturEdges(rows, cols, sigma);
  let sMax = 0;
  let shMax = 0;
  for (let i = 0; i < s.length; i++) sMax = Math.max(sMax, s[i]);
  for (let i = 0; i < shuffled.length; i++) shMax = Math.max(shMax, shuffled[i]);
  return { mp, spikes: countAbove(s, mp.upper), spikeRatio: shMax > 0 ? sMax / shMax : null };
}
