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
import { CELL, VIRIDIS, sampleScale } from '../../common/charts';
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
  it("draws the band in the group's cells as the Overview does: max on top, min at the bottom, on a colour scale spanning them", async () => {
    const options = compareHeatmapOptions(store, { ...base, format: 'svg' }, 300);
    const vm = options[0].visualMap as { min: number; max: number; text: string[] };
    // The bar's ends in the metric's units (its min and max are log10 of them on a log scale).
    const [top, bottom] = vm.text.map(Number);
    const log = Math.abs(10 ** vm.min - bottom) < 1e-9 * bottom && Math.abs(10 ** vm.max - top) < 1e-9 * top;
    // The scale spans the bounds (v = 10 at the lowest), not only the means (15) and the other run.
    expect(bottom).toBeLessThanOrEqual(10);
    expect((options[0].title as { subtext: string }).subtext).toContain('each cell: top max · middle mean · bottom min (min–max over 2 seeds)');
    expect((options[1].series as object[]).length).toBe(1);
    const series = (options[0].series as Array<{ name: string; data: number[][]; renderItem?: (p: { dataIndex: number }, api: unknown) => { children: Array<{ shape: { y: number; height: number }; style: { fill: string } }> } }>).find((x) => x.name === 'min–max over 2 seeds');
    expect(series).toBeDefined();
    // Cells at the steps both seeds have (0, 10), every block: 2 x 2.
    expect(series!.data.length).toBe(4);
    const colourOf = (v: number) => {
      const [r, g, b] = sampleScale(VIRIDIS, ((log ? Math.log10(v) : v) - vm.min) / (vm.max - vm.min));
      return `rgb(${r},${g},${b})`;
    };
    // Columns left to right are steps 0 and 10 (the band is defined where both seeds have the step).
    const steps = [0, 10];
    const xs = [...new Set(series!.data.map((d) => d[0]))].sort((a, b) => a - b);
    expect(xs.length).toBe(2);
    series!.data.forEach((d, i) => {
      const api = { value: (k: number) => d[k], coord: ([x, y]: number[]) => [x * 100, y * 30 + 15], size: () => [0, 30] };
      const drawn = series!.renderItem!({ dataIndex: i }, api).children;
      const v = value(d[2], steps[xs.indexOf(d[0])]);
      expect(drawn[0].style.fill, `cell ${i} top`).toBe(colourOf(2 * v));
      expect(drawn[1].style.fill, `cell ${i} bottom`).toBe(colourOf(v));
      expect(drawn[0].shape.y).toBeLessThan(drawn[1].shape.y);
    });
  });
});
