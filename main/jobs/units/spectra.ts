// The `spectra` unit of one checkpoint: all singular values of every 2-D parameter (Gram matrix on
// onnxruntime, eigenvalues by main/compute/eigen.ts), the spectral scalars and the power-law
// alpha of the eigenvalue tail, and WeightWatcher's other per-layer numbers (metrics/weightwatcher.ts).
import type { UnitResults, ScalarResult, ArrayResult } from '../../store/store';
import { spectralScalars, powerLawAlpha, eigenvaluesFromSingularValues } from '../../metrics/spectrum';
import { weightWatcherScalars } from '../../metrics/weightwatcher';
import { shortHash } from '../plan';
import { analysedTensors, withSources, eachTensor } from './common';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

export async function spectraUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  // onnxruntime is loaded only by workers that compute spectra.
  const { singularValues } = await import('../../compute/gram');
  return withSources([task.checkpoint.folder], async ([src]) => {
    const scalars: ScalarResult[] = [];
    const arrays: ArrayResult[] = [];
    const warnings: string[] = [];
    const matrices = analysedTensors(task, src!).filter(({ entry }) => entry.shape.length === 2 && entry.shape[0] >= 2 && entry.shape[1] >= 2);
    await eachTensor(matrices, async ({ entry }) => {
      progress(entry.name);
      const [rows, cols] = entry.shape as [number, number];
      const w = await src!.read(entry.name, 'f32');
      let finite = true;
      for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) { finite = false; break; }
      if (!finite) {
        warnings.push(`${entry.name}: non-finite values, spectrum skipped`);
        return;
      }
      const s = await singularValues(w, rows, cols, { intraOpThreads: task.intraOpThreads });
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
    });
    // Registered here too, so exports of a run analysed for spectra alone can name its tensors.
    return { scalars, arrays, info: { warnings, provider: 'cpu' }, tensors: matrices.map((t) => ({ tensor: t.entry.name, role: t.role, shape: t.entry.shape })) };
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
