// Comparing runs: per-run colours, seed groups, bands (checked against a naive computation) and
// A - B grids aligned by step; the run selector's facets and filter.
import { describe, expect, it } from 'vitest';
import type { ScalarGrid } from '../../../common/api';
import { RUN_COLOURS, bandOf, differenceGrid, runColour, runStyle, seedGroups, seedOf } from '../../../common/charts/compare';
import { filterRuns, runFacets } from '../../../common/run-facets';

/** WCAG relative luminance and CIE76 distance in Lab: how far apart two sRGB colours look. */
function lab(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  const lin = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const [r, g, b] = lin as [number, number, number];
  const xyz = [(0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883];
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const [fx, fy, fz] = xyz.map(f) as [number, number, number];
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}
const distance = (a: string, b: string) => Math.hypot(...lab(a).map((v, i) => v - lab(b)[i]));

describe('run colours', () => {
  it('8 runs get 8 different colours, each pair at least 20 Lab units apart', () => {
    const colours = Array.from({ length: 8 }, (_, i) => runColour(i));
    expect(new Set(colours).size).toBe(8);
    for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) expect(distance(colours[i], colours[j]), `${colours[i]} vs ${colours[j]}`).toBeGreaterThan(20);
  });
  it('run 10 onwards reuse colours with another line type: 27 distinct styles', () => {
    const styles = Array.from({ length: 27 }, (_, i) => JSON.stringify(runStyle(i)));
    expect(new Set(styles).size).toBe(27);
    expect(runStyle(RUN_COLOURS.length)).toEqual({ colour: RUN_COLOURS[0], line: 'dashed' });
  });
});

describe('seed groups', () => {
  it('groups names that differ only by a seed; others stay alone', () => {
    const runs = [
      { id: 'a', name: 'pythia-160m' },
      { id: 'b', name: 'pythia-160m-seed1' },
      { id: 'c', name: 'pythia-160m-deduped' },
      { id: 'd', name: 'pythia-160m-seed2' },
      { id: 'e', name: 'pythia-70m' },
    ];
    expect(seedOf('pythia-160m-seed12')).toBe(12);
    expect(seedGroups(runs)).toEqual([
      { key: 'pythia-160m', members: ['a', 'b', 'd'] },
      { key: 'pythia-160m-deduped', members: ['c'] },
      { key: 'pythia-70m', members: ['e'] },
    ]);
  });
});

describe('bands', () => {
  const series = [
    { steps: [0, 10, 20], values: [1, 2, 3] },
    { steps: [0, 10, 20], values: [3, null, 5] },
    { steps: [0, 20, 40], values: [2, 7, 9] },
  ];
  it('min-max: mean and range of the values each step has', () => {
    const b = bandOf(series, 'minmax');
    expect(b.steps).toEqual([0, 10, 20, 40]);
    expect(b.mean).toEqual([2, 2, 5, 9]);
    expect(b.lower).toEqual([1, 2, 3, 9]);
    expect(b.upper).toEqual([3, 2, 7, 9]);
    expect(b.count).toEqual([3, 1, 3, 1]);
  });
  it('complete: only the steps every series has', () => {
    const b = bandOf(series, 'minmax', { complete: true });
    // Step 10 lacks series 2's value and step 40 has series 3's only.
    expect(b.steps).toEqual([0, 20]);
    expect(b.mean).toEqual([2, 5]);
    expect(b.lower).toEqual([1, 3]);
    expect(b.upper).toEqual([3, 7]);
  });
  it('std: mean +- the sample standard deviation', () => {
    const b = bandOf(series, 'std');
    // step 0: values 1, 3, 2 -> mean 2, sample sd 1; step 20: 3, 5, 7 -> mean 5, sd 2.
    expect(b.lower[0]).toBeCloseTo(1, 12);
    expect(b.upper[0]).toBeCloseTo(3, 12);
    expect(b.lower[2]).toBeCloseTo(3, 12);
    expect(b.upper[2]).toBeCloseTo(7, 12);
    expect(b.lower[1]).toBe(2);
  });
});

describe('difference grids', () => {
  const grid = (runId: string, steps: number[], tensors: string[], values: Array<Array<number | null>>): ScalarGrid => ({
    runId,
    metric: 'frobenius_norm',
    steps,
    checkpointIds: steps.map((s) => `${runId}@${s}`),
    tensors: tensors.map((t, i) => ({ tensor: t, component: 'mlp.in', block: i, kind: 'weight' })),
    values,
  });
  it('A - B at the steps and tensors both have, in A order', () => {
    const a = grid('A', [0, 1, 2, 4], ['x', 'y', 'z'], [[1, 2, 3, 4], [10, 20, 30, 40], [5, 5, 5, 5]]);
    const b = grid('B', [0, 2, 4, 8], ['y', 'x'], [[1, 1, null, 1], [0.5, 0.5, 0.5, 0.5]]);
    const d = differenceGrid(a, b);
    expect(d.steps).toEqual([0, 2, 4]);
    expect(d.checkpointIds).toEqual(['A@0', 'A@2', 'A@4']);
    expect(d.tensors.map((t) => t.tensor)).toEqual(['x', 'y']);
    expect(d.values).toEqual([[0.5, 2.5, 3.5], [9, 29, null]]);
  });
});

describe('run selector facets', () => {
  const runs = [
    { id: '1', name: 'EleutherAI/pythia-70m', family: 'gpt_neox', source: 'hf-cache' },
    { id: '2', name: 'EleutherAI/pythia-70m-deduped', family: 'gpt_neox', source: 'hf-cache' },
    { id: '3', name: 'EleutherAI/pythia-1.4b-deduped-seed3', family: 'gpt_neox', source: 'hf-cache' },
    { id: '4', name: 'gpt2-small-run', family: 'gpt2', source: 'opened' },
  ] as const;
  it('size, parameters, dataset and seed from Pythia names', () => {
    expect(runFacets(runs[2])).toEqual({ size: '1.4b', parameters: 1.4e9, dataset: 'deduped', seed: 3, family: 'gpt_neox', source: 'hf-cache' });
    expect(runFacets(runs[3]).size).toBeNull();
  });
  it('filters by facet, by every word of the search, and by alias', () => {
    expect(filterRuns(runs, { size: '70m' }).map((r) => r.id)).toEqual(['1', '2']);
    expect(filterRuns(runs, { dataset: 'deduped', text: 'seed3' }).map((r) => r.id)).toEqual(['3']);
    expect(filterRuns(runs, { family: 'gpt2' }).map((r) => r.id)).toEqual(['4']);
    expect(filterRuns(runs, { text: 'baseline' }, { '2': 'Baseline dedup' }).map((r) => r.id)).toEqual(['2']);
    expect(filterRuns(runs, { text: '70m standard' }).map((r) => r.id)).toEqual(['1']);
  });
});
