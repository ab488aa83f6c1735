// The induction (prefix-matching) score of DOMAIN.md, as pure functions: the pinned repeated
// random-token probe and the score of one block's attention probabilities on it. A head that
// implements induction attends from the second copy of a token to the token that followed its
// first copy, i.e. from position t in T..2T-1 to t - T + 1. Hand-written: two loops over the
// definition; no library computes it on attention we already hold.

/** Sequences in the probe, and the length of one copy (each sequence is two copies: 2T positions). */
export const INDUCTION_BATCH = 4;
export const INDUCTION_HALF = 64;
export const INDUCTION_LEN = 2 * INDUCTION_HALF;

/**
 * The probe's ids [B, 2T] row-major: x[b][j] = floor(V/4) + (7919 (64 b + j) + 13) mod floor(V/2)
 * for j < T, repeated once (V = rows of the unembedding).
 */
export function inductionProbeIds(vocab: number): BigInt64Array {
  const half = Math.floor(vocab / 2);
  if (half < 1) throw new Error(`the induction probe needs a vocabulary of at least 2 tokens (got ${vocab})`);
  const ids = new BigInt64Array(INDUCTION_BATCH * INDUCTION_LEN);
  for (let b = 0; b < INDUCTION_BATCH; b++) {
    for (let j = 0; j < INDUCTION_HALF; j++) {
      const id = Math.floor(vocab / 4) + ((7919 * (64 * b + j) + 13) % half);
      ids[b * INDUCTION_LEN + j] = BigInt(id);
      ids[b * INDUCTION_LEN + INDUCTION_HALF + j] = BigInt(id);
    }
  }
  return ids;
}

/**
 * Per head: the mean attention probability from position t to t - T + 1 over t in T..2T-1 and
 * the B sequences, from probabilities [B, H, 2T, 2T] (row = query, column = key); float64 sums.
 */
export function inductionScores(probs: ArrayLike<number>, batch: number, heads: number, half = INDUCTION_HALF): Float64Array {
  const len = 2 * half;
  if (probs.length !== batch * heads * len * len) {
    throw new Error(`attention probabilities: ${probs.length} values, expected ${batch} x ${heads} x ${len} x ${len}`);
  }
  const out = new Float64Array(heads);
  for (let h = 0; h < heads; h++) {
    let s = 0;
    for (let b = 0; b < batch; b++) {
      const base = (b * heads + h) * len * len;
      for (let t = half; t < len; t++) s += probs[base + t * len + (t - half + 1)];
    }
    out[h] = s / (batch * half);
  }
  return out;
}
