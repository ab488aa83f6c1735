// The `histogram` unit of one checkpoint: every parameter tensor counted on the bins fixed for
// it across the whole run (computed from every checkpoint's min/max, see main/jobs/run-params.ts).
import { largestTensorBytes } from '../cost';
import type { UnitResults, ArrayResult } from '../../store/store';
import { histogram, histogramEdges } from '../../metrics/histogram';
import { shortHash } from '../plan';
import { analysedTensors, precisionOf, withSources, eachTensor } from './common';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

export async function histogramUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  // A Map, not lookups on the object: tensor names such as "constructor" or "__proto__" would
  // find Object.prototype's members (the params arrive through JSON or a structured clone).
  const ranges = new Map(Object.entries(task.params?.histogramRanges ?? {}));
  return withSources([task.checkpoint.folder], async ([src]) => {
    const arrays: ArrayResult[] = [];
    await eachTensor(analysedTensors(task, src!), async ({ entry }) => {
      const range = ranges.get(entry.name);
      if (!range) return;
      progress(entry.name);
      const x = await src!.read(entry.name, precisionOf(entry));
      const h = histogram(x, histogramEdges(range, range.bins));
      arrays.push({
        kind: 'histogram',
        tensor: entry.name,
        // Edges are implied by (lo, hi, bins): uniform, numpy.linspace arithmetic.
        data: { lo: range.lo, hi: range.hi, bins: range.bins, counts: h.counts, underflow: h.underflow, overflow: h.overflow, nonFinite: h.nonFinite },
      });
    });
    return { scalars: [], arrays, info: {} };
  });
}

export const descriptor: UnitDescriptor = {
  name: 'histogram',
  version: 1,
  needsRunParams: true,
  context: ({ params }) => shortHash(params?.histogramEdgesHash ?? ''),
  run: histogramUnit,
  cost: { work: (s) => s.params, memory: largestTensorBytes, calibration: { rate: 2e-8, memoryFactor: 2 } },
};
