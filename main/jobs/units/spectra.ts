// The `spectra` unit of one checkpoint: all singular values of every 2-D parameter (Gram matrix on
// onnxruntime, eigenvalues by main/compute/eigen.ts), the spectral scalars and the power-law
// alpha of the eigenvalue tail, and WeightWatcher's other per-layer numbers (metrics/weightwatcher.ts).
// Tall contiguous matrices (embeddings, unembeddings, up-projections) are read chunk by chunk into
// one reused buffer and their Gram accumulated as they come (compute/gram.ts gramOfRows): the unit
// never holds them whole, so it does not take the large-tensor slot (./large-tensor.ts) nor wait
// for it while another worker holds an embedding. Float16 weights are read as raw codes
// (TensorSource.readCodes) and cast to float64 inside the Gram graph: no float16 decode in JS,
// half the bytes of a float32 read, the same values.
import { DTYPE_BYTES } from '../../../common/domain';
import type { TensorEntry, TensorSource } from '../../formats/types';
import type { UnitResults, ScalarResult, ArrayResult } from '../../store/store';
import { spectralScalars, powerLawAlpha, eigenvaluesFromSingularValues } from '../../metrics/spectrum';
import { weightWatcherScalars } from '../../metrics/weightwatcher';
import { shortHash } from '../plan';
import { analysedTensors, withSources } from './common';
import { releaseLarge } from './large-tensor';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

export async function spectraUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  return withSources([task.checkpoint.folder], async ([src]) => {
    const scalars: ScalarResult[] = [];
    const arrays: ArrayResult[] = [];
    const warnings: string[] = [];
    const matrices = analysedTensors(task, src!).filter(({ entry }) => entry.shape.length === 2 && entry.shape[0] >= 2 && entry.shape[1] >= 2);
    const chunk: ChunkBuffers = { f32: null, codes: null };
    const measure = async (entry: TensorEntry): Promise<void> => {
      progress(entry.name);
      const s = streamable(entry)
        ? await streamedSingularValues(src!, entry, chunk, task.intraOpThreads)
        : await wholeSingularValues(src!, entry, task.intraOpThreads);
      if (s === null) {
        warnings.push(`${entry.name}: non-finite values, spectrum skipped`);
        return;
      }
      const sc = spectralScalars(s);
      scalars.push(
        { metric: 'spectral_norm', tensor: entry.name, value: sc.spectralNorm },
        { metric: 'stable_rank', tensor: entry.name, value: sc.stableRank },
        { metric: 'effective_rank', tensor: entry.name, value: sc.effectiveRank },
      );
      const fit = powerLawAlpha(eigenvaluesFromSingularValues(s));
      scalars.push(
        { metric: 'alpha', tensor: entry.name, value: fit?.alpha ?? null },
        { metric: 'alpha_xmin', tensor: entry.name, value: fit?.xmin ?? null },
        { metric: 'alpha_ks', tensor: entry.name, value: fit?.ks ?? null },
      );
      const ww = weightWatcherScalars(s, fit);
      scalars.push(
        { metric: 'alpha_weighted', tensor: entry.name, value: ww.alphaWeighted },
        { metric: 'log_norm', tensor: entry.name, value: ww.logNorm },
        { metric: 'log_spectral_norm', tensor: entry.name, value: ww.logSpectralNorm },
        { metric: 'num_pl_spikes', tensor: entry.name, value: ww.numPlSpikes },
        { metric: 'sigma', tensor: entry.name, value: ww.sigma },
      );
      arrays.push({ kind: 'spectrum', tensor: entry.name, data: { singular_values: s } });
    };
    for (const { entry } of matrices) {
      // Streamed matrices are never whole in memory: give back the slot, take none (see the header).
      releaseLarge(streamable(entry) ? 0 : entry.shape[0] * entry.shape[1]);
      // Each tensor in its own async call (see ./common.ts eachTensor: a suspended loop would keep it reachable).
      await measure(entry);
    }
    // Registered here too, so exports of a run analysed for spectra alone can name its tensors.
    return { scalars, arrays, info: { warnings, provider: 'cpu' }, tensors: matrices.map((t) => ({ tensor: t.entry.name, role: t.role, shape: t.entry.shape })) };
  });
}

/** Tall and stored contiguously: readRange reads only a chunk's bytes. */
function streamable(entry: TensorEntry): boolean {
  const [rows, cols] = entry.shape;
  return rows > cols && !entry.strides && entry.byteLength === rows * cols * DTYPE_BYTES[entry.dtype];
}

/** Float16 tensors go to onnxruntime as their raw codes (cast there); others as float32. */
function asCodes(entry: TensorEntry): boolean {
  return entry.dtype === 'F16';
}

interface ChunkBuffers {
  f32: Float32Array | null;
  codes: Uint16Array | null;
}

async function wholeSingularValues(src: TensorSource, entry: TensorEntry, intraOpThreads: number): Promise<Float64Array | null> {
  // onnxruntime is loaded only by workers that compute spectra.
  const { singularValuesIfFinite } = await import('../../compute/gram');
  const [rows, cols] = entry.shape as [number, number];
  const w = asCodes(entry) ? await src.readCodes(entry.name, 0, rows * cols) : ((await src.read(entry.name, 'f32')) as Float32Array);
  // Non-finite values show on the Gram's diagonal (null): the weight itself is not scanned.
  return singularValuesIfFinite(w, rows, cols, { intraOpThreads });
}

async function streamedSingularValues(
  src: TensorSource,
  entry: TensorEntry,
  chunk: ChunkBuffers,
  intraOpThreads: number,
): Promise<Float64Array | null> {
  const { singularValuesOfRows, gramChunkLength } = await import('../../compute/gram');
  const [rows, cols] = entry.shape as [number, number];
  const size = gramChunkLength(rows, cols) * cols;
  if (asCodes(entry)) {
    if (!chunk.codes || chunk.codes.length < size) chunk.codes = new Uint16Array(size);
    const codes = chunk.codes;
    return singularValuesOfRows(rows, cols, (row0, k) => src.readCodes(entry.name, row0 * cols, k * cols, codes), { intraOpThreads, codes: true });
  }
  if (!chunk.f32 || chunk.f32.length < size) chunk.f32 = new Float32Array(size);
  const buffer = chunk.f32;
  return singularValuesOfRows(rows, cols, async (row0, k) => (await src.readRange(entry.name, row0 * cols, k * cols, 'f32', buffer)) as Float32Array, {
    intraOpThreads,
  });
}

export const descriptor: UnitDescriptor = {
  name: 'spectra',
  version: 2,
  context: () => shortHash({}),
  run: spectraUnit,
  // Work: sum over matrices of r*c*min(r,c); memory: the largest matrix as float32 + its float64
  // Gram. Defaults: from BENCHMARKS.md's Gram products and its spectra peak memory.
  cost: { work: (s) => s.gramWork, memory: (s) => s.spectraBytes, calibration: { rate: 8e-11, memoryFactor: 2 }, onnxruntime: true },
};
