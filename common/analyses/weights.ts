// `weights`: norms, moments, distances to init and to the previous checkpoint, and the weight
// histograms on bins fixed per tensor over the whole run (DOMAIN.md "Weight analyses").
// Units: main/jobs/units/weights.ts (statistics), main/jobs/units/histogram.ts (histograms, after
// every checkpoint's statistics fixed the bins: main/jobs/run-params.ts).
import { metric, type AnalysisInfo } from './types';

/** Histogram frames store {lo, hi, bins} or explicit edges; export writes explicit edges. */
export function histogramExportShape(kind: 'weight' | 'grad' | 'resid') {
  return (d: Record<string, unknown>): Record<string, unknown> => ({ kind, edges: d.edges ?? uniformEdges(d), counts: d.counts, underflow: d.underflow, overflow: d.overflow });
}

/**
 * Edges of uniform bins stored as {lo, hi, bins}: numpy.linspace arithmetic (last edge exactly
 * hi), the same as main/metrics/histogram.ts histogramEdges; null when the fields are not valid.
 */
export function uniformEdges(o: Record<string, unknown>): number[] | null {
  const { lo, hi, bins } = o;
  if (typeof lo !== 'number' || typeof hi !== 'number' || typeof bins !== 'number' || !Number.isInteger(bins) || bins < 1 || !(lo < hi)) return null;
  const step = (hi - lo) / bins;
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i < bins; i++) edges[i] = lo + i * step;
  edges[bins] = hi;
  return edges;
}

export const weights = {
  id: 'weights',
  label: 'Weights',
  units: ['weights', 'histogram'],
  metrics: [
    metric('frobenius_norm', 'Frobenius norm', '‖W‖F', 'tensor', 'sqrt of the sum of squares of all elements', true),
    metric('mean', 'Mean', 'value', 'tensor', 'mean of the elements'),
    metric('std', 'Std', 'value', 'tensor', 'population standard deviation'),
    metric('min', 'Min', 'value', 'tensor', 'smallest element'),
    metric('max', 'Max', 'value', 'tensor', 'largest element'),
    metric('absmax', 'Max |w|', 'value', 'tensor', 'largest absolute element', true),
    metric('skewness', 'Skewness', '1', 'tensor', 'population skewness m3/m2^1.5'),
    metric('excess_kurtosis', 'Excess kurtosis', '1', 'tensor', 'm4/m2^2 - 3 (0 for a Gaussian)'),
    metric('nonfinite_count', 'NaN/Inf count', 'elements', 'tensor', 'elements that are NaN or infinite (left out of every statistic)'),
    metric('dist_to_init', 'Distance to init', '‖W−W₀‖F', 'tensor', 'Frobenius distance to the earliest checkpoint', true),
    metric('rel_dist_to_init', 'Relative distance to init', '‖W−W₀‖/‖W₀‖', 'tensor', 'distance to init over the init norm'),
    metric('cos_to_init', 'Cosine to init', 'cos', 'tensor', 'cosine similarity with the earliest checkpoint'),
    metric('dist_to_prev', 'Update size', '‖W−W_prev‖F', 'tensor', 'Frobenius distance to the previous checkpoint', true),
    metric('update_per_step', 'Update per step', '‖W−W_prev‖F / step', 'tensor', 'dist_to_prev divided by the training steps since the previous checkpoint (not the spacing of checkpoints)', true),
  ],
  frames: [{ kind: 'histogram', file: 'histograms.jsonl', exportShape: histogramExportShape('weight') }],
  views: ['overview', 'curves', 'animations:histogram'],
} as const satisfies AnalysisInfo;
