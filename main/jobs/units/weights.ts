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
import { eachCodePiece, giveBack, halfDType, heldElements, numelOf, pieceLength, takeBuffer } from './codes';
import { CODES, censusMoments, codeValues, countCodes } from '../../metrics/code-census';
import type { Moments } from '../../metrics/moments';
import type { TensorEntry, TensorSource } from '../../formats/types';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

/** Elements per streamed piece of a reference tensor (a multiple of the kernels' 16384 chunk). */
const COMPARE_CHUNK = 1 << 20;

export async function weightsUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  const isInit = task.init.id === task.checkpoint.id;
  const prevIsInit = !isInit && task.prev?.folder === task.init.folder && task.prev.fingerprint === task.init.fingerprint;
  return withSources([task.checkpoint.folder, isInit ? null : task.init.folder, task.prev?.folder ?? null], async ([src, initSrc, prevSrc]) => {
    const scalars: ScalarResult[] = [];
    const arrays: ArrayResult[] = [];
    const warnings: string[] = [];
    const tensors = analysedTensors(task, src!);
    await eachTensor(
      tensors,
      async ({ entry }) => {
        progress(entry.name);
        const put = (metric: string, value: number | null): void => {
          scalars.push({ metric, tensor: entry.name, value });
        };
        const refs = [isInit ? null : initSrc, prevSrc].map((other) => {
          const o = other ? hasName(other, entry.name) : undefined;
          return other && o && o.shape.join('x') === entry.shape.join('x') ? { src: other, entry: o, acc: new DistanceAccumulator() } : null;
        });
        // The checkpoint after the init: its previous checkpoint is the init, compared once.
        if (prevIsInit && refs[0]) refs[1] = refs[0];
        const m = halfDType(entry) ? await halfPass(src!, entry, refs) : await floatPass(task, src!, entry, refs);
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
        if (isInit) {
          put('dist_to_init', 0);
          put('rel_dist_to_init', m.frobeniusNorm > 0 ? 0 : null);
          put('cos_to_init', m.frobeniusNorm > 0 ? 1 : null);
        }
        refs.forEach((ref, k) => {
          if (!ref) return;
          const d = ref.acc.result();
          if (k === 0) {
            put('dist_to_init', d.dist);
            put('rel_dist_to_init', d.relDist);
            put('cos_to_init', d.cos);
          } else {
            put('dist_to_prev', d.dist);
            const gap = stepGap(task);
            if (gap !== null) put('update_per_step', d.dist / gap);
          }
        });
      },
      (e) => (halfDType(e) ? heldElements(e) : numelOf(e)),
    );
    return {
      scalars,
      arrays,
      info: { warnings, tensors: tensors.length },
      tensors: tensors.map((t) => ({ tensor: t.entry.name, role: t.role, shape: t.entry.shape })),
    };
  });
}

/** A tensor of the init or previous checkpoint this tensor is compared with. */
interface Reference {
  src: TensorSource;
  entry: TensorEntry;
  acc: DistanceAccumulator;
}

/**
 * Float32/float64 tensors: read whole and decoded (moments kept for the fits unit), the
 * references streamed from disk in aligned pieces (one reused piece array and the source's
 * reused byte buffer: streaming makes no garbage).
 */
async function floatPass(task: UnitTask, src: TensorSource, entry: TensorEntry, refs: Array<Reference | null>): Promise<Moments> {
  const x = await src.read(entry.name, precisionOf(entry));
  const m = keepMoments(task.checkpoint, entry.name, x);
  const piece = x instanceof Float64Array ? new Float64Array(Math.min(COMPARE_CHUNK, x.length)) : new Float32Array(Math.min(COMPARE_CHUNK, x.length));
  for (const ref of new Set(refs)) {
    if (!ref) continue;
    for (let start = 0; start < x.length; start += COMPARE_CHUNK) {
      const count = Math.min(COMPARE_CHUNK, x.length - start);
      ref.acc.add(x.subarray(start, start + count), await ref.src.readRange(entry.name, start, count, precisionOf(entry), piece));
    }
  }
  return m;
}

/**
 * Float16/bfloat16 tensors (issue 16 item 6): one streamed pass over the raw codes of this tensor
 * and of its references, no decoding: moments from the code census (main/metrics/code-census.ts),
 * distances from code pairs through each one's value table (the same sums, bit for bit, as the
 * decoded pieces). A reference of another dtype is read decoded, this piece decoded to match.
 */
async function halfPass(src: TensorSource, entry: TensorEntry, refs: Array<Reference | null>): Promise<Moments> {
  const dtype = halfDType(entry)!;
  const values = codeValues(dtype);
  const numel = numelOf(entry);
  const live = [...new Set(refs)].filter((r): r is Reference => r !== null);
  const piece = pieceLength([entry, ...live.map((r) => r.entry)]);
  const census = new Uint32Array(CODES);
  const refCodes = live.map(() => takeBuffer(piece));
  let decoded: Float32Array | null = null;
  let refDecoded: Float32Array | null = null;
  await eachCodePiece((start, count, into) => src.readCodes(entry.name, start, count, into), numel, piece, async (codes, start) => {
    countCodes(codes, census);
    for (let k = 0; k < live.length; k++) {
      const ref = live[k];
      const refDtype = halfDType(ref.entry);
      if (refDtype) {
        ref.acc.addCodes(codes, await ref.src.readCodes(entry.name, start, codes.length, refCodes[k]), values, codeValues(refDtype));
        continue;
      }
      decoded ??= new Float32Array(piece);
      refDecoded ??= new Float32Array(piece);
      const mine = decoded.subarray(0, codes.length);
      for (let i = 0; i < codes.length; i++) mine[i] = values[codes[i]];
      ref.acc.add(mine, await ref.src.readRange(entry.name, start, codes.length, 'f32', refDecoded));
    }
  });
  refCodes.forEach(giveBack);
  return censusMoments(census, dtype);
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
  // 4: float16/bfloat16 moments from the code census (the same values up to rounding).
  version: 4,
  context: ({ planned: p }) => shortHash({ init: p.init.fingerprint, prev: p.prev?.fingerprint ?? null, gap: stepGap(p) }),
  run: weightsUnit,
  // Defaults (weights, histogram, fits): BENCHMARKS.md's weight sweep (50 s for 20 x 70.4M elements
  // at 2 threads) and the 160m sweep of issue 16 (34 s, 3 checkpoints); peak 382 MB (largest tensor 98 MB).
  // Weights rate from the 160m sweep of float16 codes (units/codes.ts: ~3.4 CPU s for 3 x 162M
  // parameters, was 11.4 unit-s decoded; BENCHMARKS.md issue 16 item 6): the sweep's order
  // (main/jobs/schedule.ts) runs longest first by these rates when the cache has no calibration.
  cost: { work: (s) => s.params, memory: largestTensorBytes, calibration: { rate: 7e-9, memoryFactor: 2.5 } },
};
