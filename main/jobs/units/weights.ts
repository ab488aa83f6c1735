// The `weights` unit of one checkpoint: for every parameter tensor, moments (norm, mean, std,
// min, max, absmax, skewness, excess kurtosis), distances to the run's init and to the previous
// checkpoint, and the update per training step: dist_to_prev over the steps between the two
// checkpoints (on a log-spaced run dist_to_prev mostly measures the spacing; docs/ANALYSES.md)
// (the fits and QQ frames are the `fits` unit).
// Non-finite elements are counted and reported per tensor; statistics cover the finite ones.
import { largestTensorBytes } from '../cost';
import type { UnitResults, ScalarResult, ArrayResult } from '../../store/store';
import { DistanceAccumulator } from '../../metrics/distance';
import { shortHash } from '../plan';
import { keepMoments } from './kept-moments';
import { analysedTensors, hasName, precisionOf, withSources, eachTensor } from './common';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

/** Elements per streamed piece of a reference tensor (a multiple of the kernels' 16384 chunk). */
const COMPARE_CHUNK = 1 << 20;

export async function weightsUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  const isInit = task.init.id === task.checkpoint.id;
  return withSources([task.checkpoint.folder, isInit ? null : task.init.folder, task.prev?.folder ?? null], async ([src, initSrc, prevSrc]) => {
    const scalars: ScalarResult[] = [];
    const arrays: ArrayResult[] = [];
    const warnings: string[] = [];
    const tensors = analysedTensors(task, src!);
    await eachTensor(tensors, async ({ entry }) => {
      progress(entry.name);
      const x = await src!.read(entry.name, precisionOf(entry));
      const put = (metric: string, value: number | null): void => {
        scalars.push({ metric, tensor: entry.name, value });
      };
      const m = keepMoments(task.checkpoint, entry.name, x);
      const nf = m.nonFinite.nan + m.nonFinite.posInf + m.nonFinite.negInf;
      if (nf > 0) warnings.push(`${entry.name}: ${m.nonFinite.nan} NaN, ${m.nonFinite.posInf} +Inf, ${m.nonFinite.negInf} -Inf (statistics use the ${m.count} finite values)`);
      put('frobenius_norm', m.frobeniusNorm);
      put('mean', m.mean);
      put('std', m.std);
      put('min', m.min);
      put('max', m.max);
      put('absmax', m.absmax);
      put('skewness', m.skewness);
      put('excess_kurtosis', m.excessKurtosis);
      put('nonfinite_count', nf);

      // One piece array for both comparisons (init and previous) of this tensor.
      const piece = x instanceof Float64Array ? new Float64Array(Math.min(COMPARE_CHUNK, x.length)) : new Float32Array(Math.min(COMPARE_CHUNK, x.length));
      const compare = async (other: typeof src, metricDist: string, withInit: boolean): Promise<void> => {
        if (!other) return;
        const o = hasName(other, entry.name);
        if (!o || o.shape.join('x') !== entry.shape.join('x')) return;
        // Streamed from disk in aligned pieces: only this checkpoint's tensor is held whole.
        // One reused piece array (and the source's reused byte buffer): streaming makes no garbage.
        const acc = new DistanceAccumulator();
        for (let start = 0; start < x.length; start += COMPARE_CHUNK) {
          const count = Math.min(COMPARE_CHUNK, x.length - start);
          acc.add(x.subarray(start, start + count), await other.readRange(entry.name, start, count, precisionOf(entry), piece));
        }
        const d = acc.result();
        put(metricDist, d.dist);
        if (metricDist === 'dist_to_prev') {
          const gap = stepGap(task);
          if (gap !== null) put('update_per_step', d.dist / gap);
        }
        if (withInit) {
          put('rel_dist_to_init', d.relDist);
          put('cos_to_init', d.cos);
        }
      };
      if (isInit) {
        put('dist_to_init', 0);
        put('rel_dist_to_init', m.frobeniusNorm > 0 ? 0 : null);
        put('cos_to_init', m.frobeniusNorm > 0 ? 1 : null);
      } else await compare(initSrc, 'dist_to_init', true);
      await compare(prevSrc, 'dist_to_prev', false);
    });
    return {
      scalars,
      arrays,
      info: { warnings, tensors: tensors.length },
      tensors: tensors.map((t) => ({ tensor: t.entry.name, role: t.role, shape: t.entry.shape })),
    };
  });
}

/** Training steps between the previous checkpoint and this one; null when either step is unknown or they coincide. */
export function stepGap(task: Pick<UnitTask, 'checkpoint' | 'prev'>): number | null {
  const a = task.prev?.step;
  const b = task.checkpoint.step;
  return typeof a === 'number' && typeof b === 'number' && b > a ? b - a : null;
}

export const descriptor: UnitDescriptor = {
  name: 'weights',
  // 2: fits and QQ moved to their own unit. 3: update_per_step (needs the previous step: context).
  version: 3,
  context: ({ planned: p }) => shortHash({ init: p.init.fingerprint, prev: p.prev?.fingerprint ?? null, gap: stepGap(p) }),
  run: weightsUnit,
  // Defaults (weights, histogram, fits): BENCHMARKS.md's weight sweep (50 s for 20 x 70.4M elements
  // at 2 threads) and the 160m sweep of issue 16 (34 s, 3 checkpoints); peak 382 MB (largest tensor 98 MB).
  // Weights rate from the quiet-machine 160m sweep (11.4 unit-s for 3 x 162M parameters): the sweep's
  // order (main/jobs/schedule.ts) runs longest first by these rates when the cache has no calibration.
  cost: { work: (s) => s.params, memory: largestTensorBytes, calibration: { rate: 2.4e-8, memoryFactor: 2.5 } },
};
