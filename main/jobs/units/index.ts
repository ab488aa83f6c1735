// What one worker does with one task: open the checkpoint(s) it needs, compute one unit of an
// analysis, return plain results for the main thread to store. The same function runs inside a
// worker thread (main/jobs/worker.ts) or, for tests and threads=0, in the calling thread.
import type { CheckpointInfo, Family, ModelConfig } from '../../../common/domain';
import type { UnitResults } from '../../store/store';
import type { UnitName } from '../plan';
import type { RunParams } from '../run-params';
import { weightsUnit } from './weights';
import { histogramUnit } from './histogram';
import { spectraUnit } from './spectra';
import { embeddingUnit } from './embedding';
import { modelUnit } from './model';
import { fitsUnit } from './fits';
import { svdDirectionsUnit } from './svd-directions';

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
      return weightsUnit(task, progress);
    case 'fits':
      return fitsUnit(task, progress);
    case 'histogram':
      return histogramUnit(task, progress);
    case 'spectra':
      return spectraUnit(task, progress);
    case 'embedding':
      return embeddingUnit(task, progress);
    case 'svd-directions':
      return svdDirectionsUnit(task, progress);
    case 'activations':
      return modelUnit(task, progress, false);
    case 'gradients':
      return modelUnit(task, progress, true);
    default:
      throw new Error(`the ${task.unit} analysis is not available yet`);
  }
}
