// AtlasApi: the ONE contract between the engine (main/) and the UI (renderer/).
// Over 450 lines: it is the one typed contract (docs/ARCHITECTURE.md), every method's request and
// response schema and every event in one file, so neither carrier nor the client can miss one.
//
// Every call is a named method taking one JSON request and returning one JSON response; progress
// arrives as events. Electron IPC (preload + ipcMain) and the loopback HTTP server (POST
// /api/<method>, events over WebSocket /api/events) both carry exactly this object, and both
// validate requests with these zod schemas at the boundary. The renderer has one client and never
// knows which carrier it talks to.
import { z } from 'zod';
import { ANALYSIS_IDS, FRAME_KINDS } from './analyses';
import { TOKEN_LOSS_TOP_MAX, TokenLossChangeResult } from './analyses/probes';

// ---------------------------------------------------------------------------------------------
// Shared pieces

const Block = z.union([z.number().int().nonnegative(), z.enum(['embed', 'final', 'unembed'])]);

// Analyses and frame kinds come from the registry (common/analyses/index.ts: one descriptor per
// analysis says its units, metrics, frames and views).
export const AnalysisKind = z.enum(ANALYSIS_IDS);
export type AnalysisKind = z.infer<typeof AnalysisKind>;

/** Longest user-given run name (renameRun). */
export const RUN_ALIAS_MAX = 120;
/** Run colour slots (common/charts/compare.ts RUN_SLOTS: 9 colours x 3 line types). */
export const RUN_COLOUR_SLOTS = 27;

export const RunSummary = z.object({
  id: z.string(),
  name: z.string(),
  layout: z.enum(['hf-cache', 'trainer', 'step-folders', 'single']),
  root: z.string(),
  family: z.enum(['gpt_neox', 'gpt2', 'llama', 'unknown']),
  /** Where the app found it: the bundled demo, the user's HF cache, a folder the user opened. */
  source: z.enum(['demo', 'hf-cache', 'opened']),
  checkpointCount: z.number().int(),
  missingCount: z.number().int(),
  firstStep: z.number().nullable(),
  lastStep: z.number().nullable(),
  warningCount: z.number().int(),
  /** Analyses whose results are complete in the cache for every present checkpoint. */
  analysed: z.array(AnalysisKind),
  summary: z.string(),
  /** The run's folder no longer exists (moved or deleted): its cached results remain. */
  folderMissing: z.boolean().optional(),
  /** The user's name for the run (renameRun), shown instead of `name`; absent: none given. */
  alias: z.string().optional(),
  /**
   * The run's colour: a slot 0..26 of common/charts/compare.ts (9 colours x 3 line types),
   * assigned once when the run enters the library and stored in the cache
   * (main/store/run-colours.ts); every view and export colours the run with runStyles of the
   * shown runs' slots. The user may choose another (setRunColour).
   */
  colourSlot: z.number().int().min(0).max(RUN_COLOUR_SLOTS - 1),
  /**
   * A cache merged from the shards of a cluster sweep (`checkpoint-atlas merge`): how much of the
   * sweep's plan it holds, and what is missing per shard (those cells stay grey in the views).
   */
  sweep: z
    .object({
      shards: z.number().int(),
      mergedShards: z.array(z.number().int()),
      units: z.number().int(),
      present: z.number().int(),
      missing: z.array(z.object({ shard: z.number().int(), units: z.number().int(), examples: z.array(z.string()) })),
    })
    .optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** A tensor (or activation / pseudo tensor) that results are stored under. */
export const TensorMeta = z.object({
  tensor: z.string(),
  component: z.string(),
  block: Block.nullable(),
  kind: z.string(),
  shape: z.array(z.number().int()).optional(),
});
export type TensorMeta = z.infer<typeof TensorMeta>;

/**
 * Which checkpoints an analysis covers (common/subset.ts states the rule): an inclusive step range
 * or an exact list of steps, then every K-th of those. Absent: every checkpoint.
 */
export const CheckpointSubset = z.object({
  from: z.number().optional(),
  to: z.number().optional(),
  steps: z.array(z.number()).min(1).max(100_000).optional(),
  every: z.number().int().min(1).max(1_000_000).optional(),
});
export type CheckpointSubset = z.infer<typeof CheckpointSubset>;

/** Time and peak memory a sweep is expected to take on this machine (main/jobs/estimate.ts). */
export const SweepEstimate = z.object({
  /** Units (checkpoint x unit) that would be computed, and those already cached. */
  units: z.number().int(),
  cached: z.number().int(),
  checkpoints: z.number().int(),
  seconds: z.number(),
  /** Peak resident memory of the whole process during the sweep. */
  peakBytes: z.number(),
  /** Resident memory of the process when the estimate was made (the peak's starting point). */
  residentBytes: z.number(),
  /** Memory this process may still grow into (MemAvailable, cgroup limit), null when unknown. */
  availableBytes: z.number().nullable(),
  fits: z.boolean(),
  /** Whether every rate and memory factor used comes from this machine's calibration. */
  calibrated: z.boolean(),
  byUnit: z.array(
    z.object({ unit: z.string(), units: z.number().int(), seconds: z.number(), peakBytes: z.number(), calibrated: z.boolean() }),
  ),
  /** One line for people: "~4 min 10 s, peak 1.3 GB of 18.2 GB available". */
  message: z.string(),
});
export type SweepEstimate = z.infer<typeof SweepEstimate>;

export const JobState = z.object({
  jobId: z.string(),
  runId: z.string(),
  analyses: z.array(AnalysisKind),
  state: z.enum(['queued', 'running', 'done', 'cancelled', 'failed']),
  /** Units of work (checkpoint x analysis) done and in total. */
  done: z.number(),
  total: z.number(),
  /** Units whose results were already cached and were not recomputed. */
  skipped: z.number(),
  /** Units that failed (reported in warnings; the job goes on). */
  failed: z.number(),
  current: z.object({ checkpoint: z.string(), tensor: z.string().optional() }).nullable(),
  startedAt: z.number(),
  etaSeconds: z.number().nullable(),
  provider: z.string().nullable(),
  /** Why the providers tried before it were passed over ("webgpu: no Vulkan loader ..."), or why it was chosen. */
  providerNote: z.string().nullable().optional(),
  error: z.string().nullable(),
  warnings: z.array(z.string()),
  /** The checkpoints covered, in words, when not the whole run (common/subset.ts describeSubset). */
  subset: z.string().optional(),
  /** What was expected before the sweep, and what happened (seconds, peak RSS) once it ended. */
  estimate: SweepEstimate.nullable().optional(),
  measured: z
    .object({
      seconds: z.number(),
      peakBytes: z.number(),
      /** Where the time went: units computed per unit kind and their summed wall seconds (main/jobs/meter.ts). */
      byUnit: z.array(z.object({ unit: z.string(), units: z.number().int(), seconds: z.number(), peakBytes: z.number() })).optional(),
    })
    .nullable()
    .optional(),
});
export type JobState = z.infer<typeof JobState>;

export const ScalarGrid = z.object({
  runId: z.string(),
  metric: z.string(),
  steps: z.array(z.number()),
  checkpointIds: z.array(z.string()),
  tensors: z.array(TensorMeta),
  /** values[t][c]: tensor t at checkpoint c; null where not computed or undefined. */
  values: z.array(z.array(z.number().nullable())),
  /**
   * computed[c]: the analysis that stores this metric has finished at checkpoint c, so a null there
   * is undefined for that tensor (a constant tensor's fit, a NaN), not "not computed yet".
   */
  computed: z.array(z.boolean()).optional(),
});
export type ScalarGrid = z.infer<typeof ScalarGrid>;

export const FrameKind = z.enum(FRAME_KINDS);
export type FrameKind = z.infer<typeof FrameKind>;

/** The animated views of the exporter (the CLI's --view names, renderExport's animated views). */
export type AnimationView = 'histogram' | 'qq' | 'spectrum' | 'correlation' | 'activations' | 'gradients';
export const ANIMATION_VIEWS: readonly AnimationView[] = ['histogram', 'qq', 'spectrum', 'correlation', 'activations', 'gradients'];

/** Which cached frame kind draws an animated view. */
export const FRAME_KIND_OF_VIEW: Record<AnimationView, FrameKind> = {
  histogram: 'histogram',
  qq: 'qq',
  spectrum: 'spectrum',
  correlation: 'embedding_correlation',
  activations: 'resid_histogram',
  gradients: 'grad_histogram',
};

/**
 * The one set of export limits: the renderExport schema below, the exporters (main/export/gif.ts,
 * figure.ts), the CLI's gif/figure (validated with the same schema) and the GIF dialog
 * (renderer/src/components/GifOptions.tsx). GIF delays are whole centiseconds and players slow
 * delays under 20 ms down, hence at most 50 frames per second; the smallest size still holds the
 * title, axes and labels.
 */
export const EXPORT_LIMITS = {
  width: { min: 160, max: 4096 },
  height: { min: 120, max: 4096 },
  fps: { min: 1, max: 50, default: 10 },
} as const;

const sizeIn = (l: { min: number; max: number }) => {
  const message = `must be an integer ${l.min}..${l.max}`;
  return z.number({ message }).int({ message }).min(l.min, { message }).max(l.max, { message });
};

export { TOKEN_LOSS_TOP_DEFAULT, TOKEN_LOSS_TOP_MAX, TokenLossChangeResult } from './analyses/probes';
export const FrameSeries = z.object({
  runId: z.string(),
  kind: FrameKind,
  tensor: z.string(),
  steps: z.array(z.number()),
  checkpointIds: z.array(z.string()),
  /** One JSON frame per checkpoint in step order (null where not computed). */
  frames: z.array(z.unknown().nullable()),
});
export type FrameSeries = z.infer<typeof FrameSeries>;

export const BrowseEntry = z.object({
  name: z.string(),
  path: z.string(),
  isDir: z.boolean(),
});

/**
 * The scaling view (main/store/scaling.ts): one metric of several runs against their parameter
 * count (main/architectures/params.ts) at a matched step or token count, one line per depth
 * fraction of a component or one per component.
 */
export const SCALING_DEFAULT_FRACTIONS = [0, 0.25, 0.5, 0.75, 1] as const;
export const ScalingRequest = z.object({
  runIds: z.array(z.string()).min(1).max(64),
  metric: z.string(),
  /** depth: one line per depth fraction of `component`; component: one line per component (its blocks reduced by blockReduce). */
  lines: z.enum(['depth', 'component']).optional(),
  component: z.string().optional(),
  kind: z.string().optional(),
  fractions: z.array(z.number().min(0).max(1)).min(1).max(11).optional(),
  blockReduce: z.enum(['max', 'mean']).optional(),
  /** at: the value at the matched checkpoint; max-ever: the largest value at or before it. */
  reduce: z.enum(['at', 'max-ever']).optional(),
  align: z.enum(['step', 'tokens']).optional(),
  /** The matched step (or token count); default: the furthest point every run reached. */
  at: z.number().nonnegative().optional(),
  /** x axis: every parameter, or without embeddings (Kaplan's N). */
  params: z.enum(['total', 'non-embedding']).optional(),
});
export const ScalingResult = z.object({
  metric: z.string(),
  label: z.string(),
  unit: z.string(),
  align: z.enum(['step', 'tokens']),
  at: z.number().nullable(),
  reduce: z.enum(['at', 'max-ever']),
  lines: z.enum(['depth', 'component']),
  component: z.string().nullable(),
  kind: z.string().nullable(),
  params: z.enum(['total', 'non-embedding']),
  /** The step (or token) values a matched point can take: every run's checkpoints, merged. */
  axis: z.array(z.number()),
  series: z.array(z.object({ id: z.string(), label: z.string(), slope: z.number().nullable() })),
  runs: z.array(z.object({
    runId: z.string(),
    name: z.string(),
    /** The run's colour slot (RunSummary.colourSlot): its points are marked in its colour. */
    colourSlot: z.number().int().optional(),
    params: z.number().nullable(),
    paramsMethod: z.string(),
    checkpointId: z.string().nullable(),
    step: z.number().nullable(),
    tokens: z.number().nullable(),
    /** values[s]: series s at this run's matched checkpoint (null: none); tensors[s]: which tensor(s) it read. */
    values: z.array(z.number().nullable()),
    tensors: z.array(z.string().nullable()),
    note: z.string().nullable(),
  })),
});
export type ScalingRequest = z.infer<typeof ScalingRequest>;
export type ScalingResult = z.infer<typeof ScalingResult>;

/**
 * Embedding correlation over a chosen token range, computed on demand (main/api/embedding-range.ts)
 * and bounded so the matrix stays small: at most EMBEDDING_RANGE_MAX rows (512^2 cells, 1 MiB).
 */
export const EMBEDDING_RANGE_MAX = 512;
export const EmbeddingRangeRequest = z
  .object({
    runId: z.string(),
    /** Default: the run's last present checkpoint. */
    checkpointId: z.string().optional(),
    /** Token ids from..to-1. */
    from: z.number().int().min(0).max(1e9),
    to: z.number().int().min(1).max(1e9),
    /** id: token order; cluster: average-linkage leaf order of the final checkpoint's matrix; frequency: by count in the probe text. */
    order: z.enum(['id', 'cluster', 'frequency']).optional(),
  })
  .refine((r) => r.to > r.from, { message: 'the token range must end after it starts (from < to)' })
  .refine((r) => r.to - r.from >= 2 && r.to - r.from <= EMBEDDING_RANGE_MAX, { message: `the token range must hold 2 to ${EMBEDDING_RANGE_MAX} tokens (the matrix is range x range)` });
export const EmbeddingRangeResult = z.object({
  runId: z.string(),
  runName: z.string(),
  checkpointId: z.string(),
  step: z.number().nullable(),
  tokensSeen: z.number().nullable(),
  tensor: z.string(),
  rows: z.tuple([z.number().int(), z.number().int()]),
  /** The correlation frame as common/frames.ts encodes it ({ rows, matrix: {$f32} }). */
  frame: z.unknown(),
  /** Display position p shows row offset order[p] (from + order[p] is the token id). */
  order: z.array(z.number().int()),
  orderBy: z.enum(['id', 'cluster', 'frequency']),
  /** How the order was made, in words (which checkpoint, which text). */
  orderNote: z.string(),
  /** Decoded token strings of rows from..to-1 (partial UTF-8 as \xNN), or null without a tokenizer. */
  labels: z.array(z.string()).nullable(),
  tokenizerNote: z.string().nullable(),
});
export type EmbeddingRangeResult = z.infer<typeof EmbeddingRangeResult>;

// ---------------------------------------------------------------------------------------------
// Methods: name -> request schema + response schema

const FormName = z.enum(['saturating', 'power_law', 'rise_decay']);
export const TrajectoriesResult = z.object({
  metric: z.string(),
  trajectories: z.number().int(),
  changePoints: z.array(z.object({ tensor: z.string(), step: z.number(), strength: z.number() })),
  forecasts: z.array(z.object({
    tensor: z.string(),
    form: FormName,
    heldOut: z.record(z.string(), z.number().nullable()),
    points: z.array(z.object({ step: z.number(), value: z.number(), lower: z.number(), upper: z.number() })),
  })),
});
export type TrajectoriesResult = z.infer<typeof TrajectoriesResult>;

/**
 * One tensor's distribution for initialising a new model (docs/INIT_DIST.md): the request of the
 * API's `initDist` (the app's Export menu) and of `checkpoint-atlas init-dist`, which checks its
 * --run/--tensor/--step/--points with this same schema.
 */
export const InitDistRequest = z.object({
  /** Run id or (unique) name. */
  run: z.string().min(1),
  tensor: z.string().min(1),
  /** Checkpoint step; absent: the last. */
  step: z.number().int().nonnegative().optional(),
  points: z.number().int().min(1025).max(1_000_001).optional(),
});
export type InitDistRequest = z.infer<typeof InitDistRequest>;

/** What an analysis is asked with: the same for starting it and for estimating it. */
const AnalysisRequest = z.object({
  runId: z.string(),
  analyses: z.array(AnalysisKind).min(1),
  threads: z.number().int().min(1).max(256).optional(),
  probe: z
    .object({
      file: z.string().optional(),
      batch: z.number().int().min(1).max(1024).optional(),
      seqLen: z.number().int().min(2).max(65536).optional(),
    })
    .optional(),
  provider: z.enum(['auto', 'cpu', 'cuda', 'webgpu']).optional(),
  subset: CheckpointSubset.optional(),
});

export const methods = {
  appInfo: {
    request: z.object({}),
    response: z.object({
      version: z.string(),
      carrier: z.enum(['electron', 'http']),
      dbPath: z.string(),
      /** Providers that start on this machine (a one-node session ran on each). */
      providers: z.array(z.string()),
      /** The others, with the reason each was passed over. */
      providersPassedOver: z.array(z.object({ provider: z.string(), reason: z.string() })).optional(),
      platform: z.string(),
    }),
  },
  listRuns: {
    request: z.object({}),
    response: z.object({ runs: z.array(RunSummary) }),
  },
  openPaths: {
    request: z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(64) }),
    response: z.object({
      runs: z.array(RunSummary),
      errors: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  },
  /**
   * Remove a run from the library: its cached results go, its checkpoint files are never touched.
   * The demo and Hugging Face cache discovery do not list it again; opening its folder does.
   * Refused (busy) while an analysis of the run is queued or running.
   */
  removeRun: {
    request: z.object({ runId: z.string() }),
    response: z.object({ runId: z.string(), name: z.string(), root: z.string() }),
  },
  /** Give a run a name of the user's (shown in the list and every figure); '' restores the scanned name. */
  renameRun: {
    request: z.object({ runId: z.string(), alias: z.string().max(RUN_ALIAS_MAX) }),
    response: z.object({ run: RunSummary }),
  },
  /** Give a run another of the 27 colour slots (kept in the cache; every view and export follows). */
  setRunColour: {
    request: z.object({ runId: z.string(), colourSlot: z.number().int().min(0).max(RUN_COLOUR_SLOTS - 1) }),
    response: z.object({ run: RunSummary }),
  },
  getRun: {
    request: z.object({ runId: z.string() }),
    /** RunInfo of common/domain.ts (kept loose here: it is produced by the engine itself). */
    response: z.object({ run: z.record(z.string(), z.unknown()) }),
  },
  browse: {
    request: z.object({ path: z.string().max(4096).optional() }),
    response: z.object({
      path: z.string(),
      parent: z.string().nullable(),
      entries: z.array(BrowseEntry),
      roots: z.array(z.string()),
    }),
  },
  startAnalysis: {
    request: AnalysisRequest.extend({
      /** Start even when the estimate says the peak memory would not fit. */
      force: z.boolean().optional(),
    }),
    response: z.object({ jobId: z.string() }),
  },
  /** What startAnalysis with the same request would cost: time, peak memory, whether it fits. */
  estimateAnalysis: {
    request: AnalysisRequest,
    response: SweepEstimate,
  },
  cancelJob: {
    request: z.object({ jobId: z.string() }),
    response: z.object({ cancelled: z.boolean() }),
  },
  listJobs: {
    request: z.object({}),
    response: z.object({ jobs: z.array(JobState) }),
  },
  listTensors: {
    request: z.object({ runId: z.string() }),
    response: z.object({ tensors: z.array(TensorMeta), metrics: z.array(z.string()) }),
  },
  scalarGrid: {
    request: z.object({ runId: z.string(), metric: z.string() }),
    response: ScalarGrid,
  },
  frames: {
    request: z.object({ runId: z.string(), kind: FrameKind, tensor: z.string() }),
    response: FrameSeries,
  },
  /**
   * Render what a view shows as a file (GIF for animations, PNG/SVG for figures, CSV for the data
   * behind a heatmap/curve) and return its bytes; the UI saves them where the user chooses.
   */
  renderExport: {
    request: z.object({
      runId: z.string(),
      format: z.enum(['gif', 'png', 'svg', 'csv']),
      view: z.enum(['heatmap', 'curves', 'histogram', 'qq', 'spectrum', 'correlation', 'activations', 'gradients', 'outliers', 'head-spectrum']),
      metric: z.string().optional(),
      component: z.string().optional(),
      kind: z.string().optional(),
      tensor: z.string().optional(),
      block: z.string().optional(),
      step: z.number().optional(),
      steps: z.tuple([z.number(), z.number()]).optional(),
      width: sizeIn(EXPORT_LIMITS.width).optional(),
      height: sizeIn(EXPORT_LIMITS.height).optional(),
      fps: z.number().min(EXPORT_LIMITS.fps.min, { message: `must be in [${EXPORT_LIMITS.fps.min}, ${EXPORT_LIMITS.fps.max}]` }).max(EXPORT_LIMITS.fps.max, { message: `must be in [${EXPORT_LIMITS.fps.min}, ${EXPORT_LIMITS.fps.max}]` }).optional(),
      reorder: z.boolean().optional(),
      yLog: z.boolean().optional(),
      family: z.enum(['gaussian', 'logistic', 'student_t']).optional(),
      /** A comparison: further runs drawn with runId, in order, each in its own colour (runStyles of the runs' colour slots; main/export/compare.ts). */
      compare: z.array(z.string()).max(64).optional(),
      /** Heatmaps: draw each run minus this run (A − B) on a diverging scale. */
      minus: z.string().optional(),
      /** Curves of a comparison: seed groups as mean with a min-max or ±1 sd band. */
      band: z.enum(['minmax', 'std']).optional(),
      /**
       * Animations of a comparison: the shared timeline by step (default) or by tokens seen
       * (common/charts/compare-timeline.ts; every run's tokens must be known). By tokens, a still
       * is at `tokens` and a GIF covers `tokenRange` (inclusive) instead of `step` / `steps`.
       */
      align: z.enum(['step', 'tokens']).optional(),
      tokens: z.number().nonnegative().optional(),
      tokenRange: z.tuple([z.number(), z.number()]).optional(),
      /** Heatmaps: draw the change-point marks (default true, as the Overview's toggle; CLI --no-change-points). */
      changePoints: z.boolean().optional(),
    }),
    response: z.object({ filename: z.string(), mime: z.string(), base64: z.string(), bytes: z.number() }),
  },
  exportData: {
    request: z.object({ runId: z.string().optional(), outDir: z.string() }),
    response: z.object({ files: z.array(z.string()) }),
  },
  /**
   * Change points and (for smooth metrics) forecasts of every tensor's trajectory of one metric,
   * from the cached scalars (main/store/trajectories.ts; cached per metric).
   */
  trajectories: {
    /** forecast: also fit and extrapolate (smooth metrics only; slower, so asked for when shown). */
    request: z.object({ runId: z.string(), metric: z.string(), forecast: z.boolean().optional() }),
    response: TrajectoriesResult,
  },
  /** Steps where many trajectories (weights' norms, distances, fits, spectra) change together. */
  regimeTimeline: {
    request: z.object({ runId: z.string() }),
    response: z.object({
      metrics: z.array(z.string()),
      trajectories: z.number().int(),
      entries: z.array(z.object({ step: z.number(), count: z.number().int(), fraction: z.number(), strength: z.number() })),
    }),
  },
  /**
   * Per-token loss change between two checkpoints on the probe batch (common/analyses/probes.ts
   * tokenLossChange): the `top` predictions and sequences whose loss changed most, decoded.
   */
  tokenLossChange: {
    request: z.object({ runId: z.string(), from: z.number(), to: z.number(), top: z.number().int().min(1).max(TOKEN_LOSS_TOP_MAX).optional() }),
    response: TokenLossChangeResult,
  },
  /** A metric against model size across runs at a matched step or token count (the scaling view). */
  scaling: {
    request: ScalingRequest,
    response: ScalingResult,
  },
  /** The scaling view as a file: PNG/SVG figure, GIF over the matched steps, CSV of its numbers. */
  scalingExport: {
    request: ScalingRequest.extend({
      format: z.enum(['png', 'svg', 'gif', 'csv']),
      width: sizeIn(EXPORT_LIMITS.width).optional(),
      height: sizeIn(EXPORT_LIMITS.height).optional(),
      fps: z.number().min(EXPORT_LIMITS.fps.min).max(EXPORT_LIMITS.fps.max).optional(),
    }),
    response: z.object({ filename: z.string(), mime: z.string(), base64: z.string(), bytes: z.number() }),
  },
  /** The embedding correlation of a chosen token range at one checkpoint (on demand, cached). */
  embeddingCorrelation: {
    request: EmbeddingRangeRequest,
    response: EmbeddingRangeResult,
  },
  /** The user's tokens per step for a run whose checkpoints carry no token count (null forgets it). */
  setTokensPerStep: {
    request: z.object({ runId: z.string(), tokensPerStep: z.number().positive().max(1e12).nullable() }),
    response: z.object({ tokensPerStep: z.number().nullable() }),
  },
  /**
   * Which weights update together: the correlation across checkpoint intervals of per-block (or
   * per-matrix, or per-head: the head-updates analysis) update sizes per training step, with a
   * clustering order (main/store/co-update.ts).
   */
  coUpdate: {
    request: z.object({ runId: z.string(), group: z.enum(['block', 'tensor', 'head']).optional(), removeCommon: z.boolean().optional() }),
    response: z.object({
      runId: z.string(),
      group: z.enum(['block', 'tensor', 'head']),
      removeCommon: z.boolean(),
      /** Per row/column, in the cache's order: tensor name or block, label, block, component. */
      names: z.array(z.string()),
      labels: z.array(z.string()),
      blocks: z.array(Block.nullable()),
      components: z.array(z.string()),
      /** Steps ending the intervals correlated over. */
      steps: z.array(z.number()),
      /** names.length^2 correlations, row-major; null where undefined. */
      matrix: z.array(z.number().nullable()),
      /** Display order (a permutation of row indices) from average-linkage clustering. */
      order: z.array(z.number().int()),
      /** Rows without any update size (not analysed, or never moved). */
      dropped: z.array(z.string()),
    }),
  },
  /** The init-dist safetensors file of one tensor (probabilities, quantiles, metadata), as bytes to save. */
  initDist: {
    request: InitDistRequest,
    response: z.object({ filename: z.string(), mime: z.string(), base64: z.string(), bytes: z.number(), metadata: z.record(z.string(), z.string()) }),
  },
} as const;

export type MethodName = keyof typeof methods;
export type Request<M extends MethodName> = z.input<(typeof methods)[M]['request']>;
export type Response<M extends MethodName> = z.infer<(typeof methods)[M]['response']>;

/** The API as the renderer sees it and main implements it. */
export type AtlasApi = { [M in MethodName]: (request: Request<M>) => Promise<Response<M>> };

// ---------------------------------------------------------------------------------------------
// Events (engine -> UI)

export const AtlasEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: JobState }),
  z.object({ type: z.literal('runs-changed') }),
]);
export type AtlasEvent = z.infer<typeof AtlasEvent>;

// ---------------------------------------------------------------------------------------------
// Errors: every failure crossing the boundary is one of these codes, with a human message.

export const ErrorCode = z.enum([
  'bad-request',
  'unauthorized',
  'forbidden',
  'not-found',
  'format',
  'io',
  'busy',
  'cancelled',
  'not-implemented',
  'internal',
  /** The sweep's estimated peak memory exceeds what this machine has free (force to start anyway). */
  'too-large',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({ code: ErrorCode, message: z.string(), file: z.string().optional() });
export type ErrorBody = z.infer<typeof ErrorBody>;

export class AtlasError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'AtlasError';
  }
  toBody(): ErrorBody {
    return this.file ? { code: this.code, message: this.message, file: this.file } : { code: this.code, message: this.message };
  }
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  format: 422,
  io: 500,
  busy: 409,
  cancelled: 409,
  'not-implemented': 501,
  internal: 500,
  'too-large': 507,
};

/** Validate a request at the boundary; throws AtlasError('bad-request') naming the problem. */
export function parseRequest<M extends MethodName>(method: string, body: unknown): { method: M; request: z.infer<(typeof methods)[M]['request']> } {
  if (!Object.prototype.hasOwnProperty.call(methods, method)) {
    throw new AtlasError('not-found', `unknown API method "${method}"`);
  }
  const schema = methods[method as M].request;
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'request';
    throw new AtlasError('bad-request', `${method}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return { method: method as M, request: parsed.data as z.infer<(typeof methods)[M]['request']> };
}

/** IPC channel names used by preload and main/api/ipc.ts. */
export const IPC_INVOKE = 'atlas:invoke';
export const IPC_EVENT = 'atlas:event';
