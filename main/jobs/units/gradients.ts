// The `gradients` unit (common/analyses/gradients.ts): forward and backward pass on the probe
// batch, reduced to the norm of d(loss)/d(weight) per tensor, the total norm and histograms
// (main/jobs/units/model.ts).
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
};
