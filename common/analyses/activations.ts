// `activations`: the forward pass on the probe batch (DOMAIN.md "Analyses that run the model"):
// residual-stream statistics per block, histograms, loss and top-1 accuracy.
// Unit: main/jobs/units/activations.ts (the forward pass itself: main/jobs/units/model.ts).
import { histogramExportShape } from './weights';
import { metric, type AnalysisInfo } from './types';
import { PROBE_METRICS, TOKEN_LOSS_FRAME } from './probes';
import { outlierDimsFrameSpec } from './outliers';

export const activations = {
  id: 'activations',
  label: 'Activations',
  units: ['activations'],
  metrics: [
    metric('max_abs', 'Residual max |x|', 'value', 'activation', 'largest absolute residual-stream value on the probe batch', true),
    metric('act_mean', 'Residual mean', 'value', 'activation', 'mean of the residual stream'),
    metric('act_std', 'Residual std', 'value', 'activation', 'standard deviation of the residual stream', true),
    metric('rms', 'Residual RMS', 'value', 'activation', 'root mean square of the residual stream', true),
    metric('act_excess_kurtosis', 'Residual kurtosis', '1', 'activation', 'excess kurtosis of the residual stream'),
    metric('loss', 'Probe loss', 'nats/token', 'probe', 'mean next-token cross-entropy on the probe batch'),
    metric('top1_accuracy', 'Probe top-1 accuracy', 'fraction', 'probe', 'next-token top-1 accuracy'),
    ...PROBE_METRICS,
  ],
  frames: [
    { kind: 'resid_histogram', file: 'histograms.jsonl', exportShape: histogramExportShape('resid') },
    // Which residual dimensions carry the outliers, with the reading norms' gains (./outliers.ts).
    { ...outlierDimsFrameSpec, kind: 'outlier_dims' },
    TOKEN_LOSS_FRAME,
  ],
  views: ['overview', 'curves', 'animations:activations', 'outliers', 'probes'],
} as const satisfies AnalysisInfo;
