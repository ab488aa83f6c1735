// What one architecture family module provides: raw tensor name -> role (and canonical key for the
// forward-graph builder), config.json -> ModelConfig, whether the model can be run, and the
// per-head slicing of the attention weights (OV circuits). Everything family-specific lives in
// main/architectures/<family>.ts (and the forward graphs in main/compute/forward/<family>.ts):
// no other code branches on a family. Shared helpers for the family files.
import type { Component, Family, ModelConfig, TensorKind, TensorRole } from '../../common/domain';

export interface ArchitectureRole extends TensorRole {
  /** Canonical key like `layers.3.attn.qkv.weight`, `embed.weight`; null for buffers and unknowns. */
  canonical: string | null;
  /** Stored as [in, out] (GPT-2 Conv1D) instead of torch.nn.Linear's [out, in]. */
  transposed?: boolean;
}

export interface FamilyModule {
  family: Family;
  /** Outer prefixes that a base-model save may lack (`gpt_neox.`, `transformer.`, `model.`). */
  prefixes: string[];
  roleOf(name: string): ArchitectureRole;
  readConfig(config: Record<string, unknown>): ModelConfig;
  /** A forward graph exists (main/compute/forward/<family>.ts): activations and gradients can run. */
  runsModel: boolean;
  /** The unembedding is the embedding when the checkpoint has no separate one (GPT-2 always). */
  tiedByDefault: boolean;
  /** Per-head OV circuits, when the family's attention weights can be sliced per head. */
  ovHeads?: OvHeads;
  /** Per-head query, key and value matrices (main/architectures/qkv-heads.ts). */
  qkvHeads?: QkvHeads;
}

/** One head's query, key or value projection, [hd, d] row-major float64 (a K/V head under GQA). */
export interface QkvHeadSlice {
  part: 'q' | 'k' | 'v';
  head: number;
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface QkvHeads {
  /** The weights of a block holding its Q, K and V projections, as stored (one fused or three). */
  components: readonly Component[];
  /** Every head's Q, K and V slices from those weights (given in `components` order). */
  slices(weights: readonly ArrayLike<number>[], config: ModelConfig): QkvHeadSlice[];
}

/** W_O^h [d, hd] and W_V^h [hd, d] of one head (row-major float64), W_O^h W_V^h = its OV circuit. */
export interface HeadSlices {
  wO: Float64Array;
  wV: Float64Array;
  headDim: number;
}

export interface OvHeads {
  /** The two weights of a block that hold the value and output projections, as stored. */
  components: readonly [Component, Component];
  /** Head h's slices from those two weights (flat, as stored). */
  slice(value: ArrayLike<number>, output: ArrayLike<number>, config: ModelConfig, h: number): HeadSlices;
}

/** A weight's size does not fit the config.json (names the weight and both sizes). */
export class ShapeError extends Error {
  constructor(readonly problem: string) {
    super(`architecture: ${problem}`);
    this.name = 'ShapeError';
  }
}

/** config.json lacks or mistypes something the family needs. */
export class ConfigError extends Error {
  constructor(readonly problem: string) {
    super(`config.json: ${problem}`);
    this.name = 'ConfigError';
  }
}

export function kindOf(name: string): TensorKind {
  if (name.endsWith('.weight')) return 'weight';
  if (name.endsWith('.bias')) return 'bias';
  return 'other';
}

/** Strip one of the family's outer prefixes, if present. */
export function stripPrefix(name: string, prefixes: string[]): string {
  for (const p of prefixes) if (name.startsWith(p)) return name.slice(p.length);
  return name;
}

export function otherRole(name: string): ArchitectureRole {
  // A layer index still helps group unknown tensors: `...layers.3...`, `...h.3...`, `...blocks.3...`.
  const m = /(?:^|\.)(?:layers|layer|h|blocks|block)\.(\d+)\./.exec(name);
  return { block: m ? Number(m[1]) : null, component: 'other', kind: kindOf(name), canonical: null };
}

/** A short description of a config value for messages (never a full serialisation: values can nest 100,000 deep). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  return `a ${typeof v}`;
}

export function positiveInt(config: Record<string, unknown>, keys: string[], fallback?: number): number {
  for (const k of keys) {
    const v = config[k];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
    if (v !== undefined && v !== null) throw new ConfigError(`${k} is ${describeValue(v)}, not a positive integer`);
  }
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`missing ${keys.join(' / ')}`);
}

export function numberOr(config: Record<string, unknown>, keys: string[], fallback: number): number {
  for (const k of keys) {
    const v = config[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return fallback;
}

export function boolOr(config: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = config[key];
  return typeof v === 'boolean' ? v : fallback;
}

export function stringOr(config: Record<string, unknown>, keys: string[], fallback: string): string {
  for (const k of keys) {
    const v = config[k];
    if (typeof v === 'string') return v;
  }
  return fallback;
}
