/**
 * The smaller Gram matrix of a 2-D weight in float64, computed by onnxruntime: G = W W^T when
 * rows <= cols, else G = W^T W; n = min(rows, cols). Its eigenvalues are the squared singular
 * values of W (main/compute/eigen.ts turns them into the spectrum).
 *
 * Memory: the long dimension is processed in chunks (G = sum_k C_k C_k^T), each chunk converted to
 * float64 inside the graph (Cast), so a 5120 x 20480 float32 weight never exists as a whole
 * float64 copy. W may be float32, float64, or the raw codes of a float16 tensor (a Uint16Array,
 * as TensorSource.readCodes reads them): those are handed to onnxruntime as they are and cast
 * inside the graph, so the spectra unit neither decodes float16 in JS nor reads twice the bytes
 * (the same values exactly: every float16 is a float32 and a float64). Work: the n rows are split into q blocks and only the q(q+1)/2 upper blocks are
 * multiplied (Gemm with a transposed operand), 5/8 of the flops of a full product for q = 4; the
 * lower blocks are mirrored in JS. The blocks accumulate in place across chunks: each Gemm's C
 * input and its preallocated output are the block's own buffer, so no chunk allocates
 * block-sized outputs (onnxruntime-node still returns a throw-away copy of each).
 * Peak memory measured (bench/spectra.mjs, with the earlier 8M-element chunks; 2M now): 353 MB for
 * a 2048 x 8192 float32 weight, 1248 MB for 5120 x 20480, weight included.
 */
import { singularValuesFromGramEigenvalues, symmetricEigenvalues, type EigenOptions } from './eigen';
import { cachedSession, float16CodesTensor, float32Tensor, float64Tensor, OnnxType, type TinyGraph, type TinyNode, type TinyValue } from './ort';

/** A weight or chunk: float32, float64, or IEEE float16 codes (Uint16Array). */
export type GramData = Float32Array | Float64Array | Uint16Array;

export class GramError extends Error {
  constructor(message: string) {
    super(`main/compute/gram.ts: ${message}`);
    this.name = 'GramError';
  }
}

export interface GramOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  intraOpThreads?: number;
  /** Largest chunk of W sent to onnxruntime at once, in elements (default 2M: 16 MB as float64). */
  chunkElements?: number;
}

/**
 * 2M elements: onnxruntime's per-chunk intermediates (the float64 cast, the transposed chunk, the
 * row blocks; its memory arena is off) then stay under glibc's 32 MB mmap threshold and reuse
 * heap memory instead of fresh pages. 8M-element chunks cost ~1.2 s of page faults (system CPU)
 * per Pythia-160m-shaped checkpoint: the Gram products took 4.8 CPU s with 8M, 3.9-4.0 s with
 * 2M or 1M (BENCHMARKS.md, "Measurements behind design choices").
 */
const DEFAULT_CHUNK_ELEMENTS = 2 * 1024 * 1024;
/** Below this order one Gemm does the whole product (splitting buys nothing). */
const MIN_ORDER_FOR_BLOCKS = 256;
const BLOCKS = 4;

/**
 * Graph for one chunk C. `wide`: C is n x k and the Gram is C C^T; otherwise C is k x n and the
 * Gram is C^T C. Outputs G_i_j = Acc_i_j + (block i,j of the chunk's Gram) for i <= j, the
 * blocks of rows/columns split q ways (ceil(n/q) each, the last one smaller). The caller passes
 * each accumulator's buffer as the preallocated output too, so blocks accumulate in place.
 */
function chunkGraph(elemType: 1 | 10 | 11, wide: boolean, q: number): TinyGraph {
  const nodes: TinyNode[] = [];
  let c = 'C';
  if (!wide && q > 1) {
    // Tall chunk: transpose once (one pass over the chunk, before the cast: half the bytes for
    // float32, a quarter for float16), then split rows (contiguous) and use the wide form; measured ~11% less CPU than
    // splitting columns and multiplying with transA.
    nodes.push({ opType: 'Transpose', inputs: [c], outputs: ['CT'], attributes: [{ name: 'perm', ints: [1, 0] }] });
    c = 'CT';
  }
  if (elemType !== OnnxType.float64) {
    nodes.push({ opType: 'Cast', inputs: [c], outputs: ['C64'], attributes: [{ name: 'to', int: OnnxType.float64 }] });
    c = 'C64';
  }
  const rowForm = wide || q > 1;
  const blocks: string[] = [];
  if (q === 1) {
    blocks.push(c);
  } else {
    for (let i = 0; i < q; i++) blocks.push(`B${i}`);
    nodes.push({
      opType: 'Split',
      inputs: [c],
      outputs: blocks,
      attributes: [
        { name: 'axis', int: 0 },
        { name: 'num_outputs', int: q },
      ],
    });
  }
  const outputs: TinyValue[] = [];
  const accumulators: TinyValue[] = [];
  for (let i = 0; i < q; i++) {
    for (let j = i; j < q; j++) {
      const name = `G_${i}_${j}`;
      nodes.push({
        opType: 'Gemm',
        inputs: [blocks[i], blocks[j], `Acc_${i}_${j}`],
        outputs: [name],
        attributes: [
          { name: rowForm ? 'transB' : 'transA', int: 1 },
          { name: 'beta', float: 1 },
        ],
      });
      accumulators.push({ name: `Acc_${i}_${j}`, elemType: OnnxType.float64, dims: [`r${i}`, `r${j}`] });
      outputs.push({ name, elemType: OnnxType.float64, dims: [`r${i}`, `r${j}`] });
    }
  }
  return {
    name: `gram.chunk-accumulate-v2.${elemType === OnnxType.float32 ? 'f32' : elemType === OnnxType.float16 ? 'f16' : 'f64'}.${wide ? 'wide' : 'tall'}.q${q}`,
    inputs: [{ name: 'C', elemType, dims: wide ? ['n', 'k'] : ['k', 'n'] }, ...accumulators],
    outputs,
    nodes,
    opset: 18,
  };
}

/**
 * G (n x n, row-major, float64, both triangles) for W (rows x cols, row-major float32, float64
 * or float16 codes): W W^T if rows <= cols, else W^T W.
 */
export async function gram(
  W: GramData,
  rows: number,
  cols: number,
  opts: GramOptions = {},
): Promise<Float64Array> {
  checkShape(rows, cols);
  if (W.length !== rows * cols) throw new GramError(`weight has ${W.length} values, expected ${rows} x ${cols}`);
  const wide = rows <= cols;
  const n = wide ? rows : cols;
  const long = wide ? cols : rows;
  const chunkLen = gramChunkLength(rows, cols, opts);
  // Wide weights need their column chunks gathered into a contiguous buffer (reused).
  const scratch = wide && chunkLen < long ? new (W.constructor as new (length: number) => GramData)(n * chunkLen) : null;
  const G = await accumulateGram(n, wide, elemTypeOf(W), chunkLen, long, opts, async (k0, k) => {
    if (!wide) return W.subarray(k0 * cols, (k0 + k) * cols);
    if (scratch === null) return W;
    const chunk = scratch.subarray(0, n * k);
    for (let r = 0; r < n; r++) (chunk as Float64Array).set((W as Float64Array).subarray(r * cols + k0, r * cols + k0 + k), r * k);
    return chunk;
  });
  return G as Float64Array;
}

/**
 * Rows per chunk of a tall (rows > cols) weight, as gram() splits it: a caller that reads the
 * weight in pieces of this many rows (gramOfRows) gets the same sums in the same order.
 */
export function gramChunkLength(rows: number, cols: number, opts: GramOptions = {}): number {
  const n = Math.min(rows, cols);
  const long = Math.max(rows, cols);
  return Math.max(1, Math.min(long, Math.floor((opts.chunkElements ?? DEFAULT_CHUNK_ELEMENTS) / n)));
}

/**
 * W^T W for a tall float32 weight (rows > cols) read chunk by chunk: `read(row0, k)` returns rows
 * [row0, row0 + k) (k = gramChunkLength rows, fewer at the end; it may reuse one buffer), or null
 * to stop (then the result is null). With `codes` the chunks are float16 codes (Uint16Array) instead. Identical to gram() on the whole weight, without holding it:
 * the spectra of embeddings need one chunk in memory, not the tensor.
 */
export async function gramOfRows(
  rows: number,
  cols: number,
  read: (row0: number, k: number) => Promise<Float32Array | Uint16Array | null>,
  opts: GramOptions & { codes?: boolean } = {},
): Promise<Float64Array | null> {
  checkShape(rows, cols);
  if (rows <= cols) throw new GramError(`gramOfRows needs a tall weight, got ${rows} x ${cols}`);
  const elemType = opts.codes ? OnnxType.float16 : OnnxType.float32;
  return accumulateGram(cols, false, elemType, gramChunkLength(rows, cols, opts), rows, opts, async (k0, k) => {
    const chunk = await read(k0, k);
    if (chunk && elemTypeOf(chunk) !== elemType) throw new GramError(`rows ${k0}..${k0 + k}: got ${chunk.constructor.name}, expected ${opts.codes ? 'float16 codes' : 'float32'}`);
    if (chunk && chunk.length !== k * cols) throw new GramError(`rows ${k0}..${k0 + k}: got ${chunk.length} values, expected ${k * cols}`);
    return chunk;
  });
}

function elemTypeOf(W: GramData): 1 | 10 | 11 {
  if (W instanceof Float32Array) return OnnxType.float32;
  if (W instanceof Uint16Array) return OnnxType.float16;
  if (W instanceof Float64Array) return OnnxType.float64;
  throw new GramError(`weight is a ${(W as object).constructor.name}, expected Float32Array, Float64Array or Uint16Array (float16 codes)`);
}

function checkShape(rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new GramError(`shape ${rows} x ${cols} is not a positive 2-D shape`);
  }
}

/** The chunk loop of gram() and gramOfRows(): `chunkAt(k0, k)` gives chunk k0..k0+k of the long dimension (null: stop). */
async function accumulateGram(
  n: number,
  wide: boolean,
  elemType: 1 | 10 | 11,
  chunkLen: number,
  long: number,
  opts: GramOptions,
  chunkAt: (k0: number, k: number) => Promise<GramData | null>,
): Promise<Float64Array | null> {
  const q = n >= MIN_ORDER_FOR_BLOCKS ? BLOCKS : 1;
  const session = await cachedSession(chunkGraph(elemType, wide, q), {
    intraOpThreads: opts.intraOpThreads,
  });
  const blockSize = Math.ceil(n / q);
  const blockStart = (i: number): number => i * blockSize;
  const blockLen = (i: number): number => Math.min(n, (i + 1) * blockSize) - i * blockSize;

  // Upper blocks, accumulated in place by onnxruntime (Gemm with C = the block, output = the block).
  const accumulators = new Map<string, Float64Array>();
  for (let i = 0; i < q; i++) for (let j = i; j < q; j++) accumulators.set(`${i}_${j}`, new Float64Array(blockLen(i) * blockLen(j)));
  for (let k0 = 0; k0 < long; k0 += chunkLen) {
    const k = Math.min(chunkLen, long - k0);
    const chunk = await chunkAt(k0, k);
    if (chunk === null) return null;
    const dims = wide ? [n, k] : [k, n];
    const feeds: Record<string, ReturnType<typeof float64Tensor>> = {
      C:
        elemType === OnnxType.float32
          ? float32Tensor(chunk as Float32Array, dims)
          : elemType === OnnxType.float16
            ? float16CodesTensor(chunk as Uint16Array, dims)
            : float64Tensor(chunk as Float64Array, dims),
    };
    const fetches: Record<string, ReturnType<typeof float64Tensor>> = {};
    for (let i = 0; i < q; i++) {
      for (let j = i; j < q; j++) {
        const acc = accumulators.get(`${i}_${j}`);
        if (!acc) throw new GramError(`accumulator ${i}_${j} missing`);
        feeds[`Acc_${i}_${j}`] = float64Tensor(acc, [blockLen(i), blockLen(j)]);
        fetches[`G_${i}_${j}`] = float64Tensor(acc, [blockLen(i), blockLen(j)]);
      }
    }
    // onnxruntime-node also hands back copies of preallocated outputs; the sums are in place.
    const result = await session.run(feeds, fetches);
    if (!result['G_0_0']) throw new GramError('graph output G_0_0 missing');
  }
  const G = new Float64Array(n * n);
  for (let i = 0; i < q; i++) {
    for (let j = i; j < q; j++) {
      const block = accumulators.get(`${i}_${j}`);
      if (!block) throw new GramError(`accumulator ${i}_${j} missing`);
      const r0 = blockStart(i);
      const c0 = blockStart(j);
      const nc = blockLen(j);
      for (let r = 0; r < blockLen(i); r++) G.set(block.subarray(r * nc, (r + 1) * nc), (r0 + r) * n + c0);
      accumulators.delete(`${i}_${j}`);
    }
  }
  // Mirror the computed upper blocks into the lower ones, tile by tile (cache-friendly).
  const tile = 64;
  for (let i = 0; i < q; i++) {
    for (let j = i + 1; j < q; j++) {
      const r0 = blockStart(i);
      const c0 = blockStart(j);
      const r1 = r0 + blockLen(i);
      const c1 = c0 + blockLen(j);
      for (let rt = r0; rt < r1; rt += tile) {
        for (let ct = c0; ct < c1; ct += tile) {
          const re = Math.min(r1, rt + tile);
          const ce = Math.min(c1, ct + tile);
          for (let r = rt; r < re; r++) for (let c = ct; c < ce; c++) G[c * n + r] = G[r * n + c];
        }
      }
    }
  }
  return G;
}

/**
 * Whether every entry of W was finite, read off its Gram matrix: G_ii = sum_k w_ik^2 is +Inf or
 * NaN as soon as one w_ik is (float32 or float16 squares cannot overflow float64), and when the
 * diagonal is finite so is every G_ij (|G_ij| <= sqrt(G_ii G_jj)). Replaces a scan over W.
 */
export function gramIsFinite(G: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(G[i * n + i])) return false;
  return true;
}

/**
 * Every singular value of W (descending, length min(rows, cols)): eigenvalues of the smaller Gram
 * matrix (symmetricEigenvalues), then s = sqrt(max(lambda, 0)). See eigen.ts for the accuracy of
 * the Gram route (abs error ~1e-8 s_max at worst, on the tiniest singular values). A non-finite
 * entry in W throws EigenError (singularValuesIfFinite returns null instead).
 */
export async function singularValues(
  W: GramData,
  rows: number,
  cols: number,
  opts: GramOptions & EigenOptions = {},
): Promise<Float64Array> {
  const n = Math.min(rows, cols);
  const G = await gram(W, rows, cols, opts);
  // A finite diagonal proves every entry finite (gramIsFinite); otherwise the full scan throws.
  const eigs = await symmetricEigenvalues(G, n, { ...opts, overwrite: true, finiteChecked: gramIsFinite(G, n) });
  return singularValuesFromGramEigenvalues(eigs);
}

/**
 * singularValues, or null when W holds a non-finite value (found on the Gram's diagonal:
 * gramIsFinite, so the weight itself is never scanned).
 */
export async function singularValuesIfFinite(
  W: GramData,
  rows: number,
  cols: number,
  opts: GramOptions & EigenOptions = {},
): Promise<Float64Array | null> {
  const n = Math.min(rows, cols);
  const G = await gram(W, rows, cols, opts);
  if (!gramIsFinite(G, n)) return null;
  const eigs = await symmetricEigenvalues(G, n, { ...opts, overwrite: true, finiteChecked: true });
  return singularValuesFromGramEigenvalues(eigs);
}

/** singularValues of a tall weight read by rows (gramOfRows); null when `read` stopped or a value is not finite. */
export async function singularValuesOfRows(
  rows: number,
  cols: number,
  read: (row0: number, k: number) => Promise<Float32Array | Uint16Array | null>,
  opts: GramOptions & EigenOptions & { codes?: boolean } = {},
): Promise<Float64Array | null> {
  const G = await gramOfRows(rows, cols, read, opts);
  if (G === null || !gramIsFinite(G, cols)) return null;
  const eigs = await symmetricEigenvalues(G, cols, { ...opts, overwrite: true, finiteChecked: true });
  return singularValuesFromGramEigenvalues(eigs);
}
