// update_per_step and the co-update matrix end to end (files -> weights unit -> SQLite -> API ->
// co_update.csv) on a synthetic float64 run whose per-step updates are known exactly: every
// tensor moves along its own unit direction at a rate that is constant within each checkpoint
// interval, so dist_to_prev = rate x gap and update_per_step = rate. Checkpoints are log-spaced
// with the widest gap last (64 -> 512, as on the demo), where dist_to_prev peaks although the
// per-step rate there is the smallest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { safetensorsBytes, type TinyTensor } from '../unit/readers/make-big-hub';
import { naiveCoUpdate } from '../unit/metrics/co-update-naive';

const STEPS = [0, 2, 4, 8, 16, 32, 64, 512, 600];
const SCHEDULE = [1, 1, 0.5, 0.1, 0.05, 0.03, 0.01, 0.005]; // shared by every tensor, per interval
const MOD: Record<number, number[]> = {
  0: [1, 2, 1, 3, 1, 2, 1, 4],
  1: [1.5, 3, 1.5, 4.5, 1.5, 3, 1.5, 6], // block 0's pattern x 1.5: the same in log up to a constant
  2: [1, 0.5, 1, 1 / 3, 1, 0.5, 1, 0.25], // block 0's reciprocal: the opposite in log
};
const D = 4;
const SHAPES: Record<string, number[]> = { 'attention.query_key_value.weight': [3 * D, D], 'attention.dense.weight': [D, D], 'mlp.dense_h_to_4h.weight': [4 * D, D], 'mlp.dense_4h_to_h.weight': [D, 4 * D] };
const rate = (block: number, k: number): number => SCHEDULE[k] * MOD[block][k];

let dir: string;
let store: Store;
let engine: Engine;
let runId: string;

function f64(values: Float64Array, shape: number[]): TinyTensor {
  return { dtype: 'F64' as TinyTensor['dtype'], shape, data: new Uint8Array(values.buffer.slice(0)) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-update-step-'));
  const root = join(dir, 'run');
  let seed = 11;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const init = new Map<string, Float64Array>();
  const dir1 = new Map<string, Float64Array>();
  const names: Array<[string, number, number[]]> = [];
  for (const b of [0, 1, 2]) for (const [n, shape] of Object.entries(SHAPES)) names.push([`gpt_neox.layers.${b}.${n}`, b, shape]);
  for (const [name, , shape] of names) {
    const len = shape[0] * shape[1];
    init.set(name, Float64Array.from({ length: len }, () => 0.02 * rnd()));
    const u = Float64Array.from({ length: len }, () => rnd());
    const norm = Math.hypot(...u);
    dir1.set(name, u.map((x) => x / norm));
  }
  const config = { model_type: 'gpt_neox', architectures: ['GPTNeoXForCausalLM'], hidden_size: D, num_attention_heads: 2, num_hidden_layers: 3, vocab_size: 50, intermediate_size: 4 * D };
  const travelled = new Map(names.map(([n]) => [n, 0]));
  STEPS.forEach((step, c) => {
    const folder = join(root, `step_${step}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
    const file: Record<string, TinyTensor> = { 'gpt_neox.embed_in.weight': f64(new Float64Array(50 * D).fill(0.01), [50, D]) };
    for (const [name, b, shape] of names) {
      if (c > 0) travelled.set(name, travelled.get(name)! + rate(b, c - 1) * (step - STEPS[c - 1]));
      const t = travelled.get(name)!;
      file[name] = f64(init.get(name)!.map((x, i) => x + t * dir1.get(name)![i]), shape);
    }
    writeFileSync(join(folder, 'model.safetensors'), safetensorsBytes(file));
  });
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
  const opened = await engine.openPaths({ paths: [root] });
  expect(opened.errors).toEqual([]);
  runId = opened.runs[0].id;
  const { jobId } = await engine.startAnalysis({ runId, analyses: ['weights'] });
  expect((await engine.jobs.wait(jobId)).state).toBe('done');
}, 60_000);
afterAll(async () => {
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('update per training step', () => {
  it('equals the known per-step rate of every tensor in every interval (dist_to_prev / gap)', async () => {
    const grid = await engine.scalarGrid({ runId, metric: 'update_per_step' });
    const dist = await engine.scalarGrid({ runId, metric: 'dist_to_prev' });
    expect(grid.steps).toEqual(STEPS);
    const moving = grid.tensors.filter((t) => t.tensor.includes('layers'));
    expect(moving).toHaveLength(12);
    for (const t of moving) {
      const b = Number(/layers\.(\d)/.exec(t.tensor)![1]);
      const row = grid.values[grid.tensors.indexOf(t)];
      const drow = dist.values[dist.tensors.indexOf(dist.tensors.find((x) => x.tensor === t.tensor)!)];
      expect(row[0]).toBeNull();
      for (let c = 1; c < STEPS.length; c++) {
        expect(Math.abs(row[c]! - rate(b, c - 1))).toBeLessThan(1e-9 * rate(b, c - 1));
        expect(Math.abs(drow[c]! - rate(b, c - 1) * (STEPS[c] - STEPS[c - 1]))).toBeLessThan(1e-9 * drow[c]!);
      }
    }
  });

  it('does not peak where the spacing is widest: dist_to_prev peaks at step 512, the update per step at step 2 or 4', async () => {
    const grid = await engine.scalarGrid({ runId, metric: 'update_per_step' });
    const dist = await engine.scalarGrid({ runId, metric: 'dist_to_prev' });
    const argmax = (row: Array<number | null>): number => STEPS[row.reduce<number>((best, v, i) => (v !== null && (row[best] === null || v > row[best]) ? i : best), 1)];
    const i = grid.tensors.findIndex((t) => t.tensor === 'gpt_neox.layers.0.mlp.dense_4h_to_h.weight');
    const j = dist.tensors.findIndex((t) => t.tensor === 'gpt_neox.layers.0.mlp.dense_4h_to_h.weight');
    expect(argmax(dist.values[j])).toBe(512);
    expect(argmax(grid.values[i])).toBe(4); // rate 1 x mod 2 over 2 -> 4
  });
});

describe('co-update', () => {
  it('per block with the common part removed: blocks 0 and 1 correlate +1, block 2 -1 (closed form), clustered 0,1 together', async () => {
    // log rates s+m, s+m+c, s-m; minus their mean: 2m/3-c/3, 2m/3+2c/3, -4m/3-c/3.
    const r = await engine.coUpdate({ runId, group: 'block' });
    expect(r.removeCommon).toBe(true);
    expect(r.names).toEqual(['0', '1', '2']);
    expect(r.dropped).toEqual(['embed']); // the embedding never moves
    expect(r.steps).toEqual(STEPS.slice(1));
    const at = (a: number, b: number): number => r.matrix[a * 3 + b]!;
    expect(at(0, 1)).toBeCloseTo(1, 12);
    expect(at(0, 2)).toBeCloseTo(-1, 12);
    expect(at(1, 2)).toBeCloseTo(-1, 12);
    const pos = r.order.map((u) => r.names[u]);
    expect(Math.abs(pos.indexOf('0') - pos.indexOf('1'))).toBe(1);
  });

  it.each([true, false])('per matrix (common part removed: %s) equals a naive implementation', async (removeCommon) => {
    const r = await engine.coUpdate({ runId, group: 'tensor', removeCommon });
    expect(r.names).toHaveLength(12);
    const sizes = r.names.map((n) => {
      const b = Number(/layers\.(\d)/.exec(n)![1]);
      return SCHEDULE.map((_, k) => rate(b, k));
    });
    const naive = naiveCoUpdate(sizes, removeCommon);
    for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) expect(Math.abs(r.matrix[i * 12 + j]! - naive[i][j])).toBeLessThan(1e-9);
    // Without the common schedule removed, every pair shares it: all correlations positive.
    if (!removeCommon) expect(Math.min(...r.matrix.map((v) => v!))).toBeGreaterThan(0);
    expect([...r.order].sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
  });

  it('co_update.csv: header, both groups, rows in the clustered order matching the API', async () => {
    const out = join(dir, 'export');
    await engine.exportData({ runId, outDir: out });
    const [header, ...rows] = readFileSync(join(out, 'co_update.csv'), 'utf8').trim().split('\n');
    expect(header).toBe('run,group,position_a,position_b,a,b,correlation');
    const block = rows.map((l) => l.split(',')).filter((f) => f[1] === 'block');
    expect(block).toHaveLength(9);
    expect(rows.filter((l) => l.split(',')[1] === 'tensor')).toHaveLength(144);
    const r = await engine.coUpdate({ runId, group: 'block' });
    for (const [, , pa, pb, a, b, v] of block) {
      expect(a).toBe(r.names[r.order[Number(pa)]]);
      expect(b).toBe(r.names[r.order[Number(pb)]]);
      expect(Number(v)).toBe(r.matrix[r.order[Number(pa)] * 3 + r.order[Number(pb)]]);
    }
  });
});
