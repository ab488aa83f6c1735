// Parameter count of a model from its config.json alone (the x axis of the scaling view,
// main/api/scaling.ts), in closed form per family, so a run is placed by size even before any of
// its checkpoints is read. How it is counted (docs/SCALING.md says the same):
//   - every trainable parameter: embeddings, every block's attention and MLP weights and biases,
//     every norm's weight (and bias for LayerNorm), the final norm, the unembedding;
//   - a tied unembedding (GPT-2, tie_word_embeddings) is counted once, as `model.num_parameters()`
//     of transformers counts it; buffers (rotary inv_freq, attention masks) are not parameters;
//   - `nonEmbedding` leaves out the token (and learned position) embeddings and an untied
//     unembedding: Kaplan et al.'s N, the usual x axis of scaling laws.
// Families (the shapes of transformers' modeling_gpt_neox.py, modeling_gpt2.py, modeling_llama.py):
//   GPT-NeoX: LayerNorm x2 per block, fused QKV [3d, d] (+3d bias), dense [d, d] (+d), MLP d->I->d
//             with biases; final LayerNorm; separate embed_out unless tied.
//   GPT-2:    as GPT-NeoX plus learned positions [n_positions, d]; the head is tied by default.
//   Llama:    RMSNorm (weight only) x2 per block; q [H*hd, d], k and v [Hkv*hd, d], o [d, H*hd]
//             (biases as config says: Llama attention_bias, Qwen2 q/k/v), gated MLP 3 x d*I
//             (+ biases with mlp_bias); final RMSNorm; separate lm_head unless tied.
// The unknown family has no closed form: null (the scaling view says so and leaves the run out).
import type { Family, ModelConfig } from '../../common/domain';

export interface ParameterCount {
  total: number;
  nonEmbedding: number;
  /** How it was counted, in one line for the view and the CSV. */
  method: string;
}

type Counter = (c: ModelConfig) => { total: number; embedding: number };

/** LayerNorm blocks: 2 LayerNorms, fused QKV, output projection, MLP up/down, with biases as configured. */
const neoxLike = (c: ModelConfig, positions: number): { total: number; embedding: number } => {
  const d = c.hidden;
  const I = c.intermediate;
  const attn = 3 * d * d + d * d + (c.attentionBias ? 4 * d : 0);
  const mlp = 2 * d * I + (c.mlpBias ? I + d : 0);
  const block = 2 * (2 * d) + attn + mlp;
  const embed = c.vocabSize * d + positions * d;
  const unembed = c.tiedEmbeddings ? 0 : c.vocabSize * d;
  return { total: embed + c.layers * block + 2 * d + unembed, embedding: embed + unembed };
};

const COUNTERS: Record<Family, Counter | null> = {
  gpt_neox: (c) => neoxLike(c, 0),
  gpt2: (c) => neoxLike(c, c.maxPositions),
  llama: (c) => {
    const d = c.hidden;
    const q = c.heads * c.headDim;
    const kv = c.kvHeads * c.headDim;
    const attn = d * q + 2 * d * kv + q * d + (c.attentionBias ? q + 2 * kv : 0) + (c.attentionOutBias ? d : 0);
    const mlp = 3 * d * c.intermediate + (c.mlpBias ? 2 * c.intermediate + d : 0);
    const block = 2 * d + attn + mlp;
    const embed = c.vocabSize * d;
    const unembed = c.tiedEmbeddings ? 0 : c.vocabSize * d;
    return { total: embed + c.layers * block + d + unembed, embedding: embed + unembed };
  },
  unknown: null,
};

/** The closed-form count of a config, or null for a family without one. */
export function parameterCount(config: ModelConfig | null): ParameterCount | null {
  if (!config) return null;
  const counter = COUNTERS[config.family];
  if (!counter) return null;
  const { total, embedding } = counter(config);
  const tied = config.tiedEmbeddings ? ', tied head counted once' : '';
  return { total, nonEmbedding: total - embedding, method: `closed form from config.json (${config.family}: ${config.layers} layers, d=${config.hidden}, ffn=${config.intermediate}, vocab ${config.vocabSize}${tied})` };
}
