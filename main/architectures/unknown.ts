// Unknown model types: every tensor keeps its raw name (role `other`, layer index when the name
// shows one) so weight analyses still run; the config is read from the usual keys, best effort.
import type { ModelConfig } from '../../common/domain';
import { boolOr, numberOr, otherRole, stringOr, type FamilyModule } from './types';

function intOr(c: Record<string, unknown>, keys: string[], fallback: number): number {
  const v = numberOr(c, keys, fallback);
  return Number.isInteger(v) && v >= 0 ? v : fallback;
}

function readConfig(c: Record<string, unknown>): ModelConfig {
  const hidden = intOr(c, ['hidden_size', 'n_embd', 'd_model'], 0);
  const heads = intOr(c, ['num_attention_heads', 'n_head'], 0);
  return {
    family: 'unknown',
    modelType: typeof c.model_type === 'string' ? c.model_type : null,
    vocabSize: intOr(c, ['vocab_size'], 0),
    hidden,
    layers: intOr(c, ['num_hidden_layers', 'n_layer', 'num_layers'], 0),
    heads,
    kvHeads: intOr(c, ['num_key_value_heads'], heads),
    headDim: heads > 0 ? Math.floor(hidden / heads) : 0,
    intermediate: intOr(c, ['intermediate_size', 'n_inner', 'ffn_dim'], 0),
    maxPositions: intOr(c, ['max_position_embeddings', 'n_positions'], 0),
    normEps: numberOr(c, ['layer_norm_eps', 'layer_norm_epsilon', 'rms_norm_eps'], 1e-5),
    rotaryPct: numberOr(c, ['rotary_pct'], 0),
    rotaryBase: numberOr(c, ['rope_theta', 'rotary_emb_base'], 10000),
    parallelResidual: boolOr(c, 'use_parallel_residual', false),
    activation: stringOr(c, ['hidden_act', 'activation_function'], 'unknown'),
    tiedEmbeddings: boolOr(c, 'tie_word_embeddings', false),
    attentionBias: boolOr(c, 'attention_bias', false),
    mlpBias: boolOr(c, 'mlp_bias', false),
  };
}

export const unknownFamily: FamilyModule = { family: 'unknown', prefixes: [], roleOf: otherRole, readConfig, runsModel: false, tiedByDefault: false };
