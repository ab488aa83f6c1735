// What the `activations` analysis (activations.ts) measures with the model's own predictions
// besides the residual stream (DOMAIN.md export contract): the logit lens on every resid.{i}
// (`lens_loss`, `lens_top1`), the induction score of every query head on the pinned repeated
// random-token probe (`induction_score` on `attn.{block}.head.{h}`), and each probe prediction's
// loss (frame `token_loss`, exported to token_loss.jsonl) from which the per-token loss change
// between two checkpoints is derived (tokenLossChange below; main/store/token-loss.ts serves it).
// Plain data and pure functions: the unit, the exporter, the API and the views import them.
import { z } from 'zod';
import { metric, type FrameSpec } from './types';

export const PROBE_METRICS = [
  metric('lens_loss', 'Logit lens loss', 'nats/token', 'activation', "resid.i through the final norm and the unembedding, scored like the probe loss (the last block's is the probe loss)"),
  metric('lens_top1', 'Logit lens top-1', 'fraction', 'activation', "top-1 accuracy of resid.i through the final norm and the unembedding"),
  metric('induction_score', 'Induction score', 'probability', 'activation', 'mean attention from each token of a repeated random sequence to the token after its first occurrence (4 x 64 ids repeated twice)'),
] as const;

export const TOKEN_LOSS_KIND = 'token_loss' as const;
/** The tensor name token_loss frames (and the probe's loss) are stored under. */
export const TOKEN_LOSS_TENSOR = 'probe';

/** A checkpoint's per-prediction losses on the probe batch. */
export interface TokenLossFrame {
  batch: number;
  seqLen: number;
  /** B x L token ids, row-major. */
  ids: number[];
  /** B x (L-1) losses (nats), row-major: [b][s] is the loss of predicting ids[b][s+1]. */
  loss: ArrayLike<number>;
}

export const TOKEN_LOSS_FRAME = {
  kind: TOKEN_LOSS_KIND,
  file: 'token_loss.jsonl',
  exportShape: (d: Record<string, unknown>) => ({ batch: d.batch, seq_len: d.seqLen, ids: d.ids, loss: Array.from((d.loss ?? []) as ArrayLike<number>) }),
} as const satisfies FrameSpec;

/** `attn.{block}.head.{h}` (DOMAIN.md) and back. */
export const inductionTensor = (block: number, head: number): string => `attn.${block}.head.${head}`;
export function parseInductionTensor(name: string): { block: number; head: number } | null {
  const m = /^attn\.(\d+)\.head\.(\d+)$/.exec(name);
  return m ? { block: Number(m[1]), head: Number(m[2]) } : null;
}

/** `resid.{i}` -> i (the lens's depth: 0 = embedding output), else null. */
export function residIndex(name: string): number | null {
  const m = /^resid\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

export function asTokenLossFrame(v: unknown): TokenLossFrame {
  const o = v as Partial<TokenLossFrame> | null;
  const ok = o && Number.isInteger(o.batch) && Number.isInteger(o.seqLen) && Array.isArray(o.ids) && o.loss && typeof (o.loss as ArrayLike<number>).length === 'number';
  if (!ok || o.ids!.length !== o.batch! * o.seqLen! || o.loss!.length !== o.batch! * (o.seqLen! - 1)) throw new Error('not a token_loss frame (batch, seqLen, ids, loss)');
  return o as TokenLossFrame;
}

export interface TokenChange {
  sequence: number;
  /** Position of the predicted token in its sequence (1..L-1). */
  position: number;
  token: number;
  from: number;
  to: number;
  delta: number;
}

export interface SequenceChange {
  sequence: number;
  from: number;
  to: number;
  delta: number;
}

export interface LossChange {
  meanFrom: number;
  meanTo: number;
  /** Predictions whose loss changed most (|delta| descending; ties: earlier first). */
  tokens: TokenChange[];
  /** Sequences by |change of their mean loss|, descending. */
  sequences: SequenceChange[];
}

/**
 * Per-token loss change from checkpoint `a` to `b` on the same probe batch: the `top` predictions
 * and sequences whose loss changed most. Non-finite losses are left out of the lists and means.
 */
export function tokenLossChange(a: TokenLossFrame, b: TokenLossFrame, top: number): LossChange {
  if (a.batch !== b.batch || a.seqLen !== b.seqLen || a.ids.some((t, i) => t !== b.ids[i])) {
    throw new Error('the two checkpoints were measured on different probe batches; analyse both with the same probe');
  }
  const B = a.batch, L = a.seqLen;
  const tokens: TokenChange[] = [];
  const sequences: SequenceChange[] = [];
  let sa = 0, sb = 0, n = 0;
  for (let s = 0; s < B; s++) {
    let qa = 0, qb = 0, m = 0;
    for (let p = 0; p < L - 1; p++) {
      const from = a.loss[s * (L - 1) + p], to = b.loss[s * (L - 1) + p];
      if (!Number.isFinite(from) || !Number.isFinite(to)) continue;
      tokens.push({ sequence: s, position: p + 1, token: a.ids[s * L + p + 1], from, to, delta: to - from });
      qa += from;
      qb += to;
      m++;
    }
    if (m) sequences.push({ sequence: s, from: qa / m, to: qb / m, delta: (qb - qa) / m });
    sa += qa;
    sb += qb;
    n += m;
  }
  const byDelta = <T extends { delta: number }>(x: T[]) => x.map((v, i) => [v, i] as const).sort((p, q) => Math.abs(q[0].delta) - Math.abs(p[0].delta) || p[1] - q[1]).map(([v]) => v);
  return { meanFrom: n ? sa / n : NaN, meanTo: n ? sb / n : NaN, tokens: byDelta(tokens).slice(0, top), sequences: byDelta(sequences).slice(0, top) };
}

// ------------------------------------------------------------------ API (common/api.ts tokenLossChange)
/** tokenLossChange: the most predictions / sequences it lists (default TOKEN_LOSS_TOP_DEFAULT). */
export const TOKEN_LOSS_TOP_MAX = 1000;
export const TOKEN_LOSS_TOP_DEFAULT = 20;
const Checkpointed = z.object({ step: z.number(), checkpointId: z.string() });
export const TokenLossChangeResult = z.object({
  runId: z.string(),
  from: Checkpointed,
  to: Checkpointed,
  batch: z.number().int(),
  seqLen: z.number().int(),
  /** Mean loss over the predictions finite at both checkpoints (null when none is). */
  meanFrom: z.number().nullable(),
  meanTo: z.number().nullable(),
  /** Position: of the predicted token in its sequence (1..L-1); context: up to 8 tokens before it. */
  tokens: z.array(z.object({ sequence: z.number().int(), position: z.number().int(), token: z.number().int(), text: z.string(), context: z.string(), from: z.number(), to: z.number(), delta: z.number() })),
  sequences: z.array(z.object({ sequence: z.number().int(), text: z.string(), from: z.number(), to: z.number(), delta: z.number() })),
});
export type TokenLossChangeResult = z.infer<typeof TokenLossChangeResult>;
