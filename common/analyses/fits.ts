// `fits`: maximum-likelihood Gaussian, logistic and Student-t fits per tensor with KS distances and
// per-element log-likelihoods, and the QQ frames against each (DOMAIN.md "distribution fit", "QQ
// plot"). Unit: main/jobs/units/fits.ts.
import { metric, type AnalysisInfo } from './types';

/** Upper bound of the Student-t fit's ν (main/metrics/fits.ts NU_MAX): at it, tails as light as a Gaussian's. */
export const STUDENT_T_NU_MAX = 1e4;

export const fits = {
  id: 'fits',
  label: 'Distribution fits',
  units: ['fits'],
  metrics: [
    metric('gaussian_ks', 'Gaussian KS', 'KS', 'tensor', 'Kolmogorov-Smirnov distance to the ML Gaussian fit'),
    metric('logistic_ks', 'Logistic KS', 'KS', 'tensor', 'Kolmogorov-Smirnov distance to the ML logistic fit'),
    metric('student_t_ks', 'Student-t KS', 'KS', 'tensor', 'Kolmogorov-Smirnov distance to the ML Student-t fit'),
    {
      ...metric('student_t_nu', 'Student-t ν', 'ν', 'tensor', 'degrees of freedom of the ML Student-t fit: small = heavy tails', true),
      bound: { value: STUDENT_T_NU_MAX, side: 'max', note: 'fit bound' },
    },
    metric('gaussian_loglik', 'Gaussian log-lik', 'nats/elem', 'tensor', 'mean log-likelihood per element'),
    metric('logistic_loglik', 'Logistic log-lik', 'nats/elem', 'tensor', 'mean log-likelihood per element'),
    metric('student_t_loglik', 'Student-t log-lik', 'nats/elem', 'tensor', 'mean log-likelihood per element'),
    metric('best_fit_family', 'Best-fitting family', '0 Gaussian · 1 logistic · 2 Student-t', 'tensor', 'the family of smallest KS distance (ties: the earlier of Gaussian, logistic, Student-t)'),
  ],
  frames: [{ kind: 'qq', file: 'qq.jsonl', exportShape: (d) => d }],
  views: ['overview', 'curves', 'animations:qq'],
} as const satisfies AnalysisInfo;

/** The families best_fit_family numbers, in order (its value is the index). */
export const FIT_FAMILIES = ['gaussian', 'logistic', 'student_t'] as const;

/** Index of the smallest finite KS distance (Gaussian, logistic, Student-t); null when none is finite. */
export function bestFitFamily(ks: ReadonlyArray<number | null>): number | null {
  let best: number | null = null;
  ks.forEach((v, i) => {
    if (v !== null && Number.isFinite(v) && (best === null || v < ks[best]!)) best = i;
  });
  return best;
}
