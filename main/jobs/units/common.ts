// Helpers shared by the units: which tensors an analysis covers, opening checkpoints so that
// every unit closes what it opened, and iterating over tensors one at a time (the large-tensor
// slot it takes around large ones: ./large-tensor.ts).
import type { TensorRole } from '../../../common/domain';
import type { TensorEntry, TensorSource } from '../../formats/types';
import { openCheckpoint } from '../../formats';
import { roleOf } from '../../architectures';
import { dropLargeTensor, releaseLarge } from './large-tensor';
import type { UnitTask } from './types';

export interface AnalysedTensor {
  entry: TensorEntry;
  role: TensorRole;
}

/** Every floating tensor that is a parameter (buffers such as causal masks are left out). */
export function analysedTensors(task: UnitTask, source: TensorSource): AnalysedTensor[] {
  const out: AnalysedTensor[] = [];
  for (const entry of source.list()) {
    if (!['F16', 'BF16', 'F32', 'F64'].includes(entry.dtype)) continue;
    const role = roleOf(task.run.family, entry.name);
    if (role.kind === 'buffer') continue;
    out.push({ entry, role });
  }
  return out;
}

/** Tensors one checkpoint may hold to be analysed (the largest published MoE checkpoints hold under 100,000). */
export const MAX_TENSORS_PER_CHECKPOINT = 131_072;

export async function withSources<T>(folders: Array<string | null>, fn: (sources: Array<TensorSource | null>) => Promise<T>): Promise<T> {
  const sources: Array<TensorSource | null> = [];
  try {
    for (const f of folders) {
      const src = f ? await openCheckpoint(f) : null;
      sources.push(src);
      const n = src?.list().length ?? 0;
      // Bounds work and cache growth per checkpoint (a 100 MB header of tiny tensors became a
      // 3.1 GB cache): said plainly instead of grinding through it (issue 14).
      if (n > MAX_TENSORS_PER_CHECKPOINT) throw new Error(`${f}: ${n} tensors; checkpoints of more than ${MAX_TENSORS_PER_CHECKPOINT} tensors are not analysed`);
    }
    return await fn(sources);
  } finally {
    dropLargeTensor();
    await Promise.all(sources.map((s) => s?.close()));
  }
}

/**
 * Run `measure` on each tensor in turn, taking the large-tensor slot around large ones (see
 * ./large-tensor.ts releaseLarge). Each tensor is measured in its own async call on purpose: V8 keeps the whole
 * register file of a suspended async function, so a loop that read tensor k into a local keeps
 * it reachable while it waits to read tensor k+1; garbage collection then cannot free it, and
 * two large tensors sit in memory (with the slot already handed on). A finished call leaves
 * nothing behind.
 */
export async function eachTensor<T extends { entry: TensorEntry }>(
  items: readonly T[],
  measure: (item: T) => Promise<void>,
  /** Elements `measure` holds at once (default: the whole tensor); a streaming unit says fewer. */
  held: (entry: TensorEntry) => number = (e) => e.shape.reduce((a, b) => a * b, 1),
): Promise<void> {
  for (const item of items) {
    releaseLarge(held(item.entry));
    await measure(item);
  }
}

/** float64 for F64 tensors (no precision lost), float32 otherwise (exact upcast of F16/BF16/F32). */
export function precisionOf(entry: TensorEntry): 'f32' | 'f64' {
  return entry.dtype === 'F64' ? 'f64' : 'f32';
}

export function hasName(source: TensorSource, name: string): TensorEntry | undefined {
  return source.list().find((e) => e.name === name);
}
