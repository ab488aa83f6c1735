// Architecture families: config.json picks the family (model_type, confirmed or inferred from
// architectures[0]); each family maps raw tensor names to roles and canonical keys, so metrics and
// forward graphs never see raw names.
import type { Family, ModelConfig } from '../../common/domain';
import { gpt2 } from './gpt2';
import { gptNeox } from './gpt-neox';
import { llama } from './llama';
import { ConfigError, type ArchitectureRole, type FamilyModule, type OvHeads, type QkvHeads } from './types';
import { unknownFamily } from './unknown';

export { ConfigError, ShapeError, type ArchitectureRole, type FamilyModule, type HeadSlices, type OvHeads, type QkvHeads, type QkvHeadSlice } from './types';

const MODULES: Record<Family, FamilyModule> = { gpt_neox: gptNeox, gpt2, llama, unknown: unknownFamily };
// A Map, not an object literal: model_type comes from the file, and "constructor" or "__proto__"
// must not find Object.prototype's members (found by fuzzing).
const MODEL_TYPES: ReadonlyMap<string, Family> = new Map([['gpt_neox', 'gpt_neox'], ['gpt2', 'gpt2'], ['llama', 'llama'], ['mistral', 'llama'], ['qwen2', 'llama']]);
const ARCHITECTURE_PREFIXES: [RegExp, Family][] = [
  [/^GPTNeoX/, 'gpt_neox'], [/^GPT2/, 'gpt2'], [/^(Llama|Mistral|Qwen2)(For|Model)/, 'llama'],
];

export function familyModule(family: Family): FamilyModule {
  return MODULES[family];
}

/** The family of a parsed config.json (null or non-object: unknown). */
export function familyOf(config: unknown): Family {
  if (typeof config !== 'object' || config === null) return 'unknown';
  const c = config as Record<string, unknown>;
  const byType = typeof c.model_type === 'string' ? MODEL_TYPES.get(c.model_type) : undefined;
  if (byType) return byType;
  const arch = Array.isArray(c.architectures) && typeof c.architectures[0] === 'string' ? c.architectures[0] : null;
  if (arch) for (const [re, family] of ARCHITECTURE_PREFIXES) if (re.test(arch)) return family;
  return 'unknown';
}

/** ModelConfig from config.json; throws ConfigError when the family's required keys are missing. */
/**
 * Upper bounds on config.json's sizes, far above any published model (Llama-3-405B: 126 layers,
 * d=16384, 128 heads, 128k vocab; the largest vocabularies are ~262k), checked before the family
 * reader runs: a config with `num_hidden_layers: 1e9` made loops over configured layers (the Qwen2
 * sliding-window list, forward graphs, SVD directions) run for ever (issue 14).
 */
export const CONFIG_LIMITS: ReadonlyArray<[keys: string[], limit: number]> = [
  [['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers'], 1024],
  [['hidden_size', 'n_embd', 'd_model'], 65_536],
  [['num_attention_heads', 'n_head', 'num_key_value_heads', 'num_kv_heads'], 4096],
  [['head_dim'], 4096],
  [['vocab_size'], 1 << 22],
  [['intermediate_size', 'n_inner', 'ffn_dim'], 1 << 20],
  [['max_position_embeddings', 'n_positions', 'n_ctx'], 1 << 24],
];

export function checkConfigBounds(config: Record<string, unknown>): void {
  for (const [keys, limit] of CONFIG_LIMITS) {
    for (const k of keys) {
      const v = Object.hasOwn(config, k) ? config[k] : undefined;
      if (typeof v === 'number' && v > limit) throw new ConfigError(`${k} is ${v}, beyond any real model (limit ${limit}); refused`);
    }
  }
}

export function readModelConfig(config: Record<string, unknown>): ModelConfig {
  checkConfigBounds(config);
  return MODULES[familyOf(config)].readConfig(config);
}

export function roleOf(family: Family, name: string): ArchitectureRole {
  return MODULES[family].roleOf(name);
}

/**
 * Canonical key (`embed.weight`, `layers.{i}.attn.qkv.weight`, `unembed.weight`, ...) -> raw name.
 * When the unembedding is absent and the family ties it (GPT-2 always saves it tied; Llama with
 * tie_word_embeddings), `unembed.weight` maps to the embedding's raw name.
 */
export function canonicalWeights(family: Family, names: readonly string[], options: { tiedEmbeddings?: boolean } = {}): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of names) {
    const role = MODULES[family].roleOf(name);
    if (role.canonical && !out.has(role.canonical)) out.set(role.canonical, name);
  }
  const tied = options.tiedEmbeddings ?? MODULES[family].tiedByDefault;
  if (!out.has('unembed.weight') && tied && out.has('embed.weight')) out.set('unembed.weight', out.get('embed.weight')!);
  return out;
}

/** Whether the family has a forward graph (activations, gradients); why not, when it has none. */
export function modelProblem(family: Family): string | null {
  return MODULES[family].runsModel ? null : 'running the model needs a known architecture (gpt_neox, gpt2, llama)';
}

/** The family's per-head OV slicing, or null when its attention weights cannot be sliced. */
export function ovHeadsOf(family: Family): OvHeads | null {
  return MODULES[family].ovHeads ?? null;
}

/** The family's per-head Q/K/V slicing, or null when its attention weights cannot be sliced. */
export function qkvHeadsOf(family: Family): QkvHeads | null {
  return MODULES[family].qkvHeads ?? null;
}

/** The family as a run summary names it. */
export function familyLabel(family: Family): string {
  return family === 'unknown' ? 'unknown architecture' : family;
}
