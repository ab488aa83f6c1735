// The nouns every process shares: runs, checkpoints, tensors and their architecture-independent
// roles. Plain data only (no functions, no Node APIs) so that main, preload and renderer can all
// import it and so it can cross IPC/HTTP as JSON.

/** Element types found in checkpoints (safetensors names; torch storages map onto these). */
export type DType =
  | 'BOOL' | 'U8' | 'I8' | 'I16' | 'U16' | 'I32' | 'U32' | 'I64' | 'U64'
  | 'F16' | 'BF16' | 'F32' | 'F64';

export const DTYPE_BYTES: Record<DType, number> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8,
  F16: 2, BF16: 2, F32: 4, F64: 8,
};

/** Canonical components (DOMAIN.md vocabulary). `other` keeps unknown tensors analysable. */
export type Component =
  | 'embed' | 'pos_embed'
  | 'attn.qkv' | 'attn.q' | 'attn.k' | 'attn.v' | 'attn.out'
  | 'mlp.in' | 'mlp.gate' | 'mlp.out'
  | 'ln.attn' | 'ln.mlp' | 'ln.final'
  | 'unembed'
  /** Results of running the model: residual stream, MLP hidden activations, probe-wide numbers. */
  | 'resid' | 'mlp.act' | 'probe'
  /** One query head's attention on the induction probe (`attn.{block}.head.{h}`). */
  | 'attn.head'
  | 'other';

/** A transformer layer index, or one of the pseudo-blocks. */
export type Block = number | 'embed' | 'final' | 'unembed';

export type TensorKind = 'weight' | 'bias' | 'buffer' | 'other';

export interface TensorRole {
  block: Block | null;
  component: Component;
  kind: TensorKind;
}

/** A tensor as listed from headers alone: no data is read to produce this. */
export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Absolute path of the file holding the bytes (shard or single file). */
  file: string;
  role: TensorRole;
}

export type Family = 'gpt_neox' | 'gpt2' | 'llama' | 'unknown';

/** What the forward graphs need, read from config.json by main/architectures/. */
export interface ModelConfig {
  family: Family;
  modelType: string | null;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  maxPositions: number;
  normEps: number;
  /** Fraction of head_dim that gets rotary (GPT-NeoX rotary_pct; 1 for Llama; 0 for GPT-2). */
  rotaryPct: number;
  rotaryBase: number;
  parallelResidual: boolean;
  activation: 'gelu' | 'gelu_new' | 'silu' | 'relu' | string;
  tiedEmbeddings: boolean;
  /** Whether attention projections carry biases (GPT-NeoX, GPT-2, Qwen2 yes; Llama no). */
  attentionBias: boolean;
  mlpBias: boolean;
  /** Bias on the attention output projection where it differs from attentionBias (Llama attention_bias: q/k/v and o; Qwen2: q/k/v only). Absent: false. */
  attentionOutBias?: boolean;
  /**
   * Llama family: config.json rope_scaling (or transformers 5's rope_parameters). `type` as written
   * (`type` or `rope_type`); the forward models default, linear, dynamic and llama3 and refuses the
   * rest. Absent or null: plain RoPE.
   */
  ropeScaling?: {
    type: string;
    factor: number | null;
    lowFreqFactor: number | null;
    highFreqFactor: number | null;
    originalMaxPositions: number | null;
  } | null;
  /** Attention limited to the last W positions, the query's own included (Mistral sliding_window). Absent or null: full causal. */
  slidingWindow?: number | null;
  /** Layers that use slidingWindow (Qwen2: from max_window_layers or layer_types). Absent: every layer. */
  slidingWindowLayers?: number[];
}

export type LayoutKind = 'hf-cache' | 'trainer' | 'step-folders' | 'single';
export type WeightFormat = 'safetensors' | 'torch-zip';

export interface IntegrityWarning {
  kind: 'identical-weights' | 'identical-shard' | 'missing-steps' | 'missing-weights' | 'unreadable' | 'other';
  message: string;
  /** Checkpoint ids concerned. */
  checkpoints: string[];
}

export interface CheckpointInfo {
  /** Stable id within the run (e.g. `step1000`). */
  id: string;
  label: string;
  step: number | null;
  tokens?: number | null;
  folder: string;
  weightFiles: string[];
  format: WeightFormat | null;
  /** Dominant floating dtype of the weights, from headers. */
  dtype: DType | null;
  /** Cheap fingerprint (sizes + mtimes + header hash) unless a full hash was asked for. */
  fingerprint: string;
  /** Listed (e.g. a hub revision) but its weight files are absent. */
  missing: boolean;
  warnings: string[];
}

export interface TrainingLogEntry {
  step: number;
  loss?: number;
  learning_rate?: number;
  grad_norm?: number;
}

export interface RunInfo {
  /** Stable id: derived from the root path and the run's name, same across launches. */
  id: string;
  name: string;
  layout: LayoutKind;
  root: string;
  family: Family;
  config: ModelConfig | null;
  /** config.json as found, for display. */
  rawConfig?: Record<string, unknown> | null;
  tokenizerPath: string | null;
  checkpoints: CheckpointInfo[];
  trainingLog: TrainingLogEntry[];
  warnings: IntegrityWarning[];
}
