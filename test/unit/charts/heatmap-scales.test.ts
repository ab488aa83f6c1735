// Issue 15 #10: colour scales that read over decades and legends for what the colour bar cannot
// say. Student-t ν runs from ~0.2 to its bound 10^4 and a distance to init from 0 (at init) to ~10:
// both are drawn on a log colour scale over their positive values (a zero no longer turns the
// whole scale linear), cells at the metric's bound are marked, and the legend names undefined
// cells (the analysis ran, the value is not defined) apart from cells not computed.
import { describe, expect, it } from 'vitest';
import type { ScalarGrid } from '../../../common/api';
import { METRIC_BY_ID } from '../../../common/catalogue';
import {
  CELL,
  CELL_FLAG,
  LEGEND_LINE_HEIGHT,
  colourScaleFor,
  heatmapCells,
  heatmapLegend,
  heatmapOption,
  panelsFromGrid,
  undefinedCells,
} from '../../../common/charts/heatmap';

function grid(metric: string, values: Array<Array<number | null>>, computed?: boolean[]): ScalarGrid {
  const steps = values[0].map((_, i) => (i === 0 ? 0 : 10 ** (i - 1)));
  return {
    runId: 'r',
    metric,
    steps,
    checkpointIds: steps.map((s) => `step${s}`),
    tensors: values.map((_, b) => ({ tensor: `layers.${b}.attention.dense.weight`, component: 'attn.out', block: b, kind: 'weight' })),
    values,
    ...(computed ? { computed } : {}),
  };
}

const nu = METRIC_BY_ID.get('student_t_nu')!;
const distInit = METRIC_BY_ID.get('dist_to_init')!;
const relDist = METRIC_BY_ID.get('rel_dist_to_init')!;

describe('log colour scales', () => {
  it('Student-t ν from 0.2 to the bound 10^4: log colour, 10^4 at the top, every decade a quarter of the bar', () => {
    const [panel] = panelsFromGrid(grid('student_t_nu', [[10000, 10000, 2, 0.2], [10000, 20, 200, 10000]]), 'run', nu);
    const scale = colourScaleFor([panel]);
    expect(scale.log).toBe(true);
    expect(scale.min).toBeCloseTo(Math.log10(0.2), 12);
    expect(scale.max).toBe(4);
    const cells = heatmapCells(panel, 'log', scale);
    const frac = (v: number) => (cells.find((c) => c[CELL.value] === v)![CELL.colour] - scale.min) / (scale.max - scale.min);
    // 2, 20, 200 are one decade apart: equal steps on the bar (on a linear bar they would sit at 0.0002, 0.002, 0.02)
    expect(frac(20) - frac(2)).toBeCloseTo(1 / (4 - Math.log10(0.2)), 12);
    expect(frac(200) - frac(20)).toBeCloseTo(frac(20) - frac(2), 12);
    expect(frac(10000)).toBe(1);
  });

  it('cells at the bound 10^4 are flagged and drawn with a mark; the legend says what the bound means', () => {
    const [panel] = panelsFromGrid(grid('student_t_nu', [[10000, 10000, 2, 0.2]]), 'run', nu);
    const scale = colourScaleFor([panel]);
    const cells = heatmapCells(panel, 'log', scale);
    expect(cells.filter((c) => c[CELL.flag] === CELL_FLAG.bound).map((c) => c[CELL.column])).toEqual([0, 1]);
    expect(cells.filter((c) => c[CELL.flag] === CELL_FLAG.none).map((c) => c[CELL.column])).toEqual([2, 3]);
    const legend = heatmapLegend(panel, scale);
    expect(legend.map((e) => e.kind)).toEqual(['bound']);
    expect(legend[0].text).toBe('at fit bound 10000');
    const option = heatmapOption(panel, { stepScale: 'log', colour: scale });
    expect((option.title as { subtext: string }).subtext).toBe('run · Student-t ν [ν] · log colour');
    expect((option.grid as { bottom: number }).bottom).toBe(34 + LEGEND_LINE_HEIGHT);
    const texts = JSON.stringify(option.graphic);
    expect(texts).toContain(legend[0].text);
  });

  it('a distance to init (0 at step 0, 1e-3 .. 10 after): log over the positive values, the zeros in the lowest colour', () => {
    const [panel] = panelsFromGrid(grid('dist_to_init', [[0, 0.001, 0.01, 0.1, 1, 10]]), 'run', distInit);
    const scale = colourScaleFor([panel]);
    expect(scale).toEqual({ mode: 'sequential', log: true, min: -3, max: 1, floor: true });
    const cells = heatmapCells(panel, 'log', scale);
    expect(cells.length).toBe(6);
    expect(cells[0][CELL.colour]).toBe(-3);
    expect(cells[0][CELL.flag]).toBe(CELL_FLAG.floor);
    expect(cells[0][CELL.value]).toBe(0); // the readout still says 0
    expect(cells.map((c) => c[CELL.colour])).toEqual([-3, -3, -2, -1, 0, 1]);
    expect(heatmapLegend(panel, scale).map((e) => e.kind)).toEqual(['floor']);
  });

  it('a metric not flagged for log is drawn on a log scale when its positive values span 3 decades, linear below that', () => {
    expect(relDist.logScale).toBe(false);
    const [wide] = panelsFromGrid(grid('rel_dist_to_init', [[0, 1e-4, 1e-3, 0.5]]), 'run', relDist);
    expect(colourScaleFor([wide]).log).toBe(true);
    const [narrow] = panelsFromGrid(grid('rel_dist_to_init', [[0.02, 0.05, 0.1, 0.5]]), 'run', relDist);
    expect(colourScaleFor([narrow]).log).toBe(false);
    // values of both signs stay diverging and linear whatever their span
    const [signed] = panelsFromGrid(grid('rel_dist_to_init', [[-1e-4, 1e-4, 1, 10]]), 'run', relDist);
    expect(colourScaleFor([signed])).toMatchObject({ mode: 'diverging', log: false });
  });
});

describe('legend for missing cells', () => {
  it('undefined (analysis ran, no value) is hatched and told apart from not computed', () => {
    // column 0 computed with a value, column 1 computed but undefined in block 0, columns 2-3 not computed
    const [panel] = panelsFromGrid(grid('student_t_nu', [[3, null, null, null], [4, 5, null, null]], [true, true, false, false]), 'run', nu);
    const scale = colourScaleFor([panel]);
    expect(heatmapLegend(panel, scale).map((e) => e.kind)).toEqual(['undefined', 'not-computed']);
    const undef = undefinedCells(panel, 'log');
    expect(undef.length).toBe(1);
    expect(undef[0][2]).toBe(0); // block 0
    const option = heatmapOption(panel, { stepScale: 'log', colour: scale });
    const series = option.series as Array<{ name: string; data: number[][] }>;
    expect(series[1].name).toBe('undefined');
    expect(series[1].data).toEqual(undef);
    const graphic = JSON.stringify(option.graphic);
    expect(graphic).toContain('undefined value');
    expect(graphic).toContain('not computed');
  });

  it('without the computed columns every empty cell is "not computed"; a full panel has no legend line', () => {
    const [partial] = panelsFromGrid(grid('student_t_nu', [[3, null, 5]]), 'run', nu);
    expect(heatmapLegend(partial, colourScaleFor([partial])).map((e) => e.kind)).toEqual(['not-computed']);
    const [full] = panelsFromGrid(grid('student_t_nu', [[3, 4, 5]], [true, true, true]), 'run', nu);
    const scale = colourScaleFor([full]);
    expect(heatmapLegend(full, scale)).toEqual([]);
    const option = heatmapOption(full, { stepScale: 'log', colour: scale });
    expect(option.graphic).toBeUndefined();
    expect((option.grid as { bottom: number }).bottom).toBe(34);
  });
});
