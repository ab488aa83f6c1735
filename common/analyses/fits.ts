// `fits`: maximum-likelihood Gaussian, logistic and Student-t fits per tensor with KS distances and
// per-element log-likelihoods, and the QQ frames against each (DOMAIN.md "distribution fit", "QQ
// plot"). Unit: main/jobs/units/fits.ts.
import { metric, type AnalysisInfo } from './types';

export const fits = {
  id: 'fits',
  label: 'Distribution fits',
  units: ['fits'],
  metrics: [
    metric('gaussian_ks', 'Gaussian KS', 'KS', 'tensor', 'Kolmogorov-Smirnov distance to the ML Gaussian fit'),
    metric('logistic_ks', 'Logistic KS', 'KS', 'tensor', 'Kolmogorov-Smirnov distance to the ML logistic fit'),
    metric('student_t_ks', 'Student-t KS', 'KS', 'tensor', 'Kolmogorov-Smirnov distance to the ML Student-t fit'),
    metric('student_t_nu', 'Student-t ν', 'ν', 'tensor', 'degrees of freedom of the ML Student-t fit: small = heavy tails', true),
    metric('gaussian_loglik', 'Gaussian log-lik', 'nats/elem', 'tensor', 'mean log-likelihood per element'),
    metric('logistic_loglik', 'Logistic log-lik', 'nats/elem', 'tensor', 'mean log-likelihood per element'),
    metric('student_t_loglik', 'Student-t log-lik', 'nats/elem', 'tensor', 'mean log-likelihood per element'),
  ],
  frames: [{ kind: 'qq', file: 'qq.jsonl', exportShape: (d) => d }],
  views: ['overview', 'curves', 'animations:qq'],
} as const satisfies AnalysisInfo;
