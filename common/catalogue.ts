// The metric catalogue: ids (exactly the export contract's metric names), labels, units, which
// analysis produces them and to what they apply. The UI builds its menus from this; the engine
// checks what it stores against it.
import type { AnalysisKind } from './api';

export interface MetricDef {
  id: string;
  label: string;
  unit: string;
  analysis: AnalysisKind;
  /** weight tensors, 2-D weights only, activations (resid.i / final_norm), the probe, gradients */
  appliesTo: 'tensor' | 'matrix' | 'activation' | 'probe' | 'gradient';
  /** Heavy-tailed or multiplicative quantities read better on a log colour scale. */
  logScale?: boolean;
  description: string;
}

const m = (
  id: string,
  label: string,
  unit: string,
  analysis: AnalysisKind,
  appliesTo: MetricDef['appliesTo'],
  description: string,
  logScale = false,
): MetricDef => ({ id, label, unit, analysis, appliesTo, description, logScale });

export const METRICS: readonly MetricDef[] = [
  m('frobenius_norm', 'Frobenius norm', '‖W‖F', 'weights', 'tensor', 'sqrt of the sum of squares of all elements', true),
  m('mean', 'Mean', 'value', 'weights', 'tensor', 'mean of the elements'),
  m('std', 'Std', 'value', 'weights', 'tensor', 'population standard deviation'),
  m('min', 'Min', 'value', 'weights', 'tensor', 'smallest element'),
  m('max', 'Max', 'value', 'weights', 'tensor', 'largest element'),
  m('absmax', 'Max |w|', 'value', 'weights', 'tensor', 'largest absolute element', true),
  m('skewness', 'Skewness', '1', 'weights', 'tensor', 'population skewness m3/m2^1.5'),
  m('excess_kurtosis', 'Excess kurtosis', '1', 'weights', 'tensor', 'm4/m2^2 - 3 (0 for a Gaussian)'),
  m('nonfinite_count', 'NaN/Inf count', 'elements', 'weights', 'tensor', 'elements that are NaN or infinite (left out of every statistic)'),
  m('dist_to_init', 'Distance to init', '‖W−W₀‖F', 'weights', 'tensor', 'Frobenius distance to the earliest checkpoint', true),
  m('rel_dist_to_init', 'Relative distance to init', '‖W−W₀‖/‖W₀‖', 'weights', 'tensor', 'distance to init over the init norm'),
  m('cos_to_init', 'Cosine to init', 'cos', 'weights', 'tensor', 'cosine similarity with the earliest checkpoint'),
  m('dist_to_prev', 'Update size', '‖W−W_prev‖F', 'weights', 'tensor', 'Frobenius distance to the previous checkpoint', true),
  m('gaussian_ks', 'Gaussian KS', 'KS', 'fits', 'tensor', 'Kolmogorov-Smirnov distance to the ML Gaussian fit'),
  m('logistic_ks', 'Logistic KS', 'KS', 'fits', 'tensor', 'Kolmogorov-Smirnov distance to the ML logistic fit'),
  m('student_t_ks', 'Student-t KS', 'KS', 'fits', 'tensor', 'Kolmogorov-Smirnov distance to the ML Student-t fit'),
  m('student_t_nu', 'Student-t ν', 'ν', 'fits', 'tensor', 'degrees of freedom of the ML Student-t fit: small = heavy tails', true),
  m('gaussian_loglik', 'Gaussian log-lik', 'nats/elem', 'fits', 'tensor', 'mean log-likelihood per element'),
  m('logistic_loglik', 'Logistic log-lik', 'nats/elem', 'fits', 'tensor', 'mean log-likelihood per element'),
  m('student_t_loglik', 'Student-t log-lik', 'nats/elem', 'fits', 'tensor', 'mean log-likelihood per element'),
  m('spectral_norm', 'Spectral norm', 's_max', 'spectra', 'matrix', 'largest singular value', true),
  m('stable_rank', 'Stable rank', 'rank', 'spectra', 'matrix', '‖W‖F² / s_max²', true),
  m('effective_rank', 'Effective rank', 'rank', 'spectra', 'matrix', 'exp(entropy(s / Σs))', true),
  m('alpha', 'Power-law α', 'α', 'spectra', 'matrix', 'exponent of the eigenvalue (s²) tail, xmin by minimum KS'),
  m('alpha_xmin', 'Power-law xmin', 's²', 'spectra', 'matrix', 'start of the fitted tail', true),
  m('alpha_ks', 'Power-law KS', 'KS', 'spectra', 'matrix', 'KS distance of the tail fit'),
  m('max_abs', 'Residual max |x|', 'value', 'activations', 'activation', 'largest absolute residual-stream value on the probe batch', true),
  m('act_mean', 'Residual mean', 'value', 'activations', 'activation', 'mean of the residual stream'),
  m('act_std', 'Residual std', 'value', 'activations', 'activation', 'standard deviation of the residual stream', true),
  m('rms', 'Residual RMS', 'value', 'activations', 'activation', 'root mean square of the residual stream', true),
  m('act_excess_kurtosis', 'Residual kurtosis', '1', 'activations', 'activation', 'excess kurtosis of the residual stream'),
  m('loss', 'Probe loss', 'nats/token', 'activations', 'probe', 'mean next-token cross-entropy on the probe batch'),
  m('top1_accuracy', 'Probe top-1 accuracy', 'fraction', 'activations', 'probe', 'next-token top-1 accuracy'),
  m('grad_total_norm', 'Gradient total norm', '‖g‖', 'gradients', 'probe', 'norm of the gradient over all parameters', true),
  m('grad_norm', 'Gradient norm', '‖g‖', 'gradients', 'gradient', 'norm of d(loss)/d(weight)', true),
];

/**
 * Activation metrics share names with weight metrics in the export contract (`mean`, `std`,
 * `excess_kurtosis` under tensor `resid.i`). Internally they carry an `act_` prefix so a metric id
 * is unique; the exporter maps them back.
 */
export const EXPORT_NAME: Record<string, string> = {
  act_mean: 'mean',
  act_std: 'std',
  act_excess_kurtosis: 'excess_kurtosis',
};

export const METRIC_BY_ID: ReadonlyMap<string, MetricDef> = new Map(METRICS.map((d) => [d.id, d]));

/** Display order of components in the overview grid. */
export const COMPONENT_ORDER = [
  'embed', 'pos_embed', 'ln.attn', 'attn.qkv', 'attn.q', 'attn.k', 'attn.v', 'attn.out',
  'ln.mlp', 'mlp.in', 'mlp.gate', 'mlp.out', 'ln.final', 'unembed', 'resid', 'other',
] as const;
