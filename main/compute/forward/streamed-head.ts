// The forward head of the block-streamed run (streamed.ts) as one function, so that the final
// logits and the logit lens (DOMAIN.md `lens_loss`, `lens_top1`: each block's residual stream
// through the final norm and the unembedding, scored like the probe's loss) share one code path:
// the unembedding is read in row pieces, each piece's head graph (streamed-graphs.ts
// buildHeadGraph) gives per-row max, log sum exp, argmax and the target's logit, and those
// are combined across pieces in float64 (a running log-sum-exp), so memory stays one piece of
// logits whatever the vocabulary.
import * as ort from 'onnxruntime-node';
import type { SmallGraph } from './streamed-graphs';
import { UNEMBED_PIECE } from './streamed-graphs';

export interface HeadCompiled {
  graph: SmallGraph;
  session: ort.InferenceSession;
}

export interface HeadInputs {
  /** Residual stream [N, d] (before the final norm). */
  x: Float32Array;
  n: number;
  d: number;
  vocab: number;
  pieceRows: number;
  /** The head forward session for a piece of `rows` rows. */
  head(rows: number): Promise<HeadCompiled>;
  /** Rows [r0, r0 + rows) of the unembedding, float32. */
  unembedRows(r0: number, rows: number): Promise<Float32Array>;
  /** The final norm's weights by their full names. */
  weight(name: string, numel: number): Promise<Float32Array>;
  /** Global next-token target per row (rows without a target are ignored by the scoring). */
  targets: Int32Array;
  /** Called with the first piece's outputs (final_norm is among them). */
  first?(out: ort.InferenceSession.OnnxValueMapType): void;
}

/** Per-row float64 statistics over the whole vocabulary. */
export interface HeadStats {
  /** Running max of the logits and sum of exp(z - max). */
  max: Float64Array;
  sumExp: Float64Array;
  /** The target's logit. */
  target: Float64Array;
  /** argmax over the vocabulary (lowest index among ties within a piece, first piece across). */
  argmax: Int32Array;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export async function headForward(h: HeadInputs): Promise<HeadStats> {
  const { n: N, d, vocab: V } = h;
  const localTargets = (r0: number, rows: number) => {
    const local = new BigInt64Array(N);
    for (let i = 0; i < N; i++) {
      const tl = h.targets[i] - r0;
      local[i] = BigInt(tl >= 0 && tl < rows ? tl : 0);
    }
    return local;
  };
  const M = new Float64Array(N).fill(-Infinity), S = new Float64Array(N), zt = new Float64Array(N);
  const best = new Float64Array(N).fill(-Infinity), arg = new Int32Array(N);
  for (let r0 = 0; r0 < V; r0 += h.pieceRows) {
    const rows = Math.min(h.pieceRows, V - r0);
    const { graph, session } = await h.head(rows);
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float32', h.x, [N, d]),
      [UNEMBED_PIECE]: new ort.Tensor('float32', await h.unembedRows(r0, rows), [rows, d]),
      targets: new ort.Tensor('int64', localTargets(r0, rows), [N, 1]),
    };
    for (const w of graph.weights) {
      const shape = graph.weightShapes.get(w)!;
      feeds[w] = new ort.Tensor('float32', await h.weight(w, numel(shape)), shape);
    }
    const out = await session.run(feeds);
    if (r0 === 0) h.first?.(out);
    const max = out.max.data as Float32Array, lse = out.lse.data as Float32Array;
    const am = out.argmax.data as BigInt64Array, tl = out.target_logit.data as Float32Array;
    for (let i = 0; i < N; i++) {
      const m = max[i];
      const se = Math.exp(lse[i] - m);
      // Running log-sum-exp (NaN propagates: a non-finite forward gives a NaN loss).
      if (m > M[i]) {
        S[i] = S[i] * Math.exp(M[i] - m) + se;
        M[i] = m;
      } else S[i] = S[i] + se * Math.exp(m - M[i]);
      if (Number.isNaN(m)) M[i] = NaN;
      if (m > best[i]) {
        best[i] = m;
        arg[i] = r0 + Number(am[i]);
      }
      const tg = h.targets[i] - r0;
      if (tg >= 0 && tg < rows) zt[i] = tl[i];
    }
  }
  return { max: M, sumExp: S, target: zt, argmax: arg };
}

export interface HeadScore {
  /** Mean next-token cross-entropy (natural log) over the B x (L-1) predictions. */
  loss: number;
  top1Accuracy: number;
  /** Each prediction's loss, row-major [B, L-1] (sequence b, position s predicts token s+1). */
  tokenLoss: Float64Array;
}

/** Score head statistics like the probe's loss: rows b*L + s for s < L-1 predict ids[b*L + s + 1]. */
export function scoreHead(st: HeadStats, targets: Int32Array, batch: number, seqLen: number): HeadScore {
  const tokenLoss = new Float64Array(batch * (seqLen - 1));
  let loss = 0, hits = 0;
  for (let b = 0; b < batch; b++) for (let s = 0; s < seqLen - 1; s++) {
    const i = b * seqLen + s;
    const l = st.max[i] + Math.log(st.sumExp[i]) - st.target[i];
    tokenLoss[b * (seqLen - 1) + s] = l;
    loss += l;
    if (st.argmax[i] === targets[i]) hits++;
  }
  const count = batch * (seqLen - 1);
  return { loss: loss / count, top1Accuracy: hits / count, tokenLoss };
}
