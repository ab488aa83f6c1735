// `head-spectra`: the singular values of every attention head's query, key and value matrix
// (the study's outlier singular values live in individual heads), each against a random-matrix
// reference: the Marchenko-Pastur bulk edges for the matrix's shape and entry variance, and the
// spectrum of the same entries shuffled (seeded). DOMAIN.md "Per-head spectra against a random-
// matrix reference"; definitions in docs/ANALYSES.md. Unit: main/jobs/units/head-spectra.ts.
import { metric, type AnalysisInfo } from './types';

export type QkvPart = 'q' | 'k' | 'v';
export const QKV_PARTS: readonly QkvPart[] = ['q', 'k', 'v'];

/** The cache's tensor name of head h's Q/K/V matrix in block b (a K/V head under GQA). */
export function headTensor(block: number, head: number, part: QkvPart): string {
  return `attn.${block}.head.${head}.${part}`;
}

/** Inverse of headTensor, or null for any other name. */
export function parseHeadTensor(name: string): { block: number; head: number; part: QkvPart } | null {
  const m = /^attn\.(\d+)\.head\.(\d+)\.([qkv])$/.exec(name);
  return m ? { block: Number(m[1]), head: Number(m[2]), part: m[3] as QkvPart } : null;
}

/** One head matrix's frame (arrays as Float64Array in the cache, lists in the export). */
export interface HeadSpectrumFrame {
  rows: number;
  cols: number;
  /** Descending singular values of the head's matrix. */
  singular_values: ArrayLike<number>;
  /** Descending singular values of the same entries after the seeded shuffle. */
  shuffled_singular_values: ArrayLike<number>;
  /** Entry standard deviation and the Marchenko-Pastur bulk edges (singular values). */
  mp_sigma: number;
  mp_lower: number;
  mp_upper: number;
  /** Power-law fit of the eigenvalues s^2 (WeightWatcher's method), null when none: for the QQ plot. */
  alpha: number | null;
  alpha_xmin: number | null;
  alpha_ks: number | null;
}

export const headSpectra = {
  id: 'head-spectra',
  label: 'Head spectra',
  units: ['head-spectra'],
  metrics: [
    metric('head_spectral_norm', 'Head s_max', 's_max', 'head', 'largest singular value of the head\'s Q, K or V matrix', true),
    metric('mp_upper_edge', 'MP bulk edge', 's', 'head', 'Marchenko-Pastur upper edge σ(√n + √p) for the matrix\'s shape and entry std σ', true),
    metric('mp_spikes', 'Spikes above MP', 'count', 'head', 'singular values above the Marchenko-Pastur upper edge'),
    metric('shuffled_spectral_norm', 'Shuffled s_max', 's_max', 'head', 's_max of the same entries shuffled (seeded): the unstructured reference', true),
    metric('spike_ratio', 's_max / shuffled', 'ratio', 'head', 's_max over the shuffled matrix\'s s_max: 1 = Gaussian-like, > 1 = learned spikes', true),
    metric('head_alpha', 'Head power-law α', 'α', 'head', 'power-law exponent of the head matrix\'s eigenvalue (s²) tail, xmin by minimum KS'),
  ],
  frames: [
    {
      kind: 'head_spectrum',
      file: 'head_spectra.jsonl',
      exportShape: (d) => ({
        rows: d.rows, cols: d.cols,
        singular_values: Array.from(d.singular_values as ArrayLike<number>),
        shuffled_singular_values: Array.from(d.shuffled_singular_values as ArrayLike<number>),
        mp_sigma: d.mp_sigma, mp_lower: d.mp_lower, mp_upper: d.mp_upper,
        alpha: d.alpha, alpha_xmin: d.alpha_xmin, alpha_ks: d.alpha_ks,
      }),
    },
  ],
  views: ['heads'],
} as const satisfies AnalysisInfo;
