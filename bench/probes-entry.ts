// What bench/probes.mjs bundles (vite SSR) to time the activations pass with and without the logit
// lens and the induction run: the block-streamed model, the induction runner, the unit's
// per-activation statistics and the whole-graph builder (for the weight shapes).
export { StreamedModel, readerFromLookup } from '../main/compute/forward/streamed';
export { InductionRunner } from '../main/compute/forward/induction';
export { buildForward } from '../main/compute/forward/index';
export { activationStats } from '../main/metrics/activations';
export { ACTIVATION_EDGES } from '../main/metrics/log-histogram';
