// Tokens seen per checkpoint (DOMAIN.md: runs compare by tokens, not steps, when batch sizes
// differ). Read exactly, never estimated: a Trainer checkpoint's trainer_state.json carries
// `num_input_tokens_seen` at top level (the count when it was saved) and in `log_history` entries;
// the bundled demo's training_log.json carries `tokens_seen` per logged step. Where neither is
// found the user may give tokens per step for the run (remembered in the cache's run_params,
// main/api/engine.ts); `tokens` stays null otherwise.
import type { CheckpointInfo } from '../../common/domain';

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Top-level `num_input_tokens_seen` of a trainer_state.json, or null. */
export function tokensSeenFromState(state: unknown): number | null {
  if (!state || typeof state !== 'object' || Array.isArray(state)) return null;
  const v = (state as Record<string, unknown>).num_input_tokens_seen;
  return isCount(v) ? v : null;
}

/** step -> tokens seen from a log_history (trainer_state.json) or a training_log.json. */
export function tokensByStep(value: unknown): Map<number, number> {
  const out = new Map<number, number>();
  const list = Array.isArray(value) ? value : (value as { log_history?: unknown } | null)?.log_history;
  if (!Array.isArray(list)) return out;
  for (const raw of list) {
    if (!raw || typeof raw !== 'object') continue;
    const r = raw as Record<string, unknown>;
    if (!isCount(r.step)) continue;
    const t = isCount(r.num_input_tokens_seen) ? r.num_input_tokens_seen : isCount(r.tokens_seen) ? r.tokens_seen : null;
    if (t !== null) out.set(r.step, t);
  }
  return out;
}

/** Sets every checkpoint's `tokens`: the exact count by id, else the log's at its step, else null. */
export function assignTokens(checkpoints: CheckpointInfo[], exact: ReadonlyMap<string, number> = new Map(), byStep: ReadonlyMap<number, number> = new Map()): void {
  for (const c of checkpoints) c.tokens = exact.get(c.id) ?? (c.step !== null ? byStep.get(c.step) : undefined) ?? null;
}

/** Fills the checkpoints without a read count with step x tokensPerStep (the user's figure). */
export function withTokensPerStep(checkpoints: CheckpointInfo[], tokensPerStep: number | null): CheckpointInfo[] {
  if (tokensPerStep === null) return checkpoints;
  return checkpoints.map((c) => (c.tokens == null && c.step !== null ? { ...c, tokens: Math.round(c.step * tokensPerStep) } : c));
}
