// Helpers shared by the units: which tensors an analysis covers, and opening checkpoints so that
// every unit closes what it opened.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TensorRole } from '../../../common/domain';
import type { TensorEntry, TensorSource } from '../../formats/types';
import { openCheckpoint } from '../../formats';
import { roleOf } from '../../architectures';
import type { UnitTask } from '.';

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

export async function withSources<T>(folders: Array<string | null>, fn: (sources: Array<TensorSource | null>) => Promise<T>): Promise<T> {
  const sources: Array<TensorSource | null> = [];
  try {
    for (const f of folders) sources.push(f ? await openCheckpoint(f) : null);
    return await fn(sources);
  } finally {
    await Promise.all(sources.map((s) => s?.close()));
  }
}

/** float64 for F64 tensors (no precision lost), float32 otherwise (exact upcast of F16/BF16/F32). */
export function precisionOf(entry: TensorEntry): 'f32' | 'f64' {
  return entry.dtype === 'F64' ? 'f64' : 'f32';
}

let collect: (() => void) | null | undefined;

/**
 * Collect garbage before reading a large tensor: typed arrays are freed only when V8 collects,
 * and the previous dead tensors of a worker would otherwise sit in memory next to the new one
 * (peak memory is meant to be bounded by the largest tensor). V8's gc() is reached through the
 * documented --expose-gc flag, set at run time for this isolate only.
 */
export function releaseLarge(elements: number): void {
  if (elements < 1 << 22) return;
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}

export function hasName(source: TensorSource, name: string): TensorEntry | undefined {
  return source.list().find((e) => e.name === name);
}
