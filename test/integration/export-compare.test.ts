// Exports of a comparison (main/export/compare.ts) on a real SQLite cache: the CSV holds every
// run's values, A − B rows equal the subtraction at the steps both runs have, a seed group's
// mean/min/max rows are the closed forms at the steps every member has, and the stacked PNG/SVG
// hold one panel per run with every run's name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '@napi-rs/canvas';
import { Store } from '../../main/store/store';
import { compareCsv, compareFigure } from '../../main/export/compare';
import { syntheticRunInfo } from '../unit/export/synthetic';

const TENSORS = ['gpt_neox.layers.0.mlp.dense_h_to_4h.weight', 'gpt_neox.layers.1.mlp.dense_h_to_4h.weight'];
/** Run -> name, steps and the value of tensor t at step s. */
const RUNS = {
  a: { name: 'pythia-x', steps: [0, 10, 20], value: (t: number, s: number) => 10 + t + s / 10 },
  b: { name: 'pythia-x-seed1', steps: [0, 10, 30], value: (t: number, s: number) => 2 * (10 + t + s / 10) },
  c: { name: 'other-run', steps: [0, 10, 20], value: (t: number, s: number) => 5 + t * s },
} as const;
let dir: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-export-compare-'));
  store = new Store(join(dir, 'cache.sqlite'));
  for (const [id, r] of Object.entries(RUNS)) {
    store.upsertRun(syntheticRunInfo(id, [...r.steps], r.name), 'opened');
    store.registerTensors(id, TENSORS.map((tensor, b) => ({ tensor, role: { block: b, component: 'mlp.in', kind: 'weight' }, shape: [64, 16] })));
    for (const s of r.steps) {
      store.writeUnit({ runId: id, checkpointId: `step${s}`, analysis: 'weights' }, { fingerprint: `fp-${s}`, version: 1, ctx: '' }, { scalars: TENSORS.map((tensor, t) => ({ metric: 'frobenius_norm', tensor, value: r.value(t, s) })), arrays: [], info: {} });
    }
  }
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function records(csv: string): Array<Record<string, string>> {
  const [head, ...lines] = csv.trimEnd().split('\n');
  const keys = head.split(',');
  // The fields read here carry no commas; csvField quotes those with spaces.
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v.replace(/^"|"$/g, '')])));
}

const base = { runId: 'a', format: 'csv', view: 'heatmap', metric: 'frobenius_norm' } as const;

describe('comparison exports', () => {
  it('CSV: every run value, named', () => {
    const rows = records(compareCsv(store, { ...base, compare: ['b', 'c'] }));
    for (const [id, r] of Object.entries(RUNS)) {
      const mine = rows.filter((x) => x.run === id);
      expect(mine.length).toBe(r.steps.length * TENSORS.length);
      expect(new Set(mine.map((x) => x.run_name))).toEqual(new Set([r.name]));
      for (const x of mine) expect(Number(x.value)).toBe(r.value(TENSORS.indexOf(x.tensor), Number(x.step)));
    }
  });

  it('CSV of A − B: rows of each other run minus B at the steps both have', () => {
    const rows = records(compareCsv(store, { ...base, compare: ['b', 'c'], minus: 'a' })).filter((x) => x.series === 'minus pythia-x');
    expect(new Set(rows.map((x) => x.run))).toEqual(new Set(['b', 'c']));
    expect(rows.filter((x) => x.run === 'b').map((x) => Number(x.step)).sort((p, q) => p - q)).toEqual([0, 0, 10, 10]);
    for (const x of rows) {
      const t = TENSORS.indexOf(x.tensor);
      const s = Number(x.step);
      expect(Number(x.value)).toBe(RUNS[x.run as 'b' | 'c'].value(t, s) - RUNS.a.value(t, s));
    }
  });

  it('CSV with a min-max band: the seed group (pythia-x, pythia-x-seed1) at the steps both have', () => {
    const rows = records(compareCsv(store, { ...base, view: 'curves', compare: ['b', 'c'], band: 'minmax' })).filter((x) => x.run === 'group:pythia-x');
    expect(new Set(rows.map((x) => x.step))).toEqual(new Set(['0', '10']));
    for (const x of rows) {
      const v = RUNS.a.value(TENSORS.indexOf(x.tensor), Number(x.step));
      // b = 2a: mean 1.5 a, min a, max 2 a.
      expect(Number(x.value)).toBeCloseTo(x.series === 'mean' ? 1.5 * v : x.series === 'min' ? v : 2 * v, 12);
    }
    expect(rows.length).toBe(2 * TENSORS.length * 3);
    expect(records(compareCsv(store, { ...base, compare: ['b', 'c'] })).some((x) => x.run.startsWith('group:'))).toBe(false);
  });

  it('PNG and SVG: one panel per run, stacked; every run named', async () => {
    const png = await compareFigure(store, { ...base, format: 'png', compare: ['b', 'c'], width: 400, height: 200 });
    const img = await loadImage(png);
    expect([img.width, img.height]).toEqual([400, 600]);
    const svg = (await compareFigure(store, { ...base, format: 'svg', compare: ['b', 'c'], width: 400, height: 200 })).toString('utf8');
    expect(svg.match(/<svg /g)?.length).toBe(4);
    for (const r of Object.values(RUNS)) expect(svg).toContain(r.name);
    const diff = (await compareFigure(store, { ...base, format: 'svg', compare: ['b', 'c'], minus: 'a', width: 400, height: 200 })).toString('utf8');
    expect(diff.match(/<svg /g)?.length).toBe(3);
    expect(diff).toContain('pythia-x-seed1 − pythia-x');
    expect(diff).toContain('(A − B)');
  });
});
