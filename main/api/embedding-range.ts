// The embedding correlation of a token range the user chooses (API embeddingCorrelation), computed
// on demand: the `embedding` analysis stores tokens 0..255 only (common/analyses/embedding.ts),
// and a BPE vocabulary's interesting tokens are elsewhere. Bounded by EMBEDDING_RANGE_MAX rows
// (common/api.ts: the matrix is at most 512 x 512, 1 MiB as float32), read with positioned reads
// of exactly those rows (TensorSource.readRange), and cached in memory (LRU, by checkpoint
// fingerprint and range, so a rewritten checkpoint is recomputed) because a timeline scrubs over
// the same matrices again and again. Numbers: main/metrics/embedding.ts (float64 Pearson).
// Orders (the same one for every checkpoint of a run, so the matrix does not reshuffle while the
// timeline plays):
//   id        - token ids in order;
//   cluster   - average-linkage leaf order (main/metrics/embedding.ts clusterOrder) of the run's
//               final checkpoint's matrix over the range;
//   frequency - tokens by their count in the probe text (resources/probe/default.txt) under the
//               run's tokenizer, most frequent first, ties by id: a BPE vocabulary's frequent
//               pieces come together, its rare and never-seen ones at the end.
import { AtlasError, EMBEDDING_RANGE_MAX, type EmbeddingRangeResult, type Request } from '../../common/api';
import type { CheckpointInfo, RunInfo } from '../../common/domain';
import { encodeFrame } from '../../common/frames';
import { roleOf } from '../architectures';
import { openCheckpoint } from '../formats';
import { FormatError } from '../formats/types';
import { clusterOrder, embeddingCorrelation } from '../metrics/embedding';
import { loadTokenizer, type LoadedTokenizer } from '../tokenizer';
import { DEFAULT_PROBE_FILE, readProbeText } from '../jobs/units/model';
import { presentCheckpoints } from '../store/grids';

/** Matrices kept (each at most 1 MiB): a 64-checkpoint timeline of two runs stays cached. */
const CACHE_ENTRIES = 160;

interface Matrix {
  tensor: string;
  vocab: number;
  matrix: Float32Array;
}

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

export class EmbeddingRanges {
  private readonly matrices = new Lru<Promise<Matrix>>(CACHE_ENTRIES);
  private readonly orders = new Lru<Promise<{ order: number[]; note: string }>>(64);
  private readonly tokenizers = new Lru<Promise<LoadedTokenizer>>(8);
  /** Computations done (not served from the cache): tests read it. */
  computed = 0;

  private matrix(run: RunInfo, c: CheckpointInfo, from: number, to: number): Promise<Matrix> {
    const key = `${run.id}\u0000${c.id}\u0000${c.fingerprint}\u0000${from}\u0000${to}`;
    let hit = this.matrices.get(key);
    if (!hit) {
      hit = this.compute(run, c, from, to);
      // A failure is not cached: the file may be fixed.
      hit.catch(() => this.matrices.delete(key));
      this.matrices.set(key, hit);
    }
    return hit;
  }

  private async compute(run: RunInfo, c: CheckpointInfo, from: number, to: number): Promise<Matrix> {
    this.computed++;
    let src;
    try {
      src = await openCheckpoint(c.folder);
    } catch (err) {
      if (err instanceof FormatError) throw new AtlasError('format', err.message, err.file);
      throw new AtlasError('io', `${run.name} ${c.id}: cannot open ${c.folder}: ${(err as Error).message}`, c.folder);
    }
    try {
      const embed = src.list().find((e) => e.shape.length === 2 && ['F16', 'BF16', 'F32', 'F64'].includes(e.dtype) && roleOf(run.family, e.name).component === 'embed');
      if (!embed) throw new AtlasError('not-found', `${run.name} ${c.id}: no input embedding (a 2-D tensor whose role is embed) in ${c.folder}`, c.folder);
      const [vocab, dim] = embed.shape as [number, number];
      if (to > vocab) throw new AtlasError('bad-request', `${run.name}: tokens ${from}..${to - 1} are outside the embedding ${embed.name}, which has ${vocab} rows (ids 0..${vocab - 1})`);
      const rows = await src.readRange(embed.name, from * dim, (to - from) * dim, 'f32');
      const corr = embeddingCorrelation(rows, to - from, dim, 0, to - from);
      return { tensor: embed.name, vocab, matrix: Float32Array.from(corr) };
    } finally {
      await src.close();
    }
  }

  private tokenizer(run: RunInfo): Promise<LoadedTokenizer> | null {
    if (!run.tokenizerPath) return null;
    let t = this.tokenizers.get(run.tokenizerPath);
    if (!t) {
      t = loadTokenizer(run.tokenizerPath);
      this.tokenizers.set(run.tokenizerPath, t);
    }
    return t;
  }

  private order(run: RunInfo, kind: 'id' | 'cluster' | 'frequency', from: number, to: number): Promise<{ order: number[]; note: string }> {
    const n = to - from;
    if (kind === 'id') return Promise.resolve({ order: Array.from({ length: n }, (_, i) => i), note: 'token id order' });
    const final = presentCheckpoints(run).at(-1)!;
    const key = `${run.id}\u0000${kind}\u0000${final.fingerprint}\u0000${from}\u0000${to}`;
    let hit = this.orders.get(key);
    if (!hit) {
      hit = (async () => {
        if (kind === 'cluster') {
          const m = await this.matrix(run, final, from, to);
          return { order: clusterOrder(m.matrix, n), note: `average-linkage clustering of the final checkpoint (${final.id}) on 1 − r` };
        }
        const tok = this.tokenizer(run);
        if (!tok) throw new AtlasError('not-found', `${run.name}: no tokenizer.json, so tokens cannot be counted in the probe text; order by id or cluster instead`);
        const ids = (await tok).encode(await readProbeText(DEFAULT_PROBE_FILE()));
        const counts = new Float64Array(n);
        for (const id of ids) if (id >= from && id < to) counts[id - from]++;
        const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
        const seen = counts.reduce((k, v) => k + (v > 0 ? 1 : 0), 0);
        return { order, note: `by count in the probe text (resources/probe/default.txt, ${ids.length} tokens; ${seen} of these ${n} occur), most frequent first` };
      })();
      hit.catch(() => this.orders.delete(key));
      this.orders.set(key, hit);
    }
    return hit;
  }

  async correlation(run: RunInfo, req: Request<'embeddingCorrelation'>): Promise<EmbeddingRangeResult> {
    const { from, to } = req;
    if (to - from > EMBEDDING_RANGE_MAX) throw new AtlasError('bad-request', `at most ${EMBEDDING_RANGE_MAX} tokens`);
    const present = presentCheckpoints(run);
    if (!present.length) throw new AtlasError('not-found', `${run.name} has no checkpoint with weights`);
    const c = req.checkpointId === undefined ? present.at(-1)! : present.find((x) => x.id === req.checkpointId);
    if (!c) throw new AtlasError('not-found', `${run.name} has no checkpoint "${req.checkpointId}"`);
    const orderBy = req.order ?? 'id';
    const m = await this.matrix(run, c, from, to);
    const [order, labels] = await Promise.all([
      this.order(run, orderBy, from, to),
      (async () => {
        const tok = this.tokenizer(run);
        if (!tok) return { labels: null, note: 'no tokenizer.json: rows are shown by id' };
        try {
          const t = await tok;
          return { labels: Array.from({ length: to - from }, (_, i) => (from + i < t.vocabSize ? t.displayToken(from + i) : '')), note: null };
        } catch (err) {
          return { labels: null, note: `tokenizer unreadable: ${(err as Error).message}` };
        }
      })(),
    ]);
    return {
      runId: run.id,
      runName: run.name,
      checkpointId: c.id,
      step: c.step,
      tokensSeen: c.tokens ?? null,
      tensor: m.tensor,
      rows: [from, to],
      frame: JSON.parse(encodeFrame({ rows: [from, to], matrix: m.matrix })),
      order: order.order,
      orderBy,
      orderNote: order.note,
      labels: labels.labels,
      tokenizerNote: labels.note,
    };
  }
}
