// `spectra`: all singular values of every 2-D weight and the spectral scalars (DOMAIN.md
// "singular value spectrum", "spectral scalars"). Unit: main/jobs/units/spectra.ts.
import { metric, type AnalysisInfo } from './types';

export const spectra = {
  id: 'spectra',
  label: 'Spectra',
  units: ['spectra'],
  metrics: [
    metric('spectral_norm', 'Spectral norm', 's_max', 'matrix', 'largest singular value', true),
    metric('stable_rank', 'Stable rank', 'rank', 'matrix', '‖W‖F² / s_max²', true),
    metric('effective_rank', 'Effective rank', 'rank', 'matrix', 'exp(entropy(s / Σs))', true),
    metric('alpha', 'Power-law α', 'α', 'matrix', 'exponent of the eigenvalue (s²) tail, xmin by minimum KS'),
    metric('alpha_xmin', 'Power-law xmin', 's²', 'matrix', 'start of the fitted tail', true),
    metric('alpha_ks', 'Power-law KS', 'KS', 'matrix', 'KS distance of the tail fit'),
  ],
  frames: [{ kind: 'spectrum', file: 'spectra.jsonl', exportShape: (d) => ({ singular_values: d.singular_values }) }],
  views: ['overview', 'curves', 'animations:spectrum'],
} as const satisfies AnalysisInfo;
