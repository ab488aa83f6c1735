// `spectra`: all singular values of every 2-D weight and the spectral scalars (DOMAIN.md
// "singular value spectrum", "spectral scalars"). Unit: main/jobs/units/spectra.ts.
import { metric, type AnalysisInfo } from './types';

export const spectra = {
  id: 'spectra',
  label: 'Spectra',
  units: ['spectra'],
  metrics: [
    metric('spectral_norm', 'Spectral norm', 's_max', 'matrix', 'largest singular value s_max (WeightWatcher\'s spectral_norm is s_max²)', true),
    metric('stable_rank', 'Stable rank', 'rank', 'matrix', '‖W‖F² / s_max²', true),
    metric('effective_rank', 'Effective rank', 'rank', 'matrix', 'exp(entropy(s / Σs))', true),
    metric('alpha', 'Power-law α', 'α', 'matrix', 'exponent of the eigenvalue (s²) tail, xmin by minimum KS'),
    metric('alpha_xmin', 'Power-law xmin', 's²', 'matrix', 'start of the fitted tail', true),
    metric('alpha_ks', 'Power-law KS', 'KS', 'matrix', 'KS distance of the tail fit'),
    // WeightWatcher's per-layer columns with its definitions (main/metrics/weightwatcher.ts).
    // Its `spectral_norm` is the largest eigenvalue s_max²; ours above is s_max.
    metric('alpha_weighted', 'α weighted (WW)', 'α·log10 λ', 'matrix', 'WeightWatcher alpha_weighted: α × log10(s_max²), its spectral_norm being s_max²'),
    metric('log_norm', 'log norm (WW)', 'log10', 'matrix', 'WeightWatcher log_norm: log10(‖W‖F²) = log10 Σs²'),
    metric('log_spectral_norm', 'log spectral norm (WW)', 'log10', 'matrix', 'WeightWatcher log_spectral_norm: log10(s_max²) (WW spectral_norm = s_max², ours = s_max)'),
    metric('num_pl_spikes', 'Power-law spikes (WW)', 'count', 'matrix', 'WeightWatcher num_pl_spikes: eigenvalues s² ≥ xmin of the tail fit'),
    metric('sigma', 'Power-law σ (WW)', 'α', 'matrix', 'WeightWatcher sigma: standard error (α − 1)/√n of the tail fit, n eigenvalues from xmin up'),
  ],
  frames: [{ kind: 'spectrum', file: 'spectra.jsonl', exportShape: (d) => ({ singular_values: d.singular_values }) }],
  views: ['overview', 'curves', 'animations:spectrum'],
} as const satisfies AnalysisInfo;
