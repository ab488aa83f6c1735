// The scaling read model and its exports (main/store/scaling.ts, main/export/scaling.ts) on a real
// SQLite cache: two GPT-NeoX-shaped runs of different sizes whose residual max |x| per block and
// step are planted, so every matched value, depth position, running maximum and log-log slope has
// a value computed here independently (naive loops and the closed-form parameter count).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelConfig, RunInfo } from '../../common/domain';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { depthIndex, logLogSlope, scalingSeries } from '../../main/store/scaling';
import { gifBlocks } from '../e2e/gif-blocks';

let dir: string;
let store: Store;
const STEPS_A = [0, 10, 20, 40];
const STEPS_B = [0, 10, 30];
/** Planted value of run r (0/1), residual position p (0 = after the embedding, then block p-1), step s. */
const planted = (r: number, p: number, s: number): number => (1 + p) * (r === 0 ? 2 : 5) * (1 + ((s * 7 + p * 3) % 11));

const config = (hidden: number, layers: number): ModelConfig => ({
  family: 'gpt_neox', modelType: 'gpt_neox', vocabSize: 100, hidden, layers, heads: 2, kvHeads: 2, headDim: hidden / 2, intermediate: 4 * hidden,
  maxPositions: 64, normEps: 1e-5, rotaryPct: 0.25, rotaryBase: 10000, parallelResidual: true, activation: 'gelu', tiedEmbeddings: false, attentionBias: true, mlpBias: true,
});
/** GPT-NeoX closed form written out again: embeddings + L blocks + final norm. */
const neoxParams = (d: number, L: number, V = 100) => 2 * V * d + L * (4 * d + 4 * d * d + 4 * d + 8 * d * d + 5 * d) + 2 * d;

function makeRun(id: string, r: number, steps: number[], hidden: number, layers: number): RunInfo {
  const run: RunInfo = {
    id, name: `run${r}`, layout: 'step-folders', root: join(dir, id), family: 'gpt_neox', config: config(hidden, layers), tokenizerPath: null,
    checkpoints: steps.map((step) => ({ id: `step${step}`, label: `step_${step}`, step, tokens: step * (r === 0 ? 100 : 300), folder: join(dir, id, `s${step}`), weightFiles: [], format: 'safetensors', dtype: 'F32', fingerprint: `${id}f${step}`, missing: false, warnings: [] })),
    trainingLog: [], warnings: [],
  };
  store.upsertRun(run, 'opened');
  const tensors = Array.from({ length: layers + 1 }, (_, p) => ({ tensor: `resid.${p}`, role: { block: p === 0 ? ('embed' as const) : p - 1, component: 'resid' as const, kind: 'other' as const }, shape: [] as number[] }));
  store.registerTensors(id, tensors);
  for (const step of steps) {
    store.writeUnit({ runId: id, checkpointId: `step${step}`, analysis: 'activations' }, { fingerprint: `${id}f${step}`, version: 1, ctx: '' }, {
      scalars: tensors.map((t, p) => ({ metric: 'max_abs', tensor: t.tensor, value: planted(r, p, step) })), arrays: [], info: {},
    });
  }
  return run;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-scaling-'));
  store = new Store(join(dir, 'atlas.sqlite'));
  makeRun('runsmall00000001', 0, STEPS_A, 8, 2);
  makeRun('runlarge00000001', 1, STEPS_B, 16, 4);
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = ['runsmall00000001', 'runlarge00000001'];

describe('scalingSeries', () => {
  it('depth positions: nearest of P, halves up', () => {
    expect([0, 0.25, 0.5, 0.75, 1].map((f) => depthIndex(f, 3))).toEqual([0, 1, 1, 2, 2]);
    expect([0, 0.25, 0.5, 0.75, 1].map((f) => depthIndex(f, 5))).toEqual([0, 1, 2, 3, 4]);
  });
  it('defaults: matched at the furthest step both runs reached (30), nearest checkpoint at or before it', () => {
    const r = scalingSeries(store, { runIds: ids, metric: 'max_abs' });
    expect(r.at).toBe(30);
    expect(r.component).toBe('resid');
    expect(r.axis).toEqual([0, 10, 20, 30, 40]);
    expect(r.runs.map((x) => x.checkpointId)).toEqual(['step20', 'step30']);
    expect(r.runs.map((x) => x.params)).toEqual([neoxParams(8, 2), neoxParams(16, 4)]);
    // Run 0 has 3 positions, run 1 has 5: fractions 0, .25, .5, .75, 1.
    const pos = [[0, 1, 1, 2, 2], [0, 1, 2, 3, 4]];
    r.runs.forEach((run, ri) => {
      const step = ri === 0 ? 20 : 30;
      expect(run.values).toEqual(pos[ri].map((p) => planted(ri, p, step)));
      expect(run.tensors).toEqual(pos[ri].map((p) => `resid.${p}`));
    });
    r.series.forEach((s, si) => {
      const [a, b] = [r.runs[0], r.runs[1]];
      const expected = Math.log10(b.values[si]! / a.values[si]!) / Math.log10(b.params! / a.params!);
      expect(s.slope).toBeCloseTo(expected, 12);
    });
  });
  it('max-ever: the largest value at or before the matched checkpoint, per tensor', () => {
    const r = scalingSeries(store, { runIds: ids, metric: 'max_abs', reduce: 'max-ever', at: 25, fractions: [1] });
    expect(r.runs.map((x) => x.step)).toEqual([20, 10]);
    expect(r.runs[0].values[0]).toBe(Math.max(...[0, 10, 20].map((s) => planted(0, 2, s))));
    expect(r.runs[1].values[0]).toBe(Math.max(...[0, 10].map((s) => planted(1, 4, s))));
  });
  it('tokens: matched by tokens seen (run 0: 100 per step, run 1: 300)', () => {
    const r = scalingSeries(store, { runIds: ids, metric: 'max_abs', align: 'tokens', at: 3500, fractions: [0.5] });
    expect(r.runs.map((x) => x.step)).toEqual([20, 10]);
    expect(r.runs.map((x) => x.tokens)).toEqual([2000, 3000]);
  });
  it('component lines: max and mean over blocks', () => {
    const mx = scalingSeries(store, { runIds: ids, metric: 'max_abs', lines: 'component', at: 10 });
    expect(mx.series.map((s) => s.id)).toEqual(['resid']);
    expect(mx.runs[1].values[0]).toBe(Math.max(...[0, 1, 2, 3, 4].map((p) => planted(1, p, 10))));
    const mean = scalingSeries(store, { runIds: ids, metric: 'max_abs', lines: 'component', blockReduce: 'mean', at: 10 });
    expect(mean.runs[0].values[0]).toBeCloseTo([0, 1, 2].reduce((a, p) => a + planted(0, p, 10), 0) / 3, 12);
  });
  it('no checkpoint before the point, a metric not computed, an unknown component: said, not thrown or thrown clearly', () => {
    const early = scalingSeries(store, { runIds: ids, metric: 'max_abs', at: -0 });
    expect(early.runs.map((x) => x.step)).toEqual([0, 0]);
    const none = scalingSeries(store, { runIds: ids, metric: 'frobenius_norm' });
    expect(none.runs[0].note).toMatch(/not computed for this run: run the weights analysis/);
    expect(() => scalingSeries(store, { runIds: ids, metric: 'max_abs', component: 'mlp.in' })).toThrow(/no per-block values for component "mlp.in"/);
    expect(() => scalingSeries(store, { runIds: ['nope'], metric: 'max_abs' })).toThrow(/no run with id "nope"/);
  });
  it('logLogSlope: exact power law', () => {
    expect(logLogSlope([[10, 3], [1000, 3 * 100 ** 0.5], [1e5, 3 * 1e4 ** 0.5]])).toBeCloseTo(0.5, 12);
    expect(logLogSlope([[10, 3]])).toBeNull();
  });
});

describe('scalingExport through the engine', () => {
  it('CSV rows = runs x series with the numbers above; PNG, SVG and GIF are real files holding every run', async () => {
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false });
    try {
      const csv = await engine.scalingExport({ runIds: ids, metric: 'max_abs', format: 'csv' });
      const lines = Buffer.from(csv.base64, 'base64').toString('utf8').trim().split('\n');
      expect(lines).toHaveLength(1 + 2 * 5);
      expect(lines[0]).toMatch(/^run,run_id,params,/);
      expect(lines[1].split(',').slice(0, 3)).toEqual(['run0', 'runsmall00000001', String(neoxParams(8, 2))]);
      const png = Buffer.from((await engine.scalingExport({ runIds: ids, metric: 'max_abs', format: 'png', width: 640, height: 400 })).base64, 'base64');
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(640);
      const svg = Buffer.from((await engine.scalingExport({ runIds: ids, metric: 'max_abs', format: 'svg' })).base64, 'base64').toString('utf8');
      expect(svg).toContain('<svg');
      expect(svg).toContain('run0');
      expect(svg).toContain('run1');
      const gif = Buffer.from((await engine.scalingExport({ runIds: ids, metric: 'max_abs', format: 'gif', width: 320, height: 200 })).base64, 'base64');
      expect(gif.subarray(0, 6).toString()).toBe('GIF89a');
      // One frame per matched point up to 30 (0, 10, 20, 30): the GIF's image descriptors, read by
      // walking its blocks (a scan for the 0x21 0xF9 bytes also counted them inside LZW data).
      expect(gifBlocks(new Uint8Array(gif)).frames.length).toBe(4);
    } finally {
      await engine.close();
    }
  });
});
