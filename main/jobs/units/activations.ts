// The `activations` unit (common/analyses/activations.ts): the forward pass on the probe batch,
// reduced to residual-stream statistics, histograms, loss and top-1 accuracy, the logit lens, per-token
// losses and the induction score per head (main/jobs/units/model.ts, model-probes.ts).
import { modelUnitCost } from '../cost';
import { shortHash } from '../plan';
import { modelPrecondition } from './model-precondition';
import type { UnitDescriptor } from './types';

export const descriptor: UnitDescriptor = {
  name: 'activations',
  // 2: outlier_dims frames; 3: logit lens, token_loss frames, induction score.
  version: 3,
  precondition: modelPrecondition,
  context: ({ probe }) => shortHash({ probe: probe ?? null }),
  // model.ts loads onnxruntime: imported only by workers that run the model.
  run: async (task, progress) => (await import('./model')).modelUnit(task, progress, false),
  // Defaults: BENCHMARKS.md's forward (0.38 s for 27M parameters x 1024 tokens), 414 MB for the
  // block-streamed 160m run (a measure of 86 MB: factor 3 leaves ~200 MB for the process and onnxruntime).
  cost: modelUnitCost({ rate: 3e-11, memoryFactor: 3 }),
};
