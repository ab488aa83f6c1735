// Weight-name normalisation for the forward graphs. Checkpoints saved from a base model (e.g.
// GPTNeoXModel instead of GPTNeoXForCausalLM) lack the outer prefix (`gpt_neox.`, `transformer.`,
// `model.`); the graphs always name their weight inputs with the full causal-LM names of
// FORMATS.md, and this one function maps either spelling onto them.
import type { Family } from '../../../common/domain';

const OUTER_PREFIX: Record<Exclude<Family, 'unknown'>, string> = {
  gpt_neox: 'gpt_neox.',
  gpt2: 'transformer.',
  llama: 'model.',
};

/** Names that live outside the outer prefix in the causal-LM checkpoints. */
const TOP_LEVEL: Record<Exclude<Family, 'unknown'>, string[]> = {
  gpt_neox: ['embed_out.'],
  gpt2: ['lm_head.'],
  llama: ['lm_head.'],
};

/** The full HF causal-LM name of a raw tensor name, with or without the outer prefix. */
export function normaliseWeightName(family: Family, name: string): string {
  if (family === 'unknown') return name;
  const prefix = OUTER_PREFIX[family];
  if (name.startsWith(prefix)) return name;
  if (TOP_LEVEL[family].some((p) => name.startsWith(p))) return name;
  return prefix + name;
}
