// The unit side of an analysis descriptor: what main/jobs/units/<unit>.ts exports as `descriptor`
// (version, precondition, stamp context, run, cost), and the task a worker receives. The common side
// (ids, metrics, frames, export, views) is common/analyses/<name>.ts.
import type { UnitName } from '../../../common/analyses';
import type { CheckpointInfo, Family, ModelConfig, RunInfo } from '../../../common/domain';
import type { UnitResults } from '../../store/store';
import type { PlannedUnit } from '../plan';
import type { RunParams } from '../run-params';
import type { UnitCost } from '../cost';

export type { UnitName };

export interface ProbeOptions {
  file?: string;
  batch?: number;
  seqLen?: number;
}

export interface UnitTask {
  unit: UnitName;
  run: { id: string; family: Family; config: ModelConfig | null; tokenizerPath: string | null };
  checkpoint: CheckpointInfo;
  init: CheckpointInfo;
  prev: CheckpointInfo | null;
  final: CheckpointInfo;
  params?: RunParams;
  probe?: ProbeOptions;
  provider: 'auto' | 'cpu' | 'cuda' | 'webgpu';
  intraOpThreads: number;
}

export type WorkerMessage =
  | { type: 'progress'; tensor: string }
  | { type: 'done'; results: UnitResults }
  | { type: 'error'; message: string };

export type ProgressFn = (tensor: string) => void;

/** What a unit's stamp context may depend on. */
export interface StampInputs {
  planned: PlannedUnit;
  /** Run-wide parameters (set for units with needsRunParams). */
  params: RunParams | null;
  probe: ProbeOptions | null;
}

export interface UnitDescriptor {
  name: UnitName;
  /** Bump when the unit's definition or output changes: cached results are then redone. */
  version: number;
  /**
   * Runs after every checkpoint's `weights` unit, with the run-wide parameters derived from them
   * (main/jobs/run-params.ts: the fixed histogram bins).
   */
  needsRunParams?: boolean;
  /** A run-level reason the unit cannot run at all (said once instead of failing every checkpoint). */
  precondition?(run: RunInfo): string | null;
  /**
   * The stamp's context: what the results depend on besides the checkpoint's own weights. A
   * cached unit whose fingerprint, version and context all match is not computed again.
   */
  context(inputs: StampInputs): string;
  /**
   * Compute one checkpoint. Runs in a worker thread; heavy modules (onnxruntime) are imported
   * inside, so a worker that never runs this unit never loads them.
   */
  run(task: UnitTask, progress: ProgressFn): Promise<UnitResults>;
  /** Work and memory per checkpoint and default rates, for the estimate before a sweep (main/jobs/estimate.ts). */
  cost: UnitCost;
}

/** The precondition of units that read config.json and decode tokens. */
export function needsConfigAndTokenizer(run: RunInfo): string | null {
  if (!run.config) return 'no config.json with the model dimensions';
  if (!run.tokenizerPath) return 'no tokenizer.json beside the checkpoints';
  return null;
}
