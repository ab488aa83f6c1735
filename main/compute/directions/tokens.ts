/**
 * Token lists of SVD directions (the method: main/compute/directions.ts):
 * - Tokens: every direction of the block (30 for mlp.out + 30 per head) in one matrix D [d, m];
 *   L32 = U D as a float32 MatMul over pieces of vocabulary rows (bounded memory). Float32 rather
 *   than float64 because onnxruntime's float32 MatMul ran faster than float64 on these shapes
 *   (BENCHMARKS.md, "Measurements behind design choices") and reads the float32
 *   unembedding as it is (no float64 copy or Cast), and a rigorous bound makes it exact: |L32 - L64| <= window/2 = relative * max_i ||U_i|| * ||D_k|| +
 *   absolute (float32LogitErrorBound), so every id of the float64 top-K has L32 >= (K-th largest
 *   L32) - window (LogitCandidates). Those candidates (typically K plus a few) are recomputed with
 *   the reference's float64 dot product and ranked exactly (ties to the lower id, NaN skipped):
 *   the lists equal what float64 arithmetic over every token gives. Rows with Inf (non-finite
 *   norm) are always recomputed; rows and directions with NaN have NaN logits, so never appear.
 */
import { dot } from '../../metrics/linear-algebra';
import { float32LogitErrorBound, LogitCandidates, rankExactly } from '../../metrics/token-ranking';
import type { NumericArray } from '../../metrics/moments';
import { cachedSession, float32Tensor, OnnxType, type TinyGraph } from '../ort';
import { DirectionsError, type FastDirectionOptions } from './common';

const DEFAULT_PIECE_ELEMENTS = 4 * 1024 * 1024;

/** Float32 logits of a piece of vocabulary rows: L = U D. */
const LOGITS_GRAPH: TinyGraph = {
  name: 'directions.logits.f32',
  inputs: [
    { name: 'U', elemType: OnnxType.float32, dims: ['r', 'd'] },
    { name: 'D', elemType: OnnxType.float32, dims: ['d', 'm'] },
  ],
  outputs: [{ name: 'L', elemType: OnnxType.float32, dims: ['r', 'm'] }],
  nodes: [{ opType: 'MatMul', inputs: ['U', 'D'], outputs: ['L'] }],
};

/** The unembedding [vocab, d] with the row norms the float32 error bound needs (computed once per checkpoint). */
export interface Unembedding {
  data: NumericArray;
  vocab: number;
  d: number;
  /** Largest finite ||U_i||_2. */
  maxRowNorm: number;
  /** Rows without NaN whose norm is not finite (Inf, overflow): always recomputed exactly. */
  badRows: number[];
  /** 1 for bad rows and rows with NaN (whose logits are NaN for every direction: never listed), skipped by the float32 scan; undefined when there are none. */
  skip: Uint8Array | undefined;
}

export function prepareUnembedding(data: NumericArray, vocab: number, d: number): Unembedding {
  if (data.length !== vocab * d) throw new DirectionsError(`unembedding has ${data.length} values, not ${vocab} x ${d}`);
  let maxRowNorm = 0;
  const badRows: number[] = [];
  const nanRows: number[] = [];
  for (let i = 0; i < vocab; i++) {
    let s = 0;
    const base = i * d;
    for (let c = 0; c < d; c++) s += data[base + c] * data[base + c];
    const n = Math.sqrt(s);
    if (Number.isFinite(n)) {
      if (n > maxRowNorm) maxRowNorm = n;
    } else if (data.subarray(base, base + d).some((x) => Number.isNaN(x))) nanRows.push(i);
    else badRows.push(i);
  }
  let skip: Uint8Array | undefined;
  if (badRows.length + nanRows.length > 0) {
    skip = new Uint8Array(vocab);
    for (const i of badRows) skip[i] = 1;
    for (const i of nanRows) skip[i] = 1;
  }
  return { data, vocab, d, maxRowNorm, badRows, skip };
}

export interface TokenLists {
  top: number[];
  bottom: number[];
}

/** Top-K ids of U u and of U (-u) for every direction (see the header: float32 pass, exact re-rank). */
export async function tokenLists(vectors: readonly Float64Array[], un: Unembedding, topK: number, options: FastDirectionOptions = {}): Promise<TokenLists[]> {
  const { d, vocab } = un;
  for (const v of vectors) if (v.length !== d) throw new DirectionsError(`direction of length ${v.length}, expected ${d}`);
  const bound = float32LogitErrorBound(d, un.maxRowNorm);
  const out: (TokenLists | null)[] = vectors.map(() => null);
  const fast: number[] = [];
  const windows: number[] = [];
  vectors.forEach((u, j) => {
    if (u.some((x) => Number.isNaN(x))) {
      out[j] = { top: [], bottom: [] };
      return;
    }
    const norm = Math.sqrt(dot(u, u));
    const scale = un.maxRowNorm * norm;
    // The absolute (underflow) term is per unit of sum |u_j| <= sqrt(d) ||u||.
    const window = 2 * (bound.relative * scale * (1 + 1e-6) + bound.absolute * (1 + Math.sqrt(d) * norm));
    // Far from float32's range (or Inf in u): no float32 pass, every id is a candidate.
    if (!Number.isFinite(window) || !(scale < 1e36) || u.some((x) => Math.abs(x) > 1e36)) return;
    fast.push(j);
    windows.push(window);
  });
  const everyId = (): Int32Array => Int32Array.from({ length: vocab }, (_, i) => i);
  if (fast.length > 0) {
    const m = fast.length;
    const dm = new Float32Array(d * m);
    fast.forEach((j, c) => {
      const u = vectors[j];
      for (let r = 0; r < d; r++) dm[r * m + c] = u[r];
    });
    const session = await cachedSession(LOGITS_GRAPH, { intraOpThreads: options.intraOpThreads });
    const dTensor = float32Tensor(dm, [d, m]);
    const collector = new LogitCandidates(m, topK, Float64Array.from(windows));
    const rowsPerPiece = Math.max(1, Math.floor((options.pieceElements ?? DEFAULT_PIECE_ELEMENTS) / Math.max(m, d)));
    const scratch = un.data instanceof Float32Array ? null : new Float32Array(Math.min(rowsPerPiece, vocab) * d);
    const runPiece = (r0: number): Promise<Float32Array> => {
      const rows = Math.min(rowsPerPiece, vocab - r0);
      let piece: Float32Array;
      if (un.data instanceof Float32Array) piece = un.data.subarray(r0 * d, (r0 + rows) * d);
      else {
        piece = scratch!.subarray(0, rows * d);
        piece.set(un.data.subarray(r0 * d, (r0 + rows) * d));
      }
      return session.run({ U: float32Tensor(piece, [rows, d]), D: dTensor }).then((result) => {
        const logits = result['L'];
        if (!logits || logits.type !== 'float32') throw new DirectionsError('logits graph produced no float32 output L');
        return logits.data as Float32Array;
      });
    };
    // One piece in flight while the previous one is scanned in JS (the scratch buffer of a
    // float64 unembedding is refilled only after its piece has run).
    let pending = runPiece(0);
    for (let r0 = 0; r0 < vocab; r0 += rowsPerPiece) {
      const logits = await pending;
      if (r0 + rowsPerPiece < vocab) pending = runPiece(r0 + rowsPerPiece);
      collector.add(logits, r0, Math.min(rowsPerPiece, vocab - r0), un.skip);
    }
    fast.forEach((j, c) => {
      const u = vectors[j];
      const topIds = collector.candidates(c, 1).concat(un.badRows);
      const bottomIds = collector.candidates(c, -1).concat(un.badRows);
      out[j] = { top: rankExactly(un.data, d, u, topIds, topK, 1), bottom: rankExactly(un.data, d, u, bottomIds, topK, -1) };
    });
  }
  return out.map((lists, j) => {
    if (lists) return lists;
    const ids = everyId();
    const u = vectors[j];
    return { top: rankExactly(un.data, d, u, ids, topK, 1), bottom: rankExactly(un.data, d, u, ids, topK, -1) };
  });
}
