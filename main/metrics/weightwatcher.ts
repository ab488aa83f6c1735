/**
 * WeightWatcher's other per-layer numbers, from the same singular values and power-law fit as our
 * `alpha` (main/metrics/spectrum.ts powerLawAlpha), with WeightWatcher's definitions
 * (weightwatcher.py `apply_norm_metrics` and `fit_powerlaw`, 2025 sources, default settings: the
 * eigenvalues are lambda = s^2 of W, not normalised by N):
 *   log_norm          = log10(sum lambda)          = log10(||W||_F^2)
 *   log_spectral_norm = log10(max lambda)          = log10(s_max^2)
 *   alpha_weighted    = alpha * log_spectral_norm
 *   num_pl_spikes     = #{lambda >= xmin} among the eigenvalues above the fit's threshold
 *   sigma             = (alpha - 1) / sqrt(num_pl_spikes), the fit's standard error
 * WeightWatcher's own `spectral_norm` column is max lambda = s_max^2; ours (`spectral_norm`) is
 * s_max, so log_spectral_norm = 2 log10(spectral_norm). Hand-written: six lines of arithmetic on
 * numbers we already have; the Python package cannot run here. Checked against float64 numpy in
 * tools/make_random_matrix_expectations.py.
 */
import type { PowerLawFit } from './spectrum';

export interface WeightWatcherScalars {
  /** null when the matrix is zero (log of 0). */
  logNorm: number | null;
  logSpectralNorm: number | null;
  /** null when there is no power-law fit (fewer than two eigenvalues above the threshold). */
  alphaWeighted: number | null;
  numPlSpikes: number | null;
  sigma: number | null;
}

/** From all singular values s of W (any order) and the power-law fit of s^2 (or null). */
export function weightWatcherScalars(s: ArrayLike<number>, fit: PowerLawFit | null): WeightWatcherScalars {
  let sumSq = 0;
  let maxSq = 0;
  for (let i = 0; i < s.length; i++) {
    const l = s[i] * s[i];
    sumSq += l;
    if (l > maxSq) maxSq = l;
  }
  const logNorm = sumSq > 0 ? Math.log10(sumSq) : null;
  const logSpectralNorm = maxSq > 0 ? Math.log10(maxSq) : null;
  return {
    logNorm,
    logSpectralNorm,
    alphaWeighted: fit && logSpectralNorm !== null ? fit.alpha * logSpectralNorm : null,
    numPlSpikes: fit ? fit.nTail : null,
    sigma: fit ? fit.sigma : null,
  };
}
