// Synthetic caches for the export tests and bench: a RunInfo with chosen steps and, per checkpoint,
// frames of every kind the exporter draws, written through Store.writeUnit as the engine writes
// them. The correlation matrices are real Pearson correlations of random token vectors that drift
// into clusters over "training", so frames differ and the clustered order means something.
import type { RunInfo, TensorRole } from '../../../common/domain';
import type { Store } from '../../../main/store/store';

export function syntheticRunInfo(id: string, steps: number[], name = `synthetic-${id}`): RunInfo {
  return {
    id,
    name,
    layout: 'step-folders',
    root: `/data/${id}`,
    family: 'gpt_neox',
    config: null,
    tokenizerPath: null,
    trainingLog: steps.map((s) => ({ step: s, loss: 8 / Math.sqrt(1 + s / 100) })),
    warnings: [],
    checkpoints: steps.map((s) => ({
      id: `step${s}`,
      label: `step ${s}`,
      step: s,
      folder: `/data/${id}/step${s}`,
      weightFiles: ['model.safetensors'],
      format: 'safetensors',
      dtype: 'F32',
      fingerprint: `fp-${s}`,
      missing: false,
      warnings: [],
    })),
  };
}

/** Deterministic uniform [0, 1) generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/**
 * Pearson correlation of n random d-dimensional token vectors, each a mix of its cluster's centre
 * (weight `mix` in [0, 1]) and its own noise: r grows inside clusters as mix grows.
 */
export function correlationMatrix(n: number, mix: number, seed: number, d = 24, clusters = 4): Float32Array {
  const next = rng(seed);
  const centres = Array.from({ length: clusters }, () => Float64Array.from({ length: d }, () => gaussian(next)));
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[(i * 7) % clusters];
    let mean = 0;
    for (let k = 0; k < d; k++) {
      const v = mix * c[k] + (1 - mix) * gaussian(next);
      x[i * d + k] = v;
      mean += v / d;
    }
    let ss = 0;
    for (let k = 0; k < d; k++) {
      x[i * d + k] -= mean;
      ss += x[i * d + k] ** 2;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let k = 0; k < d; k++) x[i * d + k] *= inv;
  }
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] * x[j * d + k];
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  }
  return m;
}

export interface SyntheticRunOptions {
  id: string;
  steps: number[];
  /** Side of the correlation matrices. */
  n: number;
  /** Also write histogram, qq, spectrum, resid/grad histograms and scalars (default true). */
  sparse?: boolean;
  /** Put a NaN at (0, 1) and (1, 0) of the first correlation frame. */
  nan?: boolean;
}

export const EMBED = 'gpt_neox.embed_in.weight';
export const MLP_IN = ['gpt_neox.layers.0.mlp.dense_h_to_4h.weight', 'gpt_neox.layers.1.mlp.dense_h_to_4h.weight'];
export const RESID = 'resid.1';

/** Counts of `count` Gaussian samples of standard deviation sd on `bins` bins over [lo, hi). */
function histogramOf(next: () => number, count: number, sd: number, lo: number, hi: number, bins: number) {
  const counts = new Array<number>(bins).fill(0);
  let underflow = 0;
  let overflow = 0;
  for (let i = 0; i < count; i++) {
    const v = sd * gaussian(next);
    if (v < lo) underflow++;
    else if (v >= hi) overflow++;
    else counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  }
  return { counts, underflow, overflow };
}

export function writeSyntheticRun(store: Store, options: SyntheticRunOptions): RunInfo {
  const info = syntheticRunInfo(options.id, options.steps);
  store.upsertRun(info, 'opened');
  const sparse = options.sparse !== false;
  const tensors: Array<{ tensor: string; role: TensorRole; shape?: number[] }> = [
    { tensor: EMBED, role: { block: 'embed', component: 'embed', kind: 'weight' }, shape: [options.n, 24] },
    ...(sparse
      ? [
          ...MLP_IN.map((t, b) => ({ tensor: t, role: { block: b, component: 'mlp.in' as const, kind: 'weight' as const }, shape: [64, 16] })),
          { tensor: RESID, role: { block: 0, component: 'resid' as const, kind: 'other' as const } },
        ]
      : []),
  ];
  store.registerTensors(info.id, tensors);
  const last = Math.max(1, options.steps.length - 1);
  options.steps.forEach((step, c) => {
    const checkpointId = `step${step}`;
    const progress = c / last;
    const matrix = correlationMatrix(options.n, 0.1 + 0.8 * progress, 1000 + c);
    if (options.nan && c === 0) {
      matrix[1] = Number.NaN;
      matrix[options.n] = Number.NaN;
    }
    store.writeUnit({ runId: info.id, checkpointId, analysis: 'embedding' }, { fingerprint: `fp-${step}`, version: 1, ctx: '' }, {
      scalars: [],
      arrays: [{ kind: 'embedding_correlation', tensor: EMBED, data: { rows: [0, options.n], matrix } }],
      info: {},
    });
    if (!sparse) return;
    const next = rng(77 + c);
    const arrays: Array<{ kind: string; tensor: string; data: unknown }> = [];
    const scalars: Array<{ metric: string; tensor: string; value: number }> = [];
    MLP_IN.forEach((t, b) => {
      const sd = 0.02 * (1 + progress * (b + 1));
      const h = histogramOf(next, 1024, sd, -0.08, 0.08, 40);
      arrays.push({ kind: 'histogram', tensor: t, data: { lo: -0.08, hi: 0.08, bins: 40, ...h, nonFinite: 0 } });
      const m = 101;
      const probabilities = Array.from({ length: m }, (_, i) => (i + 0.5) / m);
      const logistic = probabilities.map((p) => (Math.log(p / (1 - p)) * Math.sqrt(3)) / Math.PI);
      const empirical = logistic.map((q) => q * (1 + 0.3 * progress * Math.abs(q)) / (1 + b * 0.1));
      arrays.push({ kind: 'qq', tensor: t, data: { probabilities, empirical, gaussian: logistic.map((q) => q * 0.97), logistic, studentT: logistic.map((q) => q * 1.05) } });
      arrays.push({ kind: 'spectrum', tensor: t, data: { singular_values: Float64Array.from({ length: 16 }, (_, i) => 3 * (1 + progress) * (i + 1) ** -(0.5 + progress)) } });
      const edges = Array.from({ length: 33 }, (_, i) => -1e-3 + (i * 2e-3) / 32);
      const g = histogramOf(next, 512, 3e-4 / (1 + progress), -1e-3, 1e-3, 32);
      arrays.push({ kind: 'grad_histogram', tensor: t, data: { edges, ...g, nonFinite: 0 } });
      scalars.push({ metric: 'frobenius_norm', tensor: t, value: sd * 32 * (b + 1) });
    });
    scalars.push({ metric: 'frobenius_norm', tensor: EMBED, value: 1 + progress });
    const residEdges = Array.from({ length: 51 }, (_, i) => -4 + (i * 8) / 50);
    arrays.push({ kind: 'resid_histogram', tensor: RESID, data: { edges: residEdges, ...histogramOf(next, 2048, 1 + progress, -4, 4, 50) } });
    store.writeUnit({ runId: info.id, checkpointId, analysis: 'weights' }, { fingerprint: `fp-${step}`, version: 1, ctx: '' }, { scalars, arrays, info: {} });
  });
  return info;
}
