// The `gradients` unit (common/analyses/gradients.ts): forward and backward pass on the probe
// batch, reduced to the norm of d(loss)/d(weight) per tensor, the total norm and histograms
// (main/jobs/units/model.ts).
import { modelUnitCost } from '../cost';
import { shortHash } from '../plan';
import { modelPrecondition } from './model-precondition';
import type { UnitDescriptor } from './types';

export const descriptor: UnitDescriptor = {
  name: 'gradients',
  version: 1,
  precondition: modelPrecondition,
  context: ({ probe }) => shortHash({ probe: probe ?? null }),
  // model.ts loads onnxruntime: imported only by workers that run the model.
  run: async (task, progress) => (await import('./model')).modelUnit(task, progress, true),
  // Defaults: BENCHMARKS.md's backward (1.16 s for 27M parameters x 1024 tokens), 611 MB for the
  // block-streamed 160m run (a measure of 86 MB: factor 5.5 leaves ~200 MB for the process and onnxruntime).
  cost: modelUnitCost({ rate: 9e-11, memoryFactor: 5.5 }),
};
