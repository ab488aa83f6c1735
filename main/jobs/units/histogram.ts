// The `histogram` unit of one checkpoint: every parameter tensor counted on the bins fixed for
// it across the whole run (computed from every checkpoint's min/max, see main/jobs/run-params.ts).
// Float16/bfloat16 tensors are counted from their code census (./codes.ts): the same counts.
import { largestTensorBytes } from '../cost';
import type { UnitResults, ArrayResult } from '../../store/store';
import { histogram, histogramEdges, type Histogram } from '../../metrics/histogram';
import { CODES, censusHistogram, countCodes } from '../../metrics/code-census';
import type { TensorEntry, TensorSource } from '../../formats/types';
import { eachCodePiece, halfDType, heldElements, numelOf, pieceLength } from './codes';
import { shortHash } from '../plan';
import { analysedTensors, precisionOf, withSources, eachTensor } from './common';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

export async function histogramUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  // A Map, not lookups on the object: tensor names such as "constructor" or "__proto__" would
  // find Object.prototype's members (the params arrive through JSON or a structured clone).
  const ranges = new Map(Object.entries(task.params?.histogramRanges ?? {}));
  return withSources([task.checkpoint.folder], async ([src]) => {
    const arrays: ArrayResult[] = [];
    await eachTensor(
      analysedTensors(task, src!),
      async ({ entry }) => {
        const range = ranges.get(entry.name);
        if (!range) return;
        progress(entry.name);
        const edges = histogramEdges(range, range.bins);
        const h = halfDType(entry) ? await halfHistogram(src!, entry, edges) : histogram(await src!.read(entry.name, precisionOf(entry)), edges);
        arrays.push({
          kind: 'histogram',
          tensor: entry.name,
          // Edges are implied by (lo, hi, bins): uniform, numpy.linspace arithmetic.
          data: { lo: range.lo, hi: range.hi, bins: range.bins, counts: h.counts, underflow: h.underflow, overflow: h.overflow, nonFinite: h.nonFinite },
        });
      },
      (e) => (halfDType(e) ? heldElements(e) : numelOf(e)),
    );
    return { scalars: [], arrays, info: {} };
  });
}

/**
 * Float16/bfloat16 tensors: the counts from the census of their raw codes, streamed (no decoding;
 * the same counts as binning the decoded elements: main/metrics/code-census.ts).
 */
async function halfHistogram(src: TensorSource, entry: TensorEntry, edges: Float64Array): Promise<Histogram> {
  const census = new Uint32Array(CODES);
  const numel = numelOf(entry);
  await eachCodePiece((start, count, into) => src.readCodes(entry.name, start, count, into), numel, pieceLength([entry]), (codes) => {
    countCodes(codes, census);
  });
  return censusHistogram(census, halfDType(entry)!, edges);
}

export const descriptor: UnitDescriptor = {
  name: 'histogram',
  version: 1,
  needsRunParams: true,
  context: ({ params }) => shortHash(params?.histogramEdgesHash ?? ''),
  run: histogramUnit,
  // Rate: the 160m sweep of float16 codes, ~1.6 CPU s for 3 x 162M parameters (BENCHMARKS.md issue 16 item 6).
  cost: { work: (s) => s.params, memory: largestTensorBytes, calibration: { rate: 4e-9, memoryFactor: 2 } },
};
