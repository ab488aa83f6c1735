// Issue 20: a seed group's band in the Overview's exports. On a real SQLite cache with a seed group
// (pythia-x, pythia-x-seed1 = 2 x pythia-x) and another run, the heatmap export with `band`
// draws the group as one panel of its mean (as the Overview's column) next to the other run, and
// its CSV holds the group's mean/min/max rows, the closed forms 1.5 v, v and 2 v.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '@napi-rs/canvas';
import { Store } from '../../main/store/store';
import { compareCsv, compareFigure, compareHeatmapOptions } from '../../main/export/compare';
import { CELL } from '../../common/charts';
import { syntheticRunInfo } from '../unit/export/synthetic';

const TENSORS = ['gpt_neox.layers.0.mlp.dense_h_to_4h.weight', 'gpt_neox.layers.1.mlp.dense_h_to_4h.weight'];
const value = (t: number, s: number) => 10 + t + s / 10;
const RUNS = {
  a: { name: 'pythia-x', steps: [0, 10, 20], scale: 1 },
  b: { name: 'pythia-x-seed1', steps: [0, 10, 30], scale: 2 },
  c: { name: 'other-run', steps: [0, 10, 20], scale: 5 },
} as const;
let dir: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-export-bands-'));
  store = new Store(join(dir, 'cache.sqlite'));
  for (const [id, r] of Object.entries(RUNS)) {
    store.upsertRun(syntheticRunInfo(id, [...r.steps], r.name), 'opened');
    store.registerTensors(id, TENSORS.map((tensor, b) => ({ tensor, role: { block: b, component: 'mlp.in', kind: 'weight' }, shape: [64, 16] })));
    for (const s of r.steps) {
      store.writeUnit({ runId: id, checkpointId: `step${s}`, analysis: 'weights' }, { fingerprint: `fp-${s}`, version: 1, ctx: '' }, { scalars: TENSORS.map((tensor, t) => ({ metric: 'frobenius_norm', tensor, value: r.scale * value(t, s) })), arrays: [], info: {} });
    }
  }
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = { runId: 'a', view: 'heatmap' as const, metric: 'frobenius_norm', compare: ['b', 'c'], band: 'minmax' as const };

describe('heatmap exports of a comparison with a seed band', () => {
  it('one panel for the group (its mean at the steps both seeds have) and one for the other run', async () => {
    const options = compareHeatmapOptions(store, { ...base, format: 'svg' }, 300);
    expect(options.length).toBe(2);
    const svg = (await compareFigure(store, { ...base, format: 'svg', width: 400, height: 200 })).toString('utf8');
    expect(svg.match(/<svg /g)?.length).toBe(3);
    expect(svg).toContain('pythia-x (mean of 2 seeds)');
    expect(svg).toContain('other-run');
    expect(svg).not.toContain('pythia-x-seed1 ·');
    const img = await loadImage(await compareFigure(store, { ...base, format: 'png', width: 400, height: 200 }));
    expect([img.width, img.height]).toEqual([400, 400]);
    // The group panel's cells: the mean 1.5 v at steps 0 and 10 (step 20 and 30 are one seed's only).
    const cells = ((options[0].series as Array<{ data: number[][] }>)[0].data).map((d) => d[CELL.value]).filter((v) => Number.isFinite(v));
    const want = [0, 10].flatMap((s) => TENSORS.map((_, t) => 1.5 * value(t, s)));
    expect(cells.sort((x, y) => x - y)).toEqual(want.sort((x, y) => x - y).map((v) => expect.closeTo(v, 10)));
  });
  it('the CSV holds every run and the group mean/min/max rows', () => {
    const rows = compareCsv(store, { ...base, format: 'csv' }).trimEnd().split('\n').slice(1).map((l) => l.split(','));
    const group = rows.filter((r) => r[0] === 'group:pythia-x');
    expect(group.length).toBe(2 * TENSORS.length * 3);
    for (const r of group) {
      const v = value(TENSORS.indexOf(r[5]), Number(r[3]));
      expect(Number(r[9])).toBeCloseTo(r[2] === 'mean' ? 1.5 * v : r[2] === 'min' ? v : 2 * v, 12);
    }
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(['a', 'b', 'c', 'group:pythia-x']));
  });
});
