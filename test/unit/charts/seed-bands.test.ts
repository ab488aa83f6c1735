// Seed groups as grids (common/charts/seed-bands.ts), the one code path of seed bands: checked
// against a naive per-cell computation, and shown to be what the Curves (compareCurves) and the
// Overview (overviewLayout) draw for a group.
import { describe, expect, it } from 'vitest';
import type { ScalarGrid } from '../../../common/api';
import { compareCurves, foldSeedGroups, groupGrids, runStyles } from '../../../common/charts';
import { overviewLayout } from '../../../renderer/src/views/overview/layout';

const METRIC = { id: 'frobenius_norm', label: 'Frobenius norm', unit: '' };

function grid(runId: string, steps: number[], tensors: string[], value: (t: number, s: number) => number | null): ScalarGrid {
  return {
    runId,
    metric: 'frobenius_norm',
    steps,
    checkpointIds: steps.map((s) => `${runId}@${s}`),
    tensors: tensors.map((t, i) => ({ tensor: t, component: 'mlp.in', block: i, kind: 'weight' })),
    values: tensors.map((_, t) => steps.map((s) => value(t, s))),
  };
}

// Three seeds: the base, 0.9 x and 1.1 x of it (the e2e fixture's factors), with checkpoints and
// tensors that do not all agree.
const f = (t: number, s: number) => 10 + t + s / 10;
const runs = [
  { runId: 'a', runName: 'pythia-x', grid: grid('a', [0, 10, 20, 30], ['t0', 't1'], f) },
  { runId: 'o', runName: 'other', grid: grid('o', [0, 10], ['t0'], () => 1) },
  { runId: 'b', runName: 'pythia-x-seed1', grid: grid('b', [0, 10, 20], ['t0', 't1'], (t, s) => (t === 1 && s === 10 ? null : 0.9 * f(t, s))) },
  { runId: 'c', runName: 'pythia-x-seed2', grid: grid('c', [0, 10, 20, 40], ['t0', 't1', 't2'], (t, s) => 1.1 * f(t, s)) },
];

/** Naive: for tensor t and step s, the members' values, if every member holding t has one. */
function naive(tensor: string, step: number): number[] | null {
  const holders = ['a', 'b', 'c'].map((id) => runs.find((r) => r.runId === id)!.grid).filter((g) => g.tensors.some((x) => x.tensor === tensor));
  const vals = holders.map((g) => {
    const c = g.steps.indexOf(step);
    return c < 0 ? null : g.values[g.tensors.findIndex((x) => x.tensor === tensor)][c];
  });
  return vals.every((v) => v !== null) ? (vals as number[]) : null;
}

describe('groupGrids', () => {
  const members = runs.filter((r) => r.runId !== 'o');
  it('mean and min-max per cell equal the naive computation at the steps every member has', () => {
    const g = groupGrids('pythia-x', members, 'minmax');
    expect(g.name).toBe('pythia-x (mean of 3 seeds)');
    expect(g.members).toEqual(['a', 'b', 'c']);
    expect(g.mean.tensors.map((t) => t.tensor)).toEqual(['t0', 't1', 't2']);
    expect(g.mean.steps).toEqual([0, 10, 20, 40]);
    expect(g.mean.checkpointIds).toEqual(['a@0', 'a@10', 'a@20', 'step 40']);
    g.mean.tensors.forEach((t, r) =>
      g.mean.steps.forEach((s, c) => {
        const vals = naive(t.tensor, s);
        if (!vals) return expect(g.mean.values[r][c], `${t.tensor}@${s}`).toBeNull();
        expect(g.mean.values[r][c]).toBeCloseTo(vals.reduce((x, y) => x + y, 0) / vals.length, 12);
        expect(g.lower.values[r][c]).toBe(Math.min(...vals));
        expect(g.upper.values[r][c]).toBe(Math.max(...vals));
        expect(g.count[r][c]).toBe(vals.length);
      }),
    );
    // t1 at step 10 lacks seed1's value: no mean there; t2 is only seed2's: its own values.
    expect(g.mean.values[1][1]).toBeNull();
    expect(g.mean.values[2][3]).toBeCloseTo(1.1 * f(2, 40), 12);
    // Closed form where all three have a value: mean f, band [0.9 f, 1.1 f].
    expect(g.mean.values[0][2]).toBeCloseTo(f(0, 20), 12);
    expect(g.lower.values[0][2]).toBeCloseTo(0.9 * f(0, 20), 12);
    expect(g.upper.values[0][2]).toBeCloseTo(1.1 * f(0, 20), 12);
  });
  it('std: mean +- the sample sd (n - 1)', () => {
    const g = groupGrids('pythia-x', members, 'std');
    const v = [f(0, 0), 0.9 * f(0, 0), 1.1 * f(0, 0)];
    const m = v.reduce((x, y) => x + y, 0) / 3;
    const sd = Math.sqrt(v.reduce((x, y) => x + (y - m) ** 2, 0) / 2);
    expect(g.lower.values[0][0]).toBeCloseTo(m - sd, 12);
    expect(g.upper.values[0][0]).toBeCloseTo(m + sd, 12);
  });
});

describe('one code path for Curves and Overview', () => {
  it('foldSeedGroups keeps shown order, a group at its first member', () => {
    expect(foldSeedGroups(runs, 'minmax').map((x) => (x.group ? `group:${x.group.members.join('+')}` : x.run.runId))).toEqual(['group:a+b+c', 'o']);
  });
  it('compareCurves draws the group mean and its band from the group grids, in the first member’s colour', () => {
    const slots = { a: 6, o: 2, b: 0, c: 1 } as const;
    const { lines, bands } = compareCurves({ runs: runs.map((r) => ({ ...r, colourSlot: slots[r.runId as keyof typeof slots] })), component: 'mlp.in', kind: 'weight', band: 'minmax' });
    const g = groupGrids('pythia-x', runs.filter((r) => r.runId !== 'o'), 'minmax');
    const styles = runStyles(Object.entries(slots).map(([id, colourSlot]) => ({ id, colourSlot })));
    const t0 = lines.find((l) => l.tensor === 't0' && l.runName.startsWith('pythia-x'))!;
    expect(t0.colour).toBe(styles.get('a')!.colour);
    expect(t0.steps).toEqual([0, 10, 20, 40].filter((_, c) => g.mean.values[0][c] !== null));
    expect(t0.values).toEqual(g.mean.values[0].filter((v) => v !== null));
    expect(bands.length).toBe(3);
    expect(bands[0].lower).toEqual(g.lower.values[0].filter((v) => v !== null));
    expect(lines.find((l) => l.runName === 'other')!.colour).toBe(styles.get('o')!.colour);
  });
  it('the Overview with a band: one column per group, its cells the group mean', () => {
    const loaded = runs.map((r) => ({ ...r, error: null }));
    const { columns, rows } = overviewLayout(loaded, METRIC, 'component', false, 'minmax');
    expect(columns.map((c) => [c.runId, c.label])).toEqual([['a', 'pythia-x (mean of 3 seeds)'], ['o', 'other']]);
    const g = groupGrids('pythia-x', runs.filter((r) => r.runId !== 'o'), 'minmax');
    expect(columns[0].group?.mean).toEqual(g.mean);
    const panel = rows[0].cells[0]!.panel;
    expect(panel.runName).toBe('pythia-x (mean of 3 seeds)');
    // Without a band (or in A − B mode) every run has its own column.
    expect(overviewLayout(loaded, METRIC, 'component', false, 'none').columns.length).toBe(4);
    expect(overviewLayout(loaded, METRIC, 'component', true, 'minmax').columns.every((c) => !c.group)).toBe(true);
  });
});
