// Per-head update sizes (issue 18 item 5; the head-updates analysis) end to end: files -> unit ->
// SQLite -> API -> co-update on heads -> co_update.csv. One synthetic float64 run per family, each
// with a planted change of a known constant on every element of every head's slice, written here
// from the layouts of /work/shared/FORMATS.md independently of main/architectures/:
//   GPT-NeoX  query_key_value [3d, d], rows grouped per head (view [heads, 3, hd, d]); dense [d, d],
//             head h = columns h hd .. (h + 1) hd
//   GPT-2     Conv1D stores [in, out]: c_attn [d, 3d], part p of head h = columns p d + h hd ..;
//             c_proj [d, d], head h = rows h hd .. (h + 1) hd
//   Llama     q_proj [H hd, d], k_proj / v_proj [KV hd, d] (grouped-query: KV < H), o_proj [d, H hd];
//             an explicit head_dim that is not d / H
// A head slice's expected change is the naive slice-and-norm of (this checkpoint - previous) over
// the same cells, which is also the closed form a sqrt(cells); per step over the steps between.
// Then the co-update of heads on a cache with a known structure: pairs of heads whose update
// sizes share a pattern correlate +1, the clustering puts them side by side, GQA's shared K/V
// heads are rows of their own, and every entry equals the naive definition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { runCoUpdate } from '../../main/store/co-update';
import type { RunInfo } from '../../common/domain';
import { safetensorsBytes, type TinyTensor } from '../unit/readers/make-big-hub';
import { naiveCoUpdate } from '../unit/metrics/co-update-naive';

type Part = 'q' | 'k' | 'v' | 'o';
const PARTS: Part[] = ['q', 'k', 'v', 'o'];
const STEPS = [0, 10, 30];
const BLOCKS = 2;

interface Family {
  name: string;
  config: Record<string, unknown>;
  heads: number;
  kvHeads: number;
  /** Weight name -> shape. */
  shapes(block: number): Record<string, number[]>;
  /** The stored cells [weight, flat index] of head h's slice of one projection. */
  cells(block: number, part: Part, h: number): Array<[string, number]>;
}

function grid(rows: number, cols: number, at: (r: number, c: number) => number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(at(r, c));
  return out;
}

const NEOX: Family = (() => {
  const d = 8, H = 4, hd = 2;
  const qkv = (b: number) => `gpt_neox.layers.${b}.attention.query_key_value.weight`;
  const dense = (b: number) => `gpt_neox.layers.${b}.attention.dense.weight`;
  return {
    name: 'neox', heads: H, kvHeads: H,
    config: { model_type: 'gpt_neox', hidden_size: d, num_attention_heads: H, num_hidden_layers: BLOCKS, vocab_size: 32, intermediate_size: 4 * d },
    shapes: (b) => ({ [qkv(b)]: [3 * d, d], [dense(b)]: [d, d] }),
    cells: (b, part, h) =>
      part === 'o'
        ? grid(d, hd, (i, c) => i * d + h * hd + c).map((x) => [dense(b), x])
        : grid(hd, d, (r, c) => ((3 * h + PARTS.indexOf(part)) * hd + r) * d + c).map((x) => [qkv(b), x]),
  };
})();

const GPT2: Family = (() => {
  const d = 6, H = 2, hd = 3;
  const attn = (b: number) => `transformer.h.${b}.attn.c_attn.weight`;
  const proj = (b: number) => `transformer.h.${b}.attn.c_proj.weight`;
  return {
    name: 'gpt2', heads: H, kvHeads: H,
    config: { model_type: 'gpt2', n_embd: d, n_head: H, n_layer: BLOCKS, vocab_size: 32, n_positions: 16 },
    shapes: (b) => ({ [attn(b)]: [d, 3 * d], [proj(b)]: [d, d] }),
    cells: (b, part, h) =>
      part === 'o'
        ? grid(hd, d, (r, c) => (h * hd + r) * d + c).map((x) => [proj(b), x])
        : grid(d, hd, (i, r) => i * 3 * d + PARTS.indexOf(part) * d + h * hd + r).map((x) => [attn(b), x]),
  };
})();

const LLAMA: Family = (() => {
  const d = 8, H = 4, KV = 2, hd = 3;
  const w = (b: number, p: string) => `model.layers.${b}.self_attn.${p}_proj.weight`;
  return {
    name: 'llama', heads: H, kvHeads: KV,
    config: { model_type: 'llama', hidden_size: d, num_attention_heads: H, num_key_value_heads: KV, head_dim: hd, num_hidden_layers: BLOCKS, vocab_size: 32, intermediate_size: 16 },
    shapes: (b) => ({ [w(b, 'q')]: [H * hd, d], [w(b, 'k')]: [KV * hd, d], [w(b, 'v')]: [KV * hd, d], [w(b, 'o')]: [d, H * hd] }),
    cells: (b, part, h) =>
      part === 'o'
        ? grid(d, hd, (i, c) => i * H * hd + h * hd + c).map((x) => [w(b, 'o'), x])
        : grid(hd, d, (r, c) => (h * hd + r) * d + c).map((x) => [w(b, part), x]),
  };
})();

/** Heads of a part: query heads for q and o, kv heads for k and v. */
const headsOf = (f: Family, part: Part): number => (part === 'k' || part === 'v' ? f.kvHeads : f.heads);
/** The planted change per element of one slice over interval k (distinct for every slice and interval). */
const planted = (block: number, part: Part, h: number, k: number): number => 1e-3 * (1 + block + 2 * h + 10 * PARTS.indexOf(part)) * (k === 0 ? 1 : 0.37);

let dir: string;
let store: Store;
let engine: Engine;
const runs = new Map<string, { id: string; weights: Array<Map<string, Float64Array>> }>();

function f64(values: Float64Array, shape: number[]): TinyTensor {
  return { dtype: 'F64' as TinyTensor['dtype'], shape, data: new Uint8Array(values.buffer.slice(0)) };
}

function writeRun(root: string, f: Family): Array<Map<string, Float64Array>> {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const first = new Map<string, Float64Array>();
  for (let b = 0; b < BLOCKS; b++) for (const [name, shape] of Object.entries(f.shapes(b))) first.set(name, Float64Array.from({ length: shape[0] * shape[1] }, () => 0.02 * rnd()));
  const series = [first];
  for (let k = 0; k + 1 < STEPS.length; k++) {
    const next = new Map([...series[k]].map(([n, v]) => [n, Float64Array.from(v)]));
    for (let b = 0; b < BLOCKS; b++) for (const part of PARTS) for (let h = 0; h < headsOf(f, part); h++) for (const [n, i] of f.cells(b, part, h)) next.get(n)![i] += planted(b, part, h, k);
    series.push(next);
  }
  STEPS.forEach((step, c) => {
    const folder = join(root, `step_${step}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'config.json'), JSON.stringify(f.config));
    const file: Record<string, TinyTensor> = {};
    for (let b = 0; b < BLOCKS; b++) for (const [name, shape] of Object.entries(f.shapes(b))) file[name] = f64(series[c].get(name)!, shape);
    writeFileSync(join(folder, 'model.safetensors'), safetensorsBytes(file));
  });
  return series;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-head-updates-'));
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
  for (const f of [NEOX, GPT2, LLAMA]) {
    const root = join(dir, f.name);
    const weights = writeRun(root, f);
    const opened = await engine.openPaths({ paths: [root] });
    expect(opened.errors).toEqual([]);
    const id = opened.runs[0].id;
    const { jobId } = await engine.startAnalysis({ runId: id, analyses: ['head-updates'] });
    const job = await engine.jobs.wait(jobId);
    expect(job.state, JSON.stringify(job)).toBe('done');
    runs.set(f.name, { id, weights });
  }
}, 120_000);
afterAll(async () => {
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([NEOX, GPT2, LLAMA])('per-head update sizes: $name', (f) => {
  it("equal the naive slice-and-norm of each head's change (and the planted closed form), per step over the gap", async () => {
    const { id, weights } = runs.get(f.name)!;
    const dist = await engine.scalarGrid({ runId: id, metric: 'head_dist_to_prev' });
    const per = await engine.scalarGrid({ runId: id, metric: 'head_update_per_step' });
    expect(dist.steps).toEqual(STEPS);
    const expected = BLOCKS * PARTS.reduce((n, p) => n + headsOf(f, p), 0);
    expect(dist.tensors).toHaveLength(expected);
    for (let b = 0; b < BLOCKS; b++) {
      for (const part of PARTS) {
        for (let h = 0; h < headsOf(f, part); h++) {
          const name = `attn.${b}.head.${h}.${part}`;
          const row = dist.values[dist.tensors.findIndex((t) => t.tensor === name)];
          const prow = per.values[per.tensors.findIndex((t) => t.tensor === name)];
          expect(row, name).toBeDefined();
          expect(row[0]).toBeNull();
          const cells = f.cells(b, part, h);
          for (let c = 1; c < STEPS.length; c++) {
            const naive = Math.sqrt(cells.reduce((s, [n, i]) => s + (weights[c].get(n)![i] - weights[c - 1].get(n)![i]) ** 2, 0));
            const closed = planted(b, part, h, c - 1) * Math.sqrt(cells.length);
            expect(Math.abs(naive - closed)).toBeLessThan(1e-12);
            expect(Math.abs(row[c]! - naive)).toBeLessThan(1e-12 * naive);
            expect(Math.abs(prow[c]! - naive / (STEPS[c] - STEPS[c - 1]))).toBeLessThan(1e-12 * naive);
          }
        }
      }
    }
    const meta = dist.tensors.find((t) => t.tensor === 'attn.1.head.0.o')!;
    expect(meta).toMatchObject({ block: 1, component: 'attn.out' });
  });
});

describe('co-update of heads', () => {
  it('pools each head (Q, K, V, O; under GQA Q, O and K/V heads apart) into rows labelled L<b>.h<h> / L<b>.kv<h>', async () => {
    const neox = await engine.coUpdate({ runId: runs.get('neox')!.id, group: 'head' });
    expect(neox.labels).toEqual(['L0.h0', 'L0.h1', 'L0.h2', 'L0.h3', 'L1.h0', 'L1.h1', 'L1.h2', 'L1.h3']);
    expect(neox.names[5]).toBe('attn.1.head.1');
    const llama = await engine.coUpdate({ runId: runs.get('llama')!.id, group: 'head' });
    expect(llama.labels).toEqual(['L0.h0', 'L0.h1', 'L0.h2', 'L0.h3', 'L0.kv0', 'L0.kv1', 'L1.h0', 'L1.h1', 'L1.h2', 'L1.h3', 'L1.kv0', 'L1.kv1']);
    // Two intervals are fewer than the three a correlation needs: defined on the diagonal only.
    expect(llama.steps).toEqual([10, 30]);
    expect(llama.matrix.filter((v) => v !== null)).toHaveLength(12);
  });

  it('on a cache with known structure: co-moving heads correlate +1 and cluster side by side; every entry is the naive one', () => {
    // Block 0 and 1, four heads each, over 8 intervals: heads (0,1) and (1,3) follow pattern A,
    // (0,2) and (1,0) pattern B (A's opposite in log), the rest their own noise-free patterns.
    const K = 8;
    const schedule = Array.from({ length: K }, (_, k) => 10 ** (-k / 3));
    const A = [1, 3, 1, 2, 1, 4, 1, 3];
    const pattern = (b: number, h: number): number[] => {
      if ((b === 0 && h === 1) || (b === 1 && h === 3)) return A;
      if ((b === 0 && h === 2) || (b === 1 && h === 0)) return A.map((x) => 1 / x);
      return Array.from({ length: K }, (_, k) => 1 + ((7 * b + 3 * h + 5 * k) % 4) / 2);
    };
    const steps = Array.from({ length: K + 1 }, (_, c) => c * 100);
    const run = {
      id: 'headcoupdate0001', name: 'head-structure', layout: 'step-folders', root: join(dir, 'structure'), family: 'gpt_neox', config: null, tokenizerPath: null,
      checkpoints: steps.map((step) => ({ id: `step${step}`, label: `step_${step}`, step, folder: join(dir, 'structure', `step_${step}`), weightFiles: [], format: 'safetensors', dtype: 'F32', fingerprint: `f${step}`, missing: false, warnings: [] })),
      trainingLog: [], warnings: [],
    } as unknown as RunInfo;
    store.upsertRun(run, 'opened');
    const names: string[] = [];
    for (let b = 0; b < 2; b++) for (let h = 0; h < 4; h++) for (const p of PARTS) names.push(`attn.${b}.head.${h}.${p}`);
    store.registerTensors(run.id, names.map((tensor) => ({ tensor, role: { block: Number(tensor.split('.')[1]), component: 'attn.q' as const, kind: 'other' as const } })));
    // Each part of a head: its pattern times a part's own constant, so the pooled size is the pattern times sqrt(sum of squares).
    const size = (tensor: string, k: number): number => {
      const [, b, , h, p] = tensor.split('.');
      return schedule[k] * pattern(Number(b), Number(h))[k] * (1 + PARTS.indexOf(p as Part));
    };
    steps.forEach((step, c) => {
      store.writeUnit({ runId: run.id, checkpointId: `step${step}`, analysis: 'head-updates' }, { fingerprint: `f${step}`, version: 1, ctx: '' }, {
        scalars: c === 0 ? [] : names.map((tensor) => ({ metric: 'head_update_per_step', tensor, value: size(tensor, c - 1) })), arrays: [], info: {},
      });
    });
    const r = runCoUpdate(store, store.getRun(run.id)!.info, 'head', true);
    expect(r.labels).toEqual(['L0.h0', 'L0.h1', 'L0.h2', 'L0.h3', 'L1.h0', 'L1.h1', 'L1.h2', 'L1.h3']);
    expect(r.steps).toEqual(steps.slice(1));
    const n = 8;
    const at = (a: string, b: string): number => r.matrix[r.labels.indexOf(a) * n + r.labels.indexOf(b)]!;
    expect(at('L0.h1', 'L1.h3')).toBeCloseTo(1, 12);
    expect(at('L0.h2', 'L1.h0')).toBeCloseTo(1, 12);
    const pos = r.order.map((u) => r.labels[u]);
    expect(Math.abs(pos.indexOf('L0.h1') - pos.indexOf('L1.h3'))).toBe(1);
    expect(Math.abs(pos.indexOf('L0.h2') - pos.indexOf('L1.h0'))).toBe(1);
    // The naive definition on the pooled sizes: sqrt(q^2 + k^2 + v^2 + o^2) per interval.
    const pooled = r.names.map((name) => Array.from({ length: K }, (_, k) => Math.sqrt(PARTS.reduce((s, p) => s + size(`${name}.${p}`, k) ** 2, 0))));
    const naive = naiveCoUpdate(pooled, true);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs(r.matrix[i * n + j]! - naive[i][j])).toBeLessThan(1e-9);
  });

  it('co_update.csv carries the head rows', async () => {
    const { id } = runs.get('neox')!;
    const out = join(dir, 'export');
    await engine.exportData({ runId: id, outDir: out });
    const rows = readFileSync(join(out, 'co_update.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const heads = rows.filter((f) => f[1] === 'head');
    expect(heads).toHaveLength(64);
    expect(new Set(heads.map((f) => f[4]))).toEqual(new Set(Array.from({ length: 8 }, (_, i) => `attn.${Math.floor(i / 4)}.head.${i % 4}`)));
  });
});
