// The on-demand embedding correlation over a chosen token range (main/api/embedding-range.ts,
// API embeddingCorrelation) on the bundled demo's real checkpoints: the matrix of tokens 300..363
// (outside the stored analysis' 0..255) equals torch.corrcoef of the same float16 rows upcast to
// float64 (tools/make_embedding_range_fixture.py -> test/fixtures/embedding-range/); token strings
// equal tokenizer.json's byte-level pieces read here directly; the orders are what they say; the
// cache serves repeats; bad ranges get clear errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRequest, type RunSummary } from '../../common/api';
import type { RunInfo } from '../../common/domain';
import { asCorrelationFrame, correlationAt } from '../../common/charts';
import { decodeFrame } from '../../common/frames';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { projectRoot } from '../../main/paths';
import { loadTokenizer } from '../../main/tokenizer';
import { DEFAULT_PROBE_FILE, readProbeText } from '../../main/jobs/units/model';

const FIX = join(projectRoot(), 'test', 'fixtures', 'embedding-range');
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as { from: number; to: number; checkpoint: string; runs: Record<string, { file: string; shape: [number, number] }> };

let dir: string;
let store: Store;
let engine: Engine;
let demo: RunSummary[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-embrange-'));
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', scanHubCache: false, defaultThreads: 0, watchRuns: false });
  demo = (await engine.listRuns({})).runs.filter((r) => r.source === 'demo');
});
afterAll(async () => {
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const runOf = (name: string) => demo.find((r) => r.name === name)!;

describe('embeddingCorrelation', () => {
  for (const name of ['atlas-demo-small', 'atlas-demo-tiny']) {
    it(`${name}: tokens ${expected.from}..${expected.to - 1} at ${expected.checkpoint} equal torch.corrcoef (float32 storage: |Δ| < 1e-6)`, async () => {
      const res = await engine.embeddingCorrelation({ runId: runOf(name).id, checkpointId: expected.checkpoint, from: expected.from, to: expected.to, order: 'id' });
      const frame = asCorrelationFrame(decodeFrame(res.frame))!;
      const ref = new Float64Array(new Uint8Array(readFileSync(join(FIX, expected.runs[name].file))).buffer);
      const n = expected.to - expected.from;
      expect(res.rows).toEqual([expected.from, expected.to]);
      expect(res.tensor).toBe('gpt_neox.embed_in.weight');
      expect(res.order).toEqual(Array.from({ length: n }, (_, i) => i));
      let worst = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(correlationAt(frame.matrix, n, i, j) - ref[i * n + j]));
      expect(worst).toBeLessThan(1e-6);
      // Not a trivial matrix: off-diagonal correlations of trained embeddings spread out.
      expect(Math.max(...Array.from(ref).filter((v) => v < 0.999))).toBeGreaterThan(0.2);
    });
  }

  it('token strings: the tokenizer.json byte-level pieces of those ids (Ġ = space), read independently', async () => {
    const run = runOf('atlas-demo-small');
    const info = (await engine.getRun({ runId: run.id })).run as unknown as RunInfo;
    const json = JSON.parse(readFileSync(info.tokenizerPath!, 'utf8')) as { model: { vocab: Record<string, number> } };
    const pieceOf = new Map(Object.entries(json.model.vocab).map(([p, id]) => [id, p]));
    const res = await engine.embeddingCorrelation({ runId: run.id, from: expected.from, to: expected.to });
    expect(res.checkpointId).toBe('step2600');
    expect(res.labels).toHaveLength(expected.to - expected.from);
    let checked = 0;
    let spaced = 0;
    for (let i = 0; i < res.labels!.length; i++) {
      const piece = pieceOf.get(expected.from + i)!;
      if (!/^[\u0120!-~]+$/.test(piece)) continue; // printable ASCII pieces (and Ġ) only
      expect(res.labels![i]).toBe(piece.replace(/\u0120/g, ' '));
      checked++;
      if (piece.startsWith('\u0120')) spaced++;
    }
    expect(checked).toBeGreaterThan(40);
    expect(spaced).toBeGreaterThan(5);
  });

  it('cluster order comes from the final checkpoint: the same permutation at every step', async () => {
    const run = runOf('atlas-demo-tiny');
    const a = await engine.embeddingCorrelation({ runId: run.id, checkpointId: 'step0', from: 256, to: 320, order: 'cluster' });
    const b = await engine.embeddingCorrelation({ runId: run.id, checkpointId: 'step1000', from: 256, to: 320, order: 'cluster' });
    expect([...a.order].sort((x, y) => x - y)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(a.order).toEqual(b.order);
    expect(a.order).not.toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(a.orderNote).toMatch(/final checkpoint \(step2600\)/);
  });

  it('frequency order: counts in the probe text non-increasing, ties by id', async () => {
    const run = runOf('atlas-demo-small');
    const info = (await engine.getRun({ runId: run.id })).run as unknown as RunInfo;
    const res = await engine.embeddingCorrelation({ runId: run.id, from: 256, to: 512, order: 'frequency' });
    const tok = await loadTokenizer(info.tokenizerPath!);
    const counts = new Map<number, number>();
    for (const id of tok.encode(await readProbeText(DEFAULT_PROBE_FILE()))) counts.set(id, (counts.get(id) ?? 0) + 1);
    const c = res.order.map((p) => counts.get(256 + p) ?? 0);
    for (let i = 1; i < c.length; i++) {
      expect(c[i]).toBeLessThanOrEqual(c[i - 1]);
      if (c[i] === c[i - 1]) expect(res.order[i]).toBeGreaterThan(res.order[i - 1]);
    }
    expect(c[0]).toBeGreaterThan(c.at(-1)!);
  });

  it('repeats are served from the cache; another range is computed', async () => {
    const run = runOf('atlas-demo-small');
    const before = engine.embeddingRanges.computed;
    await engine.embeddingCorrelation({ runId: run.id, checkpointId: 'step1000', from: 10, to: 74 });
    await engine.embeddingCorrelation({ runId: run.id, checkpointId: 'step1000', from: 10, to: 74, order: 'id' });
    expect(engine.embeddingRanges.computed).toBe(before + 1);
    await engine.embeddingCorrelation({ runId: run.id, checkpointId: 'step1000', from: 10, to: 75 });
    expect(engine.embeddingRanges.computed).toBe(before + 2);
  });

  it('bad ranges: clear errors naming the problem', async () => {
    const run = runOf('atlas-demo-small');
    expect(() => parseRequest('embeddingCorrelation', { runId: run.id, from: 0, to: 600 })).toThrow(/2 to 512 tokens/);
    expect(() => parseRequest('embeddingCorrelation', { runId: run.id, from: 40, to: 40 })).toThrow(/from < to/);
    expect(() => parseRequest('embeddingCorrelation', { runId: run.id, from: -1, to: 40 })).toThrow(/from/);
    await expect(engine.embeddingCorrelation({ runId: run.id, from: 400, to: 600 })).rejects.toThrow(/tokens 400\.\.599 are outside the embedding gpt_neox\.embed_in\.weight, which has 512 rows/);
    await expect(engine.embeddingCorrelation({ runId: run.id, checkpointId: 'step7', from: 0, to: 10 })).rejects.toThrow(/no checkpoint "step7"/);
  });
});
