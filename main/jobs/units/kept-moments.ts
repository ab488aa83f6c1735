// Moments of a tensor kept, in this worker, from the `weights` unit for the `fits` unit of the
// same checkpoint (the fit gate and the QQ frame's standardisation need the same mean and std):
// one pass over the tensor instead of two, where both units of a checkpoint run in one worker
// (always at --threads 1, often at 2; issue 16 item 6: moments were a fifth of the fits unit).
// Keyed by checkpoint folder, fingerprint (sizes, mtimes, header hash: a changed file is another
// key), tensor name and precision, so a kept value is the value moments() would give again.
// Taken once; at most MAX_KEPT are held (a few hundred bytes each), oldest dropped first.
import type { CheckpointInfo } from '../../../common/domain';
import { moments, type Moments, type NumericArray } from '../../metrics/moments';

const MAX_KEPT = 16_384;
const kept = new Map<string, Moments>();

function keyOf(checkpoint: Pick<CheckpointInfo, 'folder' | 'fingerprint'>, tensor: string, x: NumericArray): string {
  return JSON.stringify([checkpoint.folder, checkpoint.fingerprint, tensor, x instanceof Float64Array ? 'f64' : 'f32', x.length]);
}

/** moments(x), kept for takeMoments of the same checkpoint's tensor. */
export function keepMoments(checkpoint: Pick<CheckpointInfo, 'folder' | 'fingerprint'>, tensor: string, x: NumericArray): Moments {
  const m = moments(x);
  const key = keyOf(checkpoint, tensor, x);
  kept.delete(key);
  kept.set(key, m);
  if (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value as string);
  return m;
}

/** The moments keepMoments kept for this tensor (then forgotten), else moments(x). */
export function takeMoments(checkpoint: Pick<CheckpointInfo, 'folder' | 'fingerprint'>, tensor: string, x: NumericArray): Moments {
  const key = keyOf(checkpoint, tensor, x);
  const m = kept.get(key);
  if (!m) return moments(x);
  kept.delete(key);
  return m;
}

/** How many are held (tests). */
export function keptCount(): number {
  return kept.size;
}
