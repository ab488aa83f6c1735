// The cost side of a unit descriptor (main/jobs/units/<unit>.ts `cost`): what one checkpoint's
// unit works on and holds in memory, measured from the run's shapes (headers only), and the
// default rate and memory factor until this machine's sweeps calibrate them. main/jobs/estimate.ts
// turns them into a sweep's time and peak memory (the model is in its header). Here, not in
// estimate.ts, so a unit states its own cost without importing the estimator.
import type { ModelConfig } from '../../common/domain';

/** Probe shape used when none is given (the defaults of main/jobs/units/model.ts; a test keeps them equal). */
export const ESTIMATE_PROBE_BATCH = 8;
export const ESTIMATE_PROBE_LEN = 128;

/** What the model needs of a run's shapes. */
export interface RunShapes {
  params: number;
  largest: number;
  /** Largest float32 matrix + float64 Gram bytes over 2-D tensors. */
  spectraBytes: number;
  gramWork: number;
  embed: number;
  unembed: number;
  layers: number;
  vocab: number;
}

export interface Probe {
  batch?: number;
  seqLen?: number;
}

export interface KindCalibration {
  /** Core-seconds per unit of work. */
  rate: number;
  /** Peak growth over the resident memory at the start, per byte of the memory measure. */
  memoryFactor: number;
}

export interface UnitCost {
  /** Work of one unit on one checkpoint (the unit `rate` is per). */
  work(s: RunShapes, probe: Probe, config: ModelConfig | null): number;
  /** Bytes the memory factor multiplies. */
  memory(s: RunShapes, probe: Probe, config: ModelConfig | null): number;
  /** Defaults from BENCHMARKS.md's measurements on a 2-core EPYC; the first sweep of the kind on a machine replaces them. */
  calibration: KindCalibration;
  /** Starts an onnxruntime session (a larger fixed time and memory per unit and worker). */
  onnxruntime?: boolean;
  /** Each worker holds its own model, so the memory measure counts once per lane, not once. */
  modelPerWorker?: boolean;
  /** Version of the memory measure: a calibration stored under an older one is ignored. */
  measureVersion?: number;
}

/** B x L of the probe batch, capped by the model's positions as main/jobs/units/model.ts probeShape does. */
export function probeTokens(probe: Probe, config: ModelConfig | null): number {
  const len = probe.seqLen ?? ESTIMATE_PROBE_LEN;
  return (probe.batch ?? ESTIMATE_PROBE_BATCH) * (config ? Math.min(len, config.maxPositions || ESTIMATE_PROBE_LEN) : len);
}

/** Elements of one logits piece: main/compute/forward/streamed.ts's default bound (4M). */
export const LOGITS_PIECE_ELEMENTS = 4 << 20;

/**
 * Bytes a block-streamed model run holds beyond the process's baseline, for one worker: the weights
 * of one block (the non-embedding parameters spread over the layers), the residual stream kept at
 * each block boundary for the backward's recomputation, and one piece of logits.
 */
export function streamedModelBytes(s: RunShapes, tokens: number, config: ModelConfig | null): number {
  const layers = Math.max(1, s.layers);
  const blockParams = Math.max(0, s.params - s.embed - (s.unembed === s.embed && config?.tiedEmbeddings ? 0 : s.unembed)) / layers;
  const hidden = config?.hidden ?? (s.vocab > 0 && s.embed > 0 ? s.embed / s.vocab : 0);
  const residual = (layers + 1) * tokens * hidden;
  const logits = Math.min(tokens * Math.max(1, s.vocab), LOGITS_PIECE_ELEMENTS);
  return (blockParams + residual + logits) * 4;
}

/** The weight units' memory measure: the largest tensor as float32 (one large tensor at a time, main/jobs/units/large-tensor.ts). */
export const largestTensorBytes = (s: RunShapes): number => s.largest * 4;

/** The model units' cost (activations, gradients): parameters x probe tokens; one streamed block per worker. */
export function modelUnitCost(calibration: KindCalibration): UnitCost {
  return {
    work: (s, probe, config) => s.params * probeTokens(probe, config),
    memory: (s, probe, config) => streamedModelBytes(s, probeTokens(probe, config), config),
    calibration,
    onnxruntime: true,
    modelPerWorker: true,
    // 2: the block-streamed run's measure (before: the whole-model graph's).
    measureVersion: 2,
  };
}
