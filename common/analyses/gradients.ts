// `gradients`: the gradient of the probe loss with respect to every weight (DOMAIN.md
// "gradients"): norms per tensor, the total norm and histograms. Unit: main/jobs/units/gradients.ts.
import { histogramExportShape } from './weights';
import { metric, type AnalysisInfo } from './types';

export const gradients = {
  id: 'gradients',
  label: 'Gradients',
  units: ['gradients'],
  metrics: [
    metric('grad_total_norm', 'Gradient total norm', '‖g‖', 'probe', 'norm of the gradient over all parameters', true),
    metric('grad_norm', 'Gradient norm', '‖g‖', 'gradient', 'norm of d(loss)/d(weight)', true),
  ],
  frames: [{ kind: 'grad_histogram', file: 'histograms.jsonl', exportShape: histogramExportShape('grad') }],
  views: ['overview', 'curves', 'animations:gradients'],
} as const satisfies AnalysisInfo;
