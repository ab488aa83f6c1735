// Heatmap option: every grid value lands in the right cell (row = block by depth, column span
// around its step), on log and linear step axes, with the colour range computed from the data.
import { describe, expect, it } from 'vitest';
import type { ScalarGrid } from '../../../common/api';
import { CELL, colourScaleFor, heatmapOption, panelsFromGrid } from '../../../common/charts/heatmap';
import { columnSpans, stepPosition, stepTicks } from '../../../common/charts/step-axis';
import { rangeTicks } from '../../../common/charts/format';

const metric = { id: 'frobenius_norm', label: 'Frobenius norm', unit: '‖W‖F', logScale: true };

function grid(): ScalarGrid {
  // Tensors deliberately out of depth order; one bias tensor; one null value.
  return {
    runId: 'r1',
    metric: 'frobenius_norm',
    steps: [0, 1, 10, 100],
    checkpointIds: ['step0', 'step1', 'step10', 'step100'],
    tensors: [
      { tensor: 'layers.1.mlp.w', component: 'mlp.in', block: 1, kind: 'weight' },
      { tensor: 'embed.w', component: 'embed', block: 'embed', kind: 'weight' },
      { tensor: 'layers.0.mlp.w', component: 'mlp.in', block: 0, kind: 'weight' },
      { tensor: 'layers.0.mlp.b', component: 'mlp.in', block: 0, kind: 'bias' },
    ],
    values: [
      [1, 2, 3, 4],
      [10, 20, null, 40],
      [0.5, 0.25, 0.125, 8],
      [7, 7, 7, 7],
    ],
  };
}

type Series = { data: number[][]; renderItem: unknown };

describe('panelsFromGrid', () => {
  it('groups by component and kind in catalogue order, rows by depth', () => {
    const panels = panelsFromGrid(grid(), 'pythia-70m', metric);
    expect(panels.map((p) => [p.component, p.kind])).toEqual([
      ['embed', 'weight'],
      ['mlp.in', 'weight'],
      ['mlp.in', 'bias'],
    ]);
    expect(panels[1].rows.map((r) => r.block)).toEqual([0, 1]);
    expect(panels[1].rows[0].values).toEqual([0.5, 0.25, 0.125, 8]);
  });
});

describe('heatmapOption', () => {
  it('puts each grid value at its row and its step column (log axis)', () => {
    const g = grid();
    const [, mlp] = panelsFromGrid(g, 'pythia-70m', metric);
    const colour = colourScaleFor([mlp], { log: false });
    const option = heatmapOption(mlp, { stepScale: 'log', colour });
    const data = (option.series as Series[])[0].data;
    expect(data).toHaveLength(8);
    // Block 1 (row 1) at step 10 (column 2) holds the grid's value 3.
    const cell = data.find((d) => d[CELL.row] === 1 && d[CELL.column] === 2)!;
    expect(cell[CELL.value]).toBe(g.values[0][2]);
    expect(cell[CELL.step]).toBe(10);
    // Log positions: step 0 at log10(0.5), 1 at 0, 10 at 1, 100 at 2; cells meet half-way.
    expect(stepPosition(0, 'log')).toBeCloseTo(Math.log10(0.5), 12);
    expect(cell[CELL.x0]).toBeCloseTo(0.5, 12); // between log10(1)=0 and log10(10)=1
    expect(cell[CELL.x1]).toBeCloseTo(1.5, 12);
    const first = data.find((d) => d[CELL.row] === 0 && d[CELL.column] === 0)!;
    expect(first[CELL.x0]).toBeCloseTo(Math.log10(0.5) - (0 - Math.log10(0.5)) / 2, 12);
    // y axis rows are the blocks by depth
    expect((option.yAxis as { data: string[] }).data).toEqual(['0', '1']);
    // Axis extent covers the outer cell edges.
    const x = option.xAxis as { min: number; max: number; axisLabel: { customValues: number[]; formatter: (v: number) => string } };
    expect(x.min).toBeCloseTo(first[CELL.x0], 12);
    expect(x.max).toBeCloseTo(2.5, 12);
    // Ticks at the decades inside the extent, labelled with the step they stand for, and "0" under step 0.
    expect(x.axisLabel.customValues).toEqual([Math.log10(0.5), 0, 1, 2]);
    expect(x.axisLabel.customValues.map(x.axisLabel.formatter)).toEqual(['0', '1', '10', '100']);
  });

  it('step 0 next to step 64 (a run of few checkpoints): its wide column is labelled 0, not "0.1" and "1"', () => {
    const g: ScalarGrid = { runId: 'r', metric: 'frobenius_norm', steps: [0, 64, 512, 2600], checkpointIds: ['a', 'b', 'c', 'd'], tensors: [{ tensor: 'embed.w', component: 'embed', block: 'embed', kind: 'weight' }], values: [[1, 2, 3, 4]] };
    const [panel] = panelsFromGrid(g, 'atlas-demo-tiny-seed1', metric);
    const x = heatmapOption(panel, { stepScale: 'log', colour: colourScaleFor([panel]) }).xAxis as { min: number; axisLabel: { customValues: number[]; formatter: (v: number) => string } };
    expect(x.min).toBeLessThan(-1); // the extent reaches past position -1 ("0.1") ...
    expect(x.axisLabel.customValues.map(x.axisLabel.formatter)).toEqual(['0', '10', '100', '1k']); // ... no tick says so
    // A tokens axis is left as it was.
    const tokens = heatmapOption({ ...panel, x: { unit: 'tokens', values: [0, 131072, 1048576, 5324800] } }, { stepScale: 'log', colour: colourScaleFor([panel]) }).xAxis as { axisLabel: { customValues: number[]; formatter: (v: number) => string } };
    expect(tokens.axisLabel.customValues.map(tokens.axisLabel.formatter)).not.toContain('0');
  });

  it('uses raw steps on a linear axis and skips null cells', () => {
    const g = grid();
    const [embed] = panelsFromGrid(g, 'run', metric);
    const option = heatmapOption(embed, { stepScale: 'linear', colour: colourScaleFor([embed]) });
    const data = (option.series as Series[])[0].data;
    expect(data.map((d) => d[CELL.column])).toEqual([0, 1, 3]); // step10 is null
    const last = data[2];
    expect(last[CELL.value]).toBe(40);
    expect([last[CELL.x0], last[CELL.x1]]).toEqual([55, 145]);
    expect(columnSpans([0, 1, 10, 100])).toEqual([
      [-0.5, 0.5],
      [0.5, 5.5],
      [5.5, 55],
      [55, 145],
    ]);
  });

  it('log colour range = log10 of the data range; colour dimension holds log10(value)', () => {
    const panels = panelsFromGrid(grid(), 'run', metric);
    const shared = colourScaleFor(panels);
    expect(shared.mode).toBe('sequential');
    expect(shared.log).toBe(true);
    expect(shared.min).toBeCloseTo(Math.log10(0.125), 12);
    expect(shared.max).toBeCloseTo(Math.log10(40), 12);
    const option = heatmapOption(panels[0], { stepScale: 'log', colour: shared });
    const vm = option.visualMap as { min: number; max: number; dimension: number };
    expect([vm.min, vm.max]).toEqual([shared.min, shared.max]);
    expect(vm.dimension).toBe(CELL.colour);
    const cell = (option.series as Series[])[0].data[0];
    expect(cell[CELL.colour]).toBeCloseTo(Math.log10(10), 12);
    // Per-panel normalisation: the bias panel alone is constant 7 -> padded range around log10(7).
    const own = colourScaleFor([panels[2]]);
    expect(own.min).toBeLessThan(Math.log10(7));
    expect(own.max).toBeGreaterThan(Math.log10(7));
  });

  it('signed data gets a symmetric diverging scale', () => {
    const g = grid();
    g.values[2] = [-3, 1, 2, 0.5];
    const panels = panelsFromGrid(g, 'run', { id: 'mean', label: 'Mean', unit: 'value' });
    const scale = colourScaleFor(panels);
    expect(scale).toEqual({ mode: 'diverging', log: false, min: -40, max: 40 });
  });

  it('tooltip names run, component, block, step and unit', () => {
    const panels = panelsFromGrid(grid(), 'pythia<70m>', metric);
    const option = heatmapOption(panels[1], { stepScale: 'log', colour: colourScaleFor(panels) });
    const cell = (option.series as Series[])[0].data.find((d) => d[CELL.row] === 1 && d[CELL.column] === 3)!;
    const text = (option.tooltip as { formatter: (p: { value: number[] }) => string }).formatter({ value: cell });
    expect(text).toContain('pythia&lt;70m&gt;');
    expect(text).toContain('mlp.in');
    expect(text).toContain('block 1');
    expect(text).toContain('step 100');
    expect(text).toContain('<b>4</b> ‖W‖F');
  });
});

describe('colour bar ends', () => {
  it('a narrow range is labelled with as many digits as tell its ends apart (a two-checkpoint run read "14.2" at both)', () => {
    const narrow: ScalarGrid = { runId: 'r', metric: 'frobenius_norm', steps: [0, 8], checkpointIds: ['step0', 'step8'], tensors: [{ tensor: 'embed.w', component: 'embed', block: 'embed', kind: 'weight' }], values: [[14.19, 14.24]] };
    const [panel] = panelsFromGrid(narrow, 'subset-run', metric);
    const bar = heatmapOption(panel, { stepScale: 'log', colour: colourScaleFor([panel]) }).visualMap as { text: [string, string] };
    // The scale is log colour (the metric asks for it): its ends are 10^max and 10^min, the values themselves.
    expect(bar.text).toEqual(['14.24', '14.19']);
    expect(rangeTicks(0.5, 8)).toEqual(['0.5', '8']);
    expect(rangeTicks(1.00001, 1.00002)).toEqual(['1.00001', '1.00002']);
    expect(rangeTicks(123456.7, 123456.9)).toEqual(['123456.7', '123456.9']);
    expect(rangeTicks(2.0014e-3, 2.0019e-3)).toEqual(['2.001e-3', '2.002e-3']);
    // Beyond 7 digits they may stay equal (a constant is padded by colourScaleFor, never this close).
    expect(rangeTicks(1, 1 + 1e-12)).toEqual(['1', '1']);
  });
});

describe('step ticks', () => {
  it('linear ticks are round steps inside the extent', () => {
    expect(stepTicks('linear', [-500, 143500])).toEqual([0, 20000, 40000, 60000, 80000, 100000, 120000, 140000]);
    expect(stepTicks('log', [Math.log10(0.5) - 0.15, Math.log10(143000) + 0.1])).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('heatmap colours (canvas fast path)', () => {
  it('maps the range ends to the first and last stop and clamps beyond', async () => {
    const { heatmapColour, heatmapStops } = await import('../../../common/charts/heatmap');
    const { VIRIDIS, BLUE_ORANGE } = await import('../../../common/charts/palette');
    const scale = { mode: 'sequential' as const, log: false, min: 2, max: 4 };
    const hex = (c: number[]) => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
    expect(hex(heatmapColour(2, scale))).toBe(VIRIDIS[0]);
    expect(hex(heatmapColour(4, scale))).toBe(VIRIDIS[9]);
    expect(hex(heatmapColour(99, scale))).toBe(VIRIDIS[9]);
    // t = 1/9 is exactly the second stop.
    expect(hex(heatmapColour(2 + 2 / 9, scale))).toBe(VIRIDIS[1]);
    const div = { mode: 'diverging' as const, log: false, min: -1, max: 1 };
    expect(heatmapStops(div)).toBe(BLUE_ORANGE);
    expect(hex(heatmapColour(0, div))).toBe(BLUE_ORANGE[4]);
  });
});
