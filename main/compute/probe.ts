// The probe batch of DOMAIN.md: the first B x L tokens of the tokenised probe text, row-major
// into B sequences of L (no BOS added; positions 0..L-1), identical for every checkpoint so that
// activations, loss and gradients are comparable across training.

export class ProbeError extends Error {
  constructor(readonly problem: string) {
    super(`probe batch: ${problem}`);
    this.name = 'ProbeError';
  }
}

export interface ProbeBatch {
  batch: number;
  seqLen: number;
  /** B * L token ids, row-major (sequence b is ids[b*L .. b*L+L-1]). */
  ids: BigInt64Array;
}

/**
 * Cut the probe batch from the token ids of the whole probe text. Fails (rather than pads or
 * repeats) when the text is too short, because a padded batch would change the loss definition.
 */
export function makeProbeBatch(tokenIds: ArrayLike<number>, batch: number, seqLen: number, vocabSize?: number): ProbeBatch {
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(seqLen) || seqLen < 1) {
    throw new ProbeError(`batch ${batch} and sequence length ${seqLen} must be positive integers`);
  }
  const need = batch * seqLen;
  if (tokenIds.length < need) {
    throw new ProbeError(`the probe text has ${tokenIds.length} tokens, ${need} are needed for ${batch} x ${seqLen}`);
  }
  const ids = new BigInt64Array(need);
  for (let i = 0; i < need; i++) {
    const t = tokenIds[i];
    if (!Number.isInteger(t) || t < 0 || (vocabSize !== undefined && t >= vocabSize)) {
      throw new ProbeError(`token ${i} has id ${t}, outside the vocabulary${vocabSize !== undefined ? ` (${vocabSize})` : ''}`);
    }
    ids[i] = BigInt(t);
  }
  return { batch, seqLen, ids };
}
