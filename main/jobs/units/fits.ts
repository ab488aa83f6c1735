// The `fits` unit of one checkpoint: for every parameter tensor, the maximum-likelihood Gaussian,
// logistic and Student-t fits with their KS distances and per-element log-likelihoods, and the QQ
// frame against each (main/metrics/fits.ts and qq.ts say how large tensors are sampled).
// Float16/bfloat16 tensors are streamed as raw codes, never decoded (halfFits below).
import { largestTensorBytes } from '../cost';
import type { UnitResults, ScalarResult, ArrayResult } from '../../store/store';
import { DEFAULT_MAX_FIT_SAMPLE, fitDistributions, fitDistributionsOfSample, type DistributionFits } from '../../metrics/fits';
import { fitSampleOfCodes, samplePositions } from '../../metrics/fit-sample';
import { CODES, censusMoments, countCodes } from '../../metrics/code-census';
import type { Moments } from '../../metrics/moments';
import type { TensorEntry, TensorSource } from '../../formats/types';
import { eachCodePiece, giveBack, halfDType, heldElements, numelOf, pieceLength, takeBuffer } from './codes';
import { qqFrame, qqOfCensus, type QQData } from '../../metrics/qq';
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
    await eachTensor(
      tensors,
      async ({ entry }) => {
        progress(entry.name);
        const { fits, qq } = halfDType(entry) ? await halfFits(src!, entry) : await floatFits(task, src!, entry);
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
        arrays.push({ kind: 'qq', tensor: entry.name, data: qq });
      },
      (e) => (halfDType(e) ? heldElements(e) : numelOf(e)),
    );
    return { scalars, arrays, info: {}, tensors: tensors.map((t) => ({ tensor: t.entry.name, role: t.role, shape: t.entry.shape })) };
  });
}

interface TensorFits {
  fits: DistributionFits | null;
  qq: QQData | null;
}

/** Fits are computed when at least 8 finite values with a positive spread exist. */
function fitGate(m: Moments): boolean {
  return m.count >= 8 && m.std !== null && m.std > 0;
}

/** Float32/float64 tensors: read whole and decoded (moments kept by the weights unit when it ran here). */
async function floatFits(task: UnitTask, src: TensorSource, entry: TensorEntry): Promise<TensorFits> {
  const x = await src.read(entry.name, precisionOf(entry));
  const m = takeMoments(task.checkpoint, entry.name, x);
  const fits = fitGate(m) ? fitDistributions(x) : null;
  return { fits, qq: fits ? qqFrame(x, fits, m) : null };
}

/** The sorted fit sample's array, reused from tensor to tensor (8 MB; a fresh one per tensor was garbage). */
let sortedSpare: Float64Array | null = null;

/**
 * Float16/bfloat16 tensors (issue 16 item 6): one streamed pass over the raw codes counts them
 * (moments and the QQ frame's order statistics come from that census) and gathers the codes at
 * the fit sample's positions (the fits' sorted sample and distinct values from a census of those):
 * the same sample, fits and order statistics as the decoded path, nothing held whole.
 */
async function halfFits(src: TensorSource, entry: TensorEntry): Promise<TensorFits> {
  const dtype = halfDType(entry)!;
  const numel = numelOf(entry);
  const census = new Uint32Array(CODES);
  const positions = samplePositions(numel, DEFAULT_MAX_FIT_SAMPLE);
  const buffer = takeBuffer(positions.length);
  try {
    const sampleCodes = buffer.subarray(0, positions.length);
    let j = 0;
    await eachCodePiece((start, count, into) => src.readCodes(entry.name, start, count, into), numel, pieceLength([entry]), (codes, start) => {
      countCodes(codes, census);
      const end = start + codes.length;
      for (; j < positions.length && positions[j] < end; j++) sampleCodes[j] = codes[positions[j] - start];
    });
    const m = censusMoments(census, dtype);
    if (!fitGate(m)) return { fits: null, qq: null };
    // The sorted sample lives only while the fits are computed: one array per worker, reused.
    sortedSpare ??= new Float64Array(DEFAULT_MAX_FIT_SAMPLE);
    const fits = fitDistributionsOfSample(fitSampleOfCodes(sampleCodes, dtype, numel > DEFAULT_MAX_FIT_SAMPLE, sortedSpare));
    return { fits, qq: qqOfCensus(census, dtype, fits, m) };
  } finally {
    giveBack(buffer);
  }
}

export const descriptor: UnitDescriptor = {
  name: 'fits',
  // 2 came twice (QQ plotting positions, issue 15 #10; best_fit_family): 3 holds both.
  // 4: float16/bfloat16 QQ standardisation by the code census's moments (equal up to rounding).
  // 5: Newton stops on its decrement (main/metrics/newton.ts): logistic and Student-t fits move
  //    within the sum's rounding (parameters ~1e-7 relative).
  // 6: Student-t derivatives from moment sums (the same optimum to rounding).
  version: 6,
  context: () => shortHash({}),
  run: fitsUnit,
  // Rate: the 160m sweep of float16 codes, ~9 CPU s for 3 x 162M parameters (BENCHMARKS.md issue 16 item 6).
  cost: { work: (s) => s.params, memory: largestTensorBytes, calibration: { rate: 1.9e-8, memoryFactor: 4 } },
};
