// A run's colour belongs to the run (issue 20): runStyles turns the shown runs' stored slots into
// colours, so removing or reordering other runs never changes a run's colour, two runs sharing a
// slot are still told apart, and a new run takes the least-used slot.
import { describe, expect, it } from 'vitest';
import { RUN_COLOUR_SLOTS } from '../../../common/api';
import { RUN_SLOTS, nextColourSlot, runStyle, runStyleName, runStyles } from '../../../common/charts/compare';

const colours = (m: Map<string, { colour: string; line: string }>) => Object.fromEntries([...m].map(([id, s]) => [id, `${s.colour} ${s.line}`]));

describe('runStyles', () => {
  const runs = [
    { id: 'page', colourSlot: 4 },
    { id: 'b', colourSlot: 0 },
    { id: 'c', colourSlot: 11 },
    { id: 'd', colourSlot: 2 },
  ];
  it('each run in its own slot, whatever its position', () => {
    const s = runStyles(runs);
    for (const r of runs) expect(s.get(r.id)).toEqual({ ...runStyle(r.colourSlot), slot: r.colourSlot });
    // Position-based colours (the old rule) would give 'b' the second colour; its slot says the first.
    expect(s.get('b')?.colour).toBe('#332288');
    expect(s.get('c')?.line).toBe('dashed');
  });
  it('removing a run from the comparison leaves every other colour unchanged', () => {
    const all = colours(runStyles(runs));
    for (let k = 1; k < runs.length; k++) {
      const without = colours(runStyles(runs.filter((_, i) => i !== k)));
      for (const [id, c] of Object.entries(without)) expect(c, `${id} after removing ${runs[k].id}`).toBe(all[id]);
    }
    // Reordering does not matter either.
    expect(colours(runStyles([...runs].reverse()))).toEqual(all);
  });
  it('two shown runs sharing a slot: the later takes the next slot no shown run holds', () => {
    const s = runStyles([{ id: 'a', colourSlot: 3 }, { id: 'b', colourSlot: 4 }, { id: 'c', colourSlot: 3 }, { id: 'd', colourSlot: 5 }]);
    expect([...s.values()].map((x) => x.slot)).toEqual([3, 4, 6, 5]);
    expect(new Set([...s.values()].map((x) => `${x.colour}${x.line}`)).size).toBe(4);
    // Runs holding their slot alone keep it when the shared one's partner leaves.
    const t = runStyles([{ id: 'b', colourSlot: 4 }, { id: 'c', colourSlot: 3 }, { id: 'd', colourSlot: 5 }]);
    expect([t.get('b')?.slot, t.get('c')?.slot, t.get('d')?.slot]).toEqual([4, 3, 5]);
  });
  it('runs without a stored slot take free ones; a run listed twice is styled once', () => {
    const s = runStyles([{ id: 'a', colourSlot: 0 }, { id: 'x' }, { id: 'y', colourSlot: null }, { id: 'a', colourSlot: 0 }]);
    expect([...s.keys()]).toEqual(['a', 'x', 'y']);
    expect([s.get('x')?.slot, s.get('y')?.slot]).toEqual([1, 2]);
  });
});

describe('nextColourSlot', () => {
  it('the least-used slot, the lowest of those', () => {
    expect(nextColourSlot([])).toBe(0);
    expect(nextColourSlot([0, 1, 3])).toBe(2);
    expect(nextColourSlot(Array.from({ length: RUN_SLOTS }, (_, i) => i))).toBe(0);
    expect(nextColourSlot([...Array.from({ length: RUN_SLOTS }, (_, i) => i), 0, 1])).toBe(2);
    // Values that are not slots are ignored.
    expect(nextColourSlot([-1, 27, 0.5, 0])).toBe(1);
  });
  it('the colour picker names every slot differently', () => {
    const names = Array.from({ length: RUN_SLOTS }, (_, i) => runStyleName(i));
    expect(new Set(names).size).toBe(RUN_SLOTS);
    expect([names[0], names[10], names[26]]).toEqual(['indigo, solid', 'rose, dashed', 'purple, dotted']);
  });
  it('the API schema allows exactly the palette slots', () => {
    expect(RUN_COLOUR_SLOTS).toBe(RUN_SLOTS);
  });
});

describe('the scaling view', () => {
  it('rings and labels each run’s points in the run’s own colour (its slot, not its position)', async () => {
    const { scalingOption } = await import('../../../common/charts/scaling');
    const run = (runId: string, colourSlot: number, params: number) => ({ runId, name: runId, colourSlot, params, paramsMethod: 'closed form', checkpointId: 's', step: 1, tokens: null, values: [params / 1000], tensors: ['t'], note: null });
    const result = {
      metric: 'max_abs', label: 'max', unit: 'value', align: 'step', at: 1, reduce: 'at', lines: 'depth', component: 'resid', kind: null, params: 'total',
      axis: [1], series: [{ id: 'depth0', label: 'depth 0', slope: null }],
      runs: [run('big', 4, 4e6), run('small', 0, 4e4)],
    } as const;
    const o = scalingOption({ ...result, runs: [...result.runs], series: [...result.series], axis: [...result.axis] }) as { series: Array<{ data: Array<{ name: string; itemStyle: { borderColor: string }; label: { color: string } }> }> };
    const byName = Object.fromEntries(o.series[0].data.map((p) => [p.name, [p.itemStyle.borderColor, p.label.color]]));
    expect(byName).toEqual({ small: [runStyle(0).colour, runStyle(0).colour], big: [runStyle(4).colour, runStyle(4).colour] });
  });
});
