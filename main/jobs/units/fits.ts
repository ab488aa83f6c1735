// The `fits` unit of one checkpoint: for every parameter tensor, the maximum-likelihood Gaussian,
// logistic and Student-t fits with their KS distances and per-element log-likelihoods, and the QQ
// frame against each (main/metrics/fits.ts and qq.ts say how large tensors are sampled).
import { largestTensorBytes } from '../cost';
import type { UnitResults, ScalarResult, ArrayResult } from '../../store/store';
import { fitDistributions } from '../../metrics/fits';
import { qqFrame } from '../../metrics/qq';
import { bestFitFamily } from '../../../common/analyses/fits';
import { shortHash } from '../plan';
import { takeMoments } from './kept-moments';
import { analysedTensors, precisionOf, withSources, eachTensor } from './common';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

export async function fitsUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  return withSources([task.checkpoint.folder], async ([src]) => {
    const scalars: ScalarResult[] = [];
    const arrays: ArrayResult[] = [];
    const tensors = analysedTensors(task, src!);
    await eachTensor(tensors, async ({ entry }) => {
      progress(entry.name);
      const x = await src!.read(entry.name, precisionOf(entry));
      const m = takeMoments(task.checkpoint, entry.name, x);
      const fits = m.count >= 8 && m.std !== null && m.std > 0 ? fitDistributions(x) : null;
      if (!fits) return;
      const put = (metric: string, value: number | null): void => {
        scalars.push({ metric, tensor: entry.name, value });
      };
      put('gaussian_ks', fits.gaussian.ks);
      put('gaussian_loglik', fits.gaussian.loglik);
      put('logistic_ks', fits.logistic.ks);
      put('logistic_loglik', fits.logistic.loglik);
      put('student_t_ks', fits.studentT.ks);
      put('student_t_loglik', fits.studentT.loglik);
      put('student_t_nu', fits.studentT.nu);
      put('best_fit_family', bestFitFamily([fits.gaussian.ks, fits.logistic.ks, fits.studentT.ks]));
      arrays.push({ kind: 'qq', tensor: entry.name, data: qqFrame(x, fits, m) });
    });
    return { scalars, arrays, info: {}, tensors: tensors.map((t) => ({ tensor: t.entry.name, role: t.role, shape: t.entry.shape })) };
  });
}

export const descriptor: UnitDescriptor = {
  name: 'fits',
  // 2 came twice (QQ plotting positions, issue 15 #10; best_fit_family): 3 holds both.
  version: 3,
  context: () => shortHash({}),
  run: fitsUnit,
  cost: { work: (s) => s.params, memory: largestTensorBytes, calibration: { rate: 3e-8, memoryFactor: 4 } },
};
