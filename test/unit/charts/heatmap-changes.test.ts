// common/charts/heatmap-changes.ts: marks sit at the centre of their column's cell (log step axis:
// half-way between the cell edges, closed form), only where the row has a value; columns count
// their rows; the exported option gains the series and the tooltip line.
import { describe, expect, it } from 'vitest';
import { changeColumns, changeIndex, changeSummary, heatmapOption, MARK, panelChangeMarks, withHeatmapChangeMarks, type HeatmapPanel } from '../../../common/charts';

const panel: HeatmapPanel = {
  runId: 'r', runName: 'run', component: 'mlp.out', kind: 'weight', metric: { id: 'frobenius_norm', label: 'Frobenius norm', unit: '' },
  steps: [0, 1, 10, 100], checkpointIds: ['a', 'b', 'c', 'd'],
  rows: [
    { tensor: 't0', block: 0, values: [1, 2, 3, 4] },
    { tensor: 't1', block: 1, values: [1, 2, null, 4] },
  ],
};

describe('heatmap change marks', () => {
  const index = changeIndex([
    { tensor: 't0', step: 10, strength: 2 },
    { tensor: 't1', step: 10, strength: 5 }, // no value there: not drawn
    { tensor: 't1', step: 1, strength: 1.5 },
    { tensor: 't1', step: 1, strength: 0.5 }, // the stronger of two kept
    { tensor: 'elsewhere', step: 1, strength: 9 },
  ]);
  const marks = panelChangeMarks(panel, index, 'log');

  it('one mark per changed cell with a value, at the centre of the cell', () => {
    expect(marks.map((m) => [m[MARK.row], m[MARK.column], m[MARK.step], m[MARK.strength]])).toEqual([
      [0, 2, 10, 2],
      [1, 1, 1, 1.5],
    ]);
    // log axis: step 1 at 0, its neighbours step 0 at log10(0.5) and step 10 at 1.
    expect(marks[1][MARK.x]).toBeCloseTo(((Math.log10(0.5) + 0) / 2 + (0 + 1) / 2) / 2, 12);
    expect(marks[0][MARK.x]).toBeCloseTo(((0 + 1) / 2 + (1 + 2) / 2) / 2, 12);
  });

  it('columns, summary and the exported option', () => {
    expect(changeColumns(marks)).toEqual([{ column: 1, step: 1, rows: 1 }, { column: 2, step: 10, rows: 1 }]);
    expect(changeSummary(marks)).toBe('Change points at steps 1 (1 row), 10 (1 row).');
    const opt = withHeatmapChangeMarks(heatmapOption(panel, { stepScale: 'log', colour: { mode: 'sequential', log: false, min: 0, max: 5 } }), marks);
    const series = opt.series as Array<{ name: string; data: number[][] }>;
    expect(series[1].name).toBe('change points');
    expect(series[1].data).toEqual(marks.map((m) => [m[MARK.x], m[MARK.row]]));
    const cell = (series[0].data as number[][]).find((d) => d[2] === 0 && d[5] === 2)!;
    expect((opt.tooltip as { formatter: (p: { value: number[] }) => string }).formatter({ value: cell })).toContain('change point (strength 2)');
    expect(panelChangeMarks(panel, null, 'log')).toEqual([]);
  });
});
