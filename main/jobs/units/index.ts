// What one worker does with one task: open the checkpoint(s) it needs, compute one unit of an
// analysis, return plain results for the main thread to store. The same function runs inside a
// worker thread (main/jobs/worker.ts) or, for tests and threads=0, in the calling thread.
import type { CheckpointInfo, Family, ModelConfig } from '../../../common/domain';
import type { UnitResults } from '../../store/store';
import type { UnitName } from '../plan';
import type { RunParams } from '../run-params';
// Units are imported when first used: a worker that only computes statistics never loads
// onnxruntime's native library (tens of MB per worker).

export interface UnitTask {
  unit: UnitName;
  run: { id: string; family: Family; config: ModelConfig | null; tokenizerPath: string | null };
  checkpoint: CheckpointInfo;
  init: CheckpointInfo;
  prev: CheckpointInfo | null;
  final: CheckpointInfo;
  params?: RunParams;
  probe?: { file?: string; batch?: number; seqLen?: number };
  provider: 'auto' | 'cpu' | 'cuda' | 'webgpu';
  intraOpThreads: number;
}

export type WorkerMessage =
  | { type: 'progress'; tensor: string }
  | { type: 'done'; results: UnitResults }
  | { type: 'error'; message: string };

export type ProgressFn = (tensor: string) => void;

export async function runUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  switch (task.unit) {
    case 'weights':
      return (await import('./weights')).weightsUnit(task, progress);
    case 'fits':
      return (await import('./fits')).fitsUnit(task, progress);
    case 'histogram':
      return (await import('./histogram')).histogramUnit(task, progress);
    case 'spectra':
      return (await import('./spectra')).spectraUnit(task, progress);
    case 'embedding':
      return (await import('./embedding')).embeddingUnit(task, progress);
    case 'svd-directions':
      return (await import('./svd-directions')).svdDirectionsUnit(task, progress);
    case 'activations':
      return (await import('./model')).modelUnit(task, progress, false);
    case 'gradients':
      return (await import('./model')).modelUnit(task, progress, true);
    default:
      throw new Error(`the ${task.unit} analysis is not available yet`);
  }
}
