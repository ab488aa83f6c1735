// Block-streamed model runs: the forward (and backward) of one checkpoint with no more than one
// block's weights, activations and gradients resident, instead of the whole model in one graph
// (index.ts), whose memory grows to ~10x the model's float32 size. Hand-written on top of
// onnxruntime-node because it has no training API and no layer-by-layer execution of its own.
//   forward   embedding rows gathered in JS (only the probe's token rows are read), then one
//             small session per block kind (streamed-graphs.ts) fed each block's weights, keeping
//             only the residual stream; the head reads the unembedding in row pieces and combines
//             the per-piece max / sum exp / argmax / target logit into the loss in float64
//   backward  the head again per row piece (d(loss)/d(rows) reported at once), then blocks in
//             reverse: each recomputed from its saved input residual and differentiated, its
//             gradients handed to the sink and dropped; the embedding's gradient (a scatter-add
//             of d(loss)/d(resid.0) rows) is built and reported in row pieces too
// Results are the whole graph's up to float32 rounding order (test/unit/compute/forward_streamed.test.ts).
import * as ort from 'onnxruntime-node';
import type { ModelConfig } from '../../../common/domain';
import type { TensorSource } from '../../formats/types';
import { createSession, type ProviderName } from '../providers';
import { ForwardError, type WeightLookup } from './index';
import { normaliseWeightName } from './names';
import { headForward, scoreHead } from './streamed-head';
import { BLOCK_PREFIX, buildBlockGraph, buildHeadGraph, familyParts, UNEMBED_PIECE, type SmallGraph } from './streamed-graphs';

/** Where a streamed run reads weights: whole tensors, or rows of 2-D ones. */
export interface WeightReader {
  /** Whole tensor as float32 (full HF name); `numel` is what the config implies. */
  read(name: string, numel: number): Promise<Float32Array>;
  /** Rows [row0, row0 + rows) of a [R, cols] tensor, float32. */
  readRows(name: string, row0: number, rows: number, cols: number, totalRows: number): Promise<Float32Array>;
}

function sizeError(name: string, got: number, want: number): ForwardError {
  return new ForwardError(name, `has ${got} elements, the config implies ${want}`);
}

/** Reader over a checkpoint's TensorSource (names with or without the outer prefix). */
export function readerFromSource(source: TensorSource, family: ModelConfig['family']): WeightReader {
  const byFull = new Map(source.list().map((e) => [normaliseWeightName(family, e.name), e] as const));
  const entry = (name: string, numel: number) => {
    const e = byFull.get(name);
    if (!e) throw new ForwardError(`${source.path}: ${name}`, 'weight missing from the checkpoint');
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (n !== numel) throw sizeError(`${source.path}: ${name}`, n, numel);
    return e;
  };
  const f32 = (x: Float32Array | Float64Array) => (x instanceof Float32Array ? x : Float32Array.from(x));
  return {
    read: async (name, numel) => {
      const e = entry(name, numel);
      return f32(await source.read(e.name, e.dtype === 'F64' ? 'f64' : 'f32'));
    },
    readRows: async (name, row0, rows, cols, totalRows) => {
      const e = entry(name, cols * totalRows);
      return f32(await source.readRange(e.name, row0 * cols, rows * cols, e.dtype === 'F64' ? 'f64' : 'f32'));
    },
  };
}

/** Reader over a map of float32 weights or a whole-tensor loader (as runForward takes). */
export function readerFromLookup(weights: WeightLookup, family: ModelConfig['family']): WeightReader {
  let load: (name: string) => Promise<Float32Array>;
  if (weights instanceof Map) {
    const byFull = new Map([...weights].map(([k, v]) => [normaliseWeightName(family, k), v] as const));
    load = async (name) => {
      const w = byFull.get(name);
      if (!w) throw new ForwardError(name, 'weight missing from the checkpoint');
      return w;
    };
  } else load = weights;
  // A loader reads whole tensors: keep the last one so row pieces of it are not re-read.
  let last: { name: string; data: Float32Array } | null = null;
  const read = async (name: string, numel: number) => {
    const data = last?.name === name ? last.data : await load(name);
    if (data.length !== numel) throw sizeError(name, data.length, numel);
    last = { name, data };
    return data;
  };
  return {
    read,
    readRows: async (name, row0, rows, cols, totalRows) => (await read(name, cols * totalRows)).subarray(row0 * cols, (row0 + rows) * cols),
  };
}

/** Receives what the run produces, as soon as it exists (then it may be dropped). */
export interface StreamSink {
  /** resid.i ([B, L, d]), mlp.i ([B, L, F]) and final_norm, in block order. */
  activation?(name: string, data: Float32Array, dims: number[]): void;
  /** Consecutive pieces of one weight's gradient (C order) starting at element `offset`; `numel` in all. */
  gradient?(name: string, piece: Float32Array, offset: number, numel: number): void;
  /** Logit lens (opts.lens): resid.i through the final norm and unembedding, i = 0..layers (the last is the probe's). */
  lens?(resid: number, loss: number, top1Accuracy: number): void;
  /** Block i's attention probabilities [B, H, L, L] (query heads; opts.attention). */
  attention?(block: number, probs: Float32Array, dims: number[]): void;
}

export interface StreamedOptions {
  batch: number;
  seqLen: number;
  gradients: boolean;
  /** Emit resid.i / final_norm (default true) and mlp.i (default true) to the sink. */
  resid?: boolean;
  mlp?: boolean;
  /** Logit lens on every block's residual stream (streamed-head.ts; reported to sink.lens). */
  lens?: boolean;
  /** Report each block's attention probabilities (sink.attention). */
  attention?: boolean;
  /** Run the head (default true; false: blocks only, e.g. for attention patterns). */
  head?: boolean;
  provider?: ProviderName | 'auto';
  threads?: number;
  /** Upper bound on the elements of one [N, rows] logits piece (default 4M, 16 MB). */
  logitsPieceElements?: number;
  /**
   * Called after each block and head piece: a full garbage collection there (the app passes
   * main/jobs/units/large-tensor.ts collectGarbage) frees the last block's weights before the next
   * block's are read, since V8 frees typed arrays only when it collects.
   */
  collect?: () => void;
  /** onnxruntime's CPU memory arena per session (default off: see providers.ts SessionOptions). */
  memArena?: boolean;
}

export interface StreamTimings {
  /** Seconds in each phase of the last run. */
  embed: number;
  blocksForward: number;
  headForward: number;
  headBackward: number;
  blocksBackward: number;
  embedBackward: number;
  /** The logit lens's heads (not in blocksForward). */
  lens: number;
  total: number;
}

export interface StreamResult {
  loss: number;
  top1Accuracy: number;
  /** Each prediction's loss, [B, L-1] row-major (empty when the head is not run). */
  tokenLoss: Float64Array;
  timings: StreamTimings;
}

interface Compiled {
  graph: SmallGraph;
  session: ort.InferenceSession;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** One model's streamed run, its small sessions built once and reused for every checkpoint. */
export class StreamedModel {
  private readonly blockKinds: string[];
  private readonly sessions = new Map<string, Promise<Compiled>>();
  private readonly prebuilt = new Map<string, SmallGraph>();
  readonly pieceRows: number;
  provider: ProviderName | null = null;

  constructor(readonly config: ModelConfig, readonly opts: StreamedOptions) {
    const parts = familyParts(config);
    this.blockKinds = Array.from({ length: config.layers }, (_, i) => parts.blockKind(config, i));
    const n = opts.batch * opts.seqLen;
    if (opts.seqLen < 2) throw new ForwardError(`forward ${config.family}`, 'the next-token loss needs seqLen >= 2');
    // Equal pieces (the last may be shorter): as few graphs as possible.
    const maxRows = Math.max(1, Math.floor((opts.logitsPieceElements ?? 4 << 20) / n));
    const pieces = Math.ceil(config.vocabSize / maxRows);
    this.pieceRows = Math.ceil(config.vocabSize / pieces);
    // Build one block graph now, so a config the graphs cannot run fails before any checkpoint.
    this.prebuilt.set(this.blockKey(0, false), buildBlockGraph(config, opts.batch, opts.seqLen, 0, false, opts.mlp ?? true, opts.attention ?? false));
  }

  private compiled(key: string, make: () => SmallGraph): Promise<Compiled> {
    let c = this.sessions.get(key);
    if (!c) {
      c = (async () => {
        const graph = this.prebuilt.get(key) ?? make();
        this.prebuilt.delete(key);
        const { session, provider } = await createSession(graph.model, { provider: this.opts.provider, threads: this.opts.threads, memArena: this.opts.memArena ?? false });
        this.provider = provider;
        return { graph, session };
      })();
      this.sessions.set(key, c);
    }
    return c;
  }

  private block(i: number, backward: boolean): Promise<Compiled> {
    const { batch, seqLen } = this.opts;
    return this.compiled(this.blockKey(i, backward), () => buildBlockGraph(this.config, batch, seqLen, i, backward, this.opts.mlp ?? true, !backward && (this.opts.attention ?? false)));
  }

  private blockKey(i: number, backward: boolean): string {
    return `block:${this.blockKinds[i]}:${backward ? 'b' : 'f'}`;
  }

  private head(rows: number, backward: boolean): Promise<Compiled> {
    const { batch, seqLen } = this.opts;
    return this.compiled(`head:${rows}:${backward ? 'b' : 'f'}`, () => buildHeadGraph(this.config, batch, seqLen, rows, backward));
  }

  /** Ready every session (so timings of a run exclude building them); returns the provider. */
  async prepare(): Promise<ProviderName> {
    const V = this.config.vocabSize, R = this.pieceRows;
    const waits: Promise<Compiled>[] = [];
    for (let i = 0; i < this.config.layers; i++) {
      waits.push(this.block(i, false));
      if (this.opts.gradients) waits.push(this.block(i, true));
    }
    if (this.opts.head !== false) for (const rows of new Set([R, V - R * (Math.ceil(V / R) - 1)])) {
      waits.push(this.head(rows, false));
      if (this.opts.gradients) waits.push(this.head(rows, true));
    }
    await Promise.all(waits);
    return this.provider!;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const c of all) await (await c.catch(() => null))?.session.release();
  }

  private async blockFeeds(graph: SmallGraph, prefix: string, reader: WeightReader, feeds: Record<string, ort.Tensor>): Promise<string[]> {
    const names: string[] = [];
    for (const w of graph.weights) {
      const full = prefix + w.slice(BLOCK_PREFIX.length);
      const shape = graph.weightShapes.get(w)!;
      feeds[w] = new ort.Tensor('float32', await reader.read(full, numel(shape)), shape);
      names.push(full);
    }
    return names;
  }

  /** Run one checkpoint on the probe tokens (B x L ids, row-major). */
  async run(reader: WeightReader, tokens: ArrayLike<number> | BigInt64Array, sink: StreamSink = {}): Promise<StreamResult> {
    const { config: c, opts } = this;
    const { batch: B, seqLen: L } = opts;
    const N = B * L, d = c.hidden, V = c.vocabSize;
    const parts = familyParts(c);
    if (tokens.length !== N) throw new ForwardError('probe batch', `expected ${N} token ids, got ${tokens.length}`);
    const ids = Array.from(tokens as ArrayLike<number | bigint>, Number);
    for (const t of ids) if (!(t >= 0 && t < V) || !Number.isInteger(t)) throw new ForwardError('probe batch', `token id ${t} outside the vocabulary (${V})`);
    const emitResid = opts.resid ?? true, emitMlp = opts.mlp ?? true;
    const t: StreamTimings = { embed: 0, blocksForward: 0, headForward: 0, headBackward: 0, blocksBackward: 0, embedBackward: 0, lens: 0, total: 0 };
    const t0 = performance.now();
    let mark = t0;
    const lap = (k: keyof StreamTimings) => {
      const now = performance.now();
      t[k] += (now - mark) / 1000;
      mark = now;
    };

    // Embedding: only the rows of the probe's tokens (plus the positions for GPT-2).
    let x: Float32Array = new Float32Array(N * d);
    const unique = [...new Set(ids)].sort((a, b) => a - b);
    const rowOf = new Map<number, Float32Array>();
    for (const id of unique) rowOf.set(id, await reader.readRows(parts.embedding, id, 1, d, V));
    for (let n = 0; n < N; n++) x.set(rowOf.get(ids[n])!, n * d);
    rowOf.clear();
    if (parts.positions) {
      const wpe = await reader.readRows(parts.positions, 0, L, d, c.maxPositions);
      for (let n = 0; n < N; n++) {
        const p = (n % L) * d;
        for (let k = 0; k < d; k++) x[n * d + k] = x[n * d + k] + wpe[p + k];
      }
    }
    lap('embed');
    const dims = (w: number) => [B, L, w];
    sink.activation?.('resid.0', x, dims(d));
    // Next-token targets, and the head's inputs (the logit lens runs it on every block's residual).
    const unembedName = parts.unembedding(c);
    const targetsGlobal = new Int32Array(N);
    const rowWeight = new Float32Array(N);
    for (let b = 0; b < B; b++) for (let s = 0; s < L - 1; s++) {
      targetsGlobal[b * L + s] = ids[b * L + s + 1];
      rowWeight[b * L + s] = 1 / (B * (L - 1));
    }
    const headIn = {
      n: N, d, vocab: V, pieceRows: this.pieceRows, targets: targetsGlobal,
      head: (rows: number) => this.head(rows, false),
      unembedRows: (r0: number, rows: number) => reader.readRows(unembedName, r0, rows, d, V),
      weight: (name: string, n: number) => reader.read(name, n),
    };
    const lens = async (i: number) => {
      if (!opts.lens || !sink.lens) return;
      const mark0 = performance.now();
      const sc = scoreHead(await headForward({ ...headIn, x }), targetsGlobal, B, L);
      sink.lens(i, sc.loss, sc.top1Accuracy);
      t.lens += (performance.now() - mark0) / 1000;
    };
    await lens(0);
    const saved: Float32Array[] = [];
    for (let i = 0; i < c.layers; i++) {
      const { graph, session } = await this.block(i, false);
      const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', x, [N, d]) };
      await this.blockFeeds(graph, parts.blockPrefix(i), reader, feeds);
      const out = await session.run(feeds);
      if (opts.gradients) saved.push(x);
      x = out.y.data as Float32Array;
      if (emitMlp) sink.activation?.(`mlp.${i}`, out.mlp.data as Float32Array, dims(c.intermediate));
      if (emitResid) sink.activation?.(`resid.${i + 1}`, x, dims(d));
      if (opts.attention) sink.attention?.(i, out.attn.data as Float32Array, out.attn.dims as number[]);
      if (i < c.layers - 1) await lens(i + 1);
      opts.collect?.();
    }
    lap('blocksForward');
    t.blocksForward -= t.lens;
    if (opts.head === false) {
      t.total = (performance.now() - t0) / 1000;
      return { loss: NaN, top1Accuracy: NaN, tokenLoss: new Float64Array(0), timings: t };
    }

    // Head, forward: per-row statistics over each piece of the vocabulary.
    const normFeeds = async (graph: SmallGraph, feeds: Record<string, ort.Tensor>) => {
      for (const w of graph.weights) {
        const shape = graph.weightShapes.get(w)!;
        feeds[w] = new ort.Tensor('float32', await reader.read(w, numel(shape)), shape);
      }
    };
    const localTargets = (r0: number, rows: number) => {
      const local = new BigInt64Array(N);
      for (let n = 0; n < N; n++) {
        const tl = targetsGlobal[n] - r0;
        local[n] = BigInt(tl >= 0 && tl < rows ? tl : 0);
      }
      return local;
    };
    const st = await headForward({ ...headIn, x, first: (out) => emitResid && sink.activation?.('final_norm', out.final_norm.data as Float32Array, dims(d)) });
    const { loss, top1Accuracy, tokenLoss } = scoreHead(st, targetsGlobal, B, L);
    if (opts.lens) sink.lens?.(c.layers, loss, top1Accuracy);
    const M = st.max, S = st.sumExp;
    const maxF = Float32Array.from(M), logSum = Float32Array.from(S, Math.log);
    lap('headForward');
    if (!opts.gradients) {
      t.total = (performance.now() - t0) / 1000;
      return { loss, top1Accuracy, tokenLoss, timings: t };
    }

    // Head, backward: each piece's unembedding gradient at once; d(loss)/dx and the final norm's summed.
    const dx = new Float64Array(N * d);
    const normGrads = new Map<string, Float64Array>();
    const tied = unembedName === parts.embedding;
    const tiedGrad = tied ? new Float32Array(V * d) : null;
    for (let r0 = 0; r0 < V; r0 += this.pieceRows) {
      const rows = Math.min(this.pieceRows, V - r0);
      const { graph, session } = await this.head(rows, true);
      const local = localTargets(r0, rows);
      const targetWeight = new Float32Array(N);
      for (let n = 0; n < N; n++) {
        const tg = targetsGlobal[n] - r0;
        if (tg >= 0 && tg < rows) targetWeight[n] = rowWeight[n];
      }
      const feeds: Record<string, ort.Tensor> = {
        x: new ort.Tensor('float32', x, [N, d]),
        [UNEMBED_PIECE]: new ort.Tensor('float32', await reader.readRows(unembedName, r0, rows, d, V), [rows, d]),
        targets: new ort.Tensor('int64', local, [N, 1]),
        max: new ort.Tensor('float32', maxF, [N, 1]),
        log_sum: new ort.Tensor('float32', logSum, [N, 1]),
        row_w: new ort.Tensor('float32', rowWeight, [N, 1]),
        target_w: new ort.Tensor('float32', targetWeight, [N, 1]),
      };
      await normFeeds(graph, feeds);
      const out = await session.run(feeds);
      const gU = out[`grad.${UNEMBED_PIECE}`].data as Float32Array;
      if (tiedGrad) tiedGrad.set(gU, r0 * d);
      else sink.gradient?.(unembedName, gU, r0 * d, V * d);
      const gx = out.dx.data as Float32Array;
      for (let k = 0; k < gx.length; k++) dx[k] = dx[k] + gx[k];
      for (const w of graph.weights) {
        const gw = out[`grad.${w}`].data as Float32Array;
        let acc = normGrads.get(w);
        if (!acc) normGrads.set(w, (acc = new Float64Array(gw.length)));
        for (let k = 0; k < gw.length; k++) acc[k] = acc[k] + gw[k];
      }
    }
    for (const [w, acc] of normGrads) sink.gradient?.(w, Float32Array.from(acc), 0, acc.length);
    lap('headBackward');

    // Blocks in reverse, each recomputed from its saved input.
    let dy: Float32Array = Float32Array.from(dx);
    for (let i = c.layers - 1; i >= 0; i--) {
      const { graph, session } = await this.block(i, true);
      const feeds: Record<string, ort.Tensor> = {
        x: new ort.Tensor('float32', saved[i], [N, d]),
        dy: new ort.Tensor('float32', dy, [N, d]),
      };
      const names = await this.blockFeeds(graph, parts.blockPrefix(i), reader, feeds);
      const out = await session.run(feeds);
      saved[i] = undefined as unknown as Float32Array;
      graph.weights.forEach((w, k) => {
        const gw = out[`grad.${w}`].data as Float32Array;
        sink.gradient?.(names[k], gw, 0, gw.length);
      });
      dy = out.dx.data as Float32Array;
      opts.collect?.();
    }
    lap('blocksBackward');

    // Embedding (and positions): scatter-add d(loss)/d(resid.0) rows, reported in row pieces.
    if (parts.positions) {
      const total = c.maxPositions * d;
      const gp = new Float32Array(L * d);
      const sum = new Float64Array(L * d);
      for (let n = 0; n < N; n++) for (let k = 0; k < d; k++) sum[(n % L) * d + k] = sum[(n % L) * d + k] + dy[n * d + k];
      gp.set(sum);
      sink.gradient?.(parts.positions, gp, 0, total);
      if (total > L * d) sink.gradient?.(parts.positions, new Float32Array(total - L * d), L * d, total);
    }
    const scatter = (target: Float32Array, r0: number, rows: number) => {
      for (let n = 0; n < N; n++) {
        const r = ids[n] - r0;
        if (r < 0 || r >= rows) continue;
        for (let k = 0; k < d; k++) target[r * d + k] = target[r * d + k] + dy[n * d + k];
      }
    };
    if (tiedGrad) {
      scatter(tiedGrad, 0, V);
      sink.gradient?.(parts.embedding, tiedGrad, 0, V * d);
    } else {
      for (let r0 = 0; r0 < V; r0 += this.pieceRows) {
        const rows = Math.min(this.pieceRows, V - r0);
        const piece = new Float32Array(rows * d);
        scatter(piece, r0, rows);
        sink.gradient?.(parts.embedding, piece, r0 * d, V * d);
      }
    }
    lap('embedBackward');
    t.total = (performance.now() - t0) / 1000;
    return { loss, top1Accuracy, tokenLoss, timings: t };
  }
}
