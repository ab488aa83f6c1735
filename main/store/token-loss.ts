// The per-token loss change between two checkpoints of a run (API `tokenLossChange`, CLI
// `token-loss`): both checkpoints' token_loss frames (common/analyses/probes.ts, computed by the
// `activations` unit) compared with tokenLossChange, each listed prediction given its token's
// text and a little context, each sequence its text, decoded with the run's tokenizer. A read
// model over the cache: nothing is recomputed.
import { AtlasError, TOKEN_LOSS_TOP_DEFAULT, type Request, type TokenLossChangeResult } from '../../common/api';
import type { CheckpointInfo, RunInfo } from '../../common/domain';
import { decodeFrame } from '../../common/frames';
import { asTokenLossFrame, tokenLossChange, TOKEN_LOSS_KIND, TOKEN_LOSS_TENSOR, type TokenLossFrame } from '../../common/analyses/probes';
import { presentCheckpoints } from './grids';
import type { Store } from './store';

/** Tokens of context shown before a listed prediction's token. */
export const CONTEXT_TOKENS = 8;

export interface TextDecoder {
  /** One token as shown (bytes that are not whole characters as \xNN). */
  token(id: number): string;
  /** A run of tokens as text. */
  text(ids: number[]): string;
}

function frameAt(store: Store, run: RunInfo, frames: Map<string, unknown>, step: number): { ck: CheckpointInfo; frame: TokenLossFrame } {
  const present = presentCheckpoints(run);
  const ck = present.find((c) => c.step === step);
  if (!ck) throw new AtlasError('not-found', `run ${run.name}: no checkpoint at step ${step} (steps: ${present.map((c) => c.step).join(', ')})`);
  const raw = frames.get(ck.id);
  if (raw === undefined) throw new AtlasError('not-found', `run ${run.name}: no per-token losses at step ${step} in the cache ${store.path}; compute them with the "activations" analysis`);
  try {
    return { ck, frame: asTokenLossFrame(decodeFrame(raw)) };
  } catch (err) {
    throw new AtlasError('internal', `run ${run.name}, step ${step}: ${(err as Error).message}`);
  }
}

export function tokenLossChangeOf(store: Store, run: RunInfo, from: number, to: number, top: number, decode: TextDecoder | null): TokenLossChangeResult {
  const frames = store.frames(run.id, TOKEN_LOSS_KIND, TOKEN_LOSS_TENSOR);
  const a = frameAt(store, run, frames, from), b = frameAt(store, run, frames, to);
  let change;
  try {
    change = tokenLossChange(a.frame, b.frame, top);
  } catch (err) {
    throw new AtlasError('bad-request', `run ${run.name}, steps ${from} and ${to}: ${(err as Error).message}`);
  }
  const { batch: B, seqLen: L, ids } = a.frame;
  const tok = (id: number) => (decode ? decode.token(id) : `#${id}`);
  const text = (xs: number[]) => (decode ? decode.text(xs) : xs.map((x) => `#${x}`).join(' '));
  return {
    runId: run.id,
    from: { step: from, checkpointId: a.ck.id },
    to: { step: to, checkpointId: b.ck.id },
    batch: B,
    seqLen: L,
    meanFrom: Number.isFinite(change.meanFrom) ? change.meanFrom : null,
    meanTo: Number.isFinite(change.meanTo) ? change.meanTo : null,
    tokens: change.tokens.map((t) => ({ ...t, text: tok(t.token), context: text(ids.slice(t.sequence * L + Math.max(0, t.position - CONTEXT_TOKENS), t.sequence * L + t.position)) })),
    sequences: change.sequences.map((s) => ({ ...s, text: text(ids.slice(s.sequence * L, (s.sequence + 1) * L)) })),
  };
}

/** The run's tokenizer as a TextDecoder, or null (no tokenizer.json, or it fails to load: ids are shown). */
export async function runDecoder(run: RunInfo): Promise<TextDecoder | null> {
  if (!run.tokenizerPath) return null;
  try {
    const { loadTokenizer } = await import('../tokenizer');
    const t = await loadTokenizer(run.tokenizerPath);
    return { token: (id) => t.displayToken(id), text: (ids) => t.decode(ids) };
  } catch {
    return null;
  }
}

/** The API request (common/api.ts tokenLossChange) on a run: decoded with the run's tokenizer. */
export async function tokenLossChangeFor(store: Store, run: RunInfo, req: Request<'tokenLossChange'>): Promise<TokenLossChangeResult> {
  return tokenLossChangeOf(store, run, req.from, req.to, req.top ?? TOKEN_LOSS_TOP_DEFAULT, await runDecoder(run));
}
