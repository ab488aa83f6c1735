// Curves: points map steps to axis positions and values unchanged; log y drops to linear when a
// value is not positive; the loss strip is a second grid on the same step axis.
import { describe, expect, it } from 'vitest';
import type { ScalarGrid } from '../../../common/api';
import { curvePoints, curvesOption, emaSmooth, linesFromGrid, shortRunNames } from '../../../common/charts/curves';

const g: ScalarGrid = {
  runId: 'r',
  metric: 'frobenius_norm',
  steps: [0, 1000, 2000],
  checkpointIds: ['a', 'b', 'c'],
  tensors: [
    { tensor: 'l1', component: 'attn.out', block: 1, kind: 'weight' },
    { tensor: 'l0', component: 'attn.out', block: 0, kind: 'weight' },
    { tensor: 'x', component: 'mlp.in', block: 0, kind: 'weight' },
  ],
  values: [
    [3, 4, 5],
    [1, null, 2],
    [9, 9, 9],
  ],
};

describe('curves', () => {
  it('one line per block of the component, by depth', () => {
    const lines = linesFromGrid(g, 'run', 0, 'attn.out', 'weight');
    expect(lines.map((l) => l.tensor)).toEqual(['l0', 'l1']);
  });

  it('log step positions; nulls dropped', () => {
    expect(curvePoints([0, 1000, 2000], [1, null, 2], 'log', false)).toEqual([
      [Math.log10(0.5), 1, 0],
      [Math.log10(2000), 2, 2000],
    ]);
  });

  it('builds a loss grid and falls back to linear y on non-positive values', () => {
    const lines = linesFromGrid(g, 'run', 0, 'attn.out', 'weight');
    lines[0].values = [1, -1, 2];
    const option = curvesOption({
      title: 'attn.out',
      metric: { id: 'mean', label: 'Mean', unit: 'value' },
      lines,
      loss: [{ runName: 'run', runIndex: 0, label: 'training loss', steps: [10, 1000], values: [10.5, 3.2] }],
      stepScale: 'linear',
      yLog: true,
    });
    const y = option.yAxis as Array<{ type: string; gridIndex: number }>;
    expect(y[0].type).toBe('value');
    expect(y).toHaveLength(2);
    const series = option.series as Array<{ xAxisIndex: number; data: number[][]; color: string }>;
    expect(series).toHaveLength(3);
    expect(series[2].xAxisIndex).toBe(1);
    expect(series[2].data).toEqual([
      [10, 10.5, 10],
      [1000, 3.2, 1000],
    ]);
    expect(series[1].data.map((p) => p[1])).toEqual([3, 4, 5]);
    // Blocks coloured differently (by depth).
    expect(series[0].color).not.toBe(series[1].color);
  });
});

describe('formatting', () => {
  it('ticks and steps read like a person writes them', async () => {
    const { formatTick, formatStep, formatValue } = await import('../../../common/charts/format');
    expect([2500, 0.0156, 1.5e7, 0.001, -3].map(formatTick)).toEqual(['2500', '0.0156', '1.5e7', '1.0e-3', '-3']);
    expect([0, 512, 1000, 143000, 1_500_000].map(formatStep)).toEqual(['0', '512', '1k', '143k', '1.5M']);
    expect(formatValue(17.85612)).toBe('17.856');
  });
});

describe('log y range', () => {
  it('follows the data, not whole decades', async () => {
    const { curvesOption } = await import('../../../common/charts/curves');
    const o = curvesOption({
      title: 't',
      metric: { id: 'frobenius_norm', label: 'Frobenius norm', unit: '' },
      lines: [{ runName: 'r', runIndex: 0, block: 0, tensor: 'a', steps: [1, 2], values: [7, 80] }],
      loss: [],
      stepScale: 'log',
      yLog: true,
    });
    const y = (o.yAxis as Array<{ type: string; min: (e: { min: number }) => number; max: (e: { max: number }) => number }>)[0];
    expect(y.type).toBe('log');
    expect(y.min({ min: 7 })).toBeCloseTo(7 / 1.05, 12);
    expect(y.max({ max: 8 })).toBeCloseTo(8 * 1.05, 12);
  });
});

describe('log y only over a decade or more', () => {
  it('falls back to linear (and says why) when values span less than a decade', async () => {
    const { curvesOption, chooseLogY } = await import('../../../common/charts/curves');
    const lines = [{ values: [7, 8] }];
    expect(chooseLogY(true, lines)).toEqual({ log: false, why: 'linear y: values span under a decade' });
    expect(chooseLogY(true, [{ values: [1, 10] }]).log).toBe(true);
    const o = curvesOption({ title: 't', metric: { id: 'm', label: 'M', unit: '' }, lines: [{ runName: 'r', runIndex: 0, block: 0, tensor: 'a', steps: [1, 2], values: [7, 8] }], loss: [], stepScale: 'log', yLog: true });
    expect((o.yAxis as Array<{ type: string }>)[0].type).toBe('value');
    expect((o.title as { subtext: string }).subtext).toContain('under a decade');
  });

  it('legend: one run names only the block (the title names the run); two runs keep the run', () => {
    const line = (runName: string, runIndex: number, block: number) => ({ runName, runIndex, block, tensor: `t${block}`, steps: [1, 2], values: [1, 2] });
    const metric = { id: 'm', label: 'M', unit: '' };
    const one = curvesOption({ title: 't', metric, lines: [line('run · a', 0, 0), line('run · a', 0, 1)], loss: [], stepScale: 'log', yLog: false });
    const legend = one.legend as { data: string[]; formatter?: (name: string) => string };
    expect(legend.data).toEqual(['run · a · block 0', 'run · a · block 1']);
    expect(legend.data.map((n) => legend.formatter!(n))).toEqual(['block 0', 'block 1']);
    const two = curvesOption({ title: 't', metric, lines: [line('r1', 0, 0), line('r2', 1, 0)], loss: [], stepScale: 'log', yLog: false });
    const legend2 = two.legend as { data: string[]; formatter: (name: string) => string };
    // Issue 15 #5: the block comes first (a cut removes the run's end, never the block), and the
    // subtitle says which run is dashed.
    expect(legend2.data.map((n) => legend2.formatter(n))).toEqual(['block 0 · r1', 'block 0 · r2']);
    expect((two.title as { subtext: string }).subtext).toContain('solid: r1, dashed: r2');
  });

  it('legend of several runs: the start their names share is left out, so a cut keeps the run (training loss of tiny and small told apart)', () => {
    const line = (runName: string, runIndex: number, block: number) => ({ runName, runIndex, block, tensor: `t${block}`, steps: [1, 2], values: [1, 2] });
    const loss = (runName: string, runIndex: number) => ({ runName, runIndex, label: 'training loss', steps: [1, 2], values: [5, 4] });
    const runs = ['atlas-demo-tiny (mean of 3 seeds)', 'atlas-demo-small', 'atlas-demo-tiny-seed1'];
    const o = curvesOption({ title: 't', metric: { id: 'm', label: 'M', unit: '' }, lines: runs.map((r, i) => line(r, i, 0)), loss: runs.slice(0, 2).map(loss), stepScale: 'log', yLog: false });
    const legend = o.legend as { data: string[]; formatter: (name: string) => string };
    expect(legend.data.map((n) => legend.formatter(n))).toEqual(['block 0 · tiny (mean of 3 seeds)', 'block 0 · small', 'block 0 · tiny-seed1', 'training loss · tiny (mean of 3 seeds)', 'training loss · small']);
    // What the legend's 112 px of 10 px text shows (~18 characters) still tells the two losses apart.
    const shown = legend.data.slice(3).map((n) => legend.formatter(n).slice(0, 18));
    expect(new Set(shown).size).toBe(2);
    // Names sharing no start at a separator, or one that would be left empty, stay whole.
    expect([...shortRunNames(['pythia-160m', 'pythia-410m']).values()]).toEqual(['160m', '410m']);
    expect([...shortRunNames(['run-a', 'run-']).values()]).toEqual(['run-a', 'run-']);
    expect([...shortRunNames(['alpha', 'beta']).values()]).toEqual(['alpha', 'beta']);
  });

  it('issue 15 #5: EMA smoothing equals a naive debiased EMA, raw line faint under the same name', () => {
    const values = [4, null, 6, 1, 9, 3];
    const w = 0.6;
    // Naive: TensorBoard's formula written out.
    const expected: Array<number | null> = [];
    let acc = 0;
    let n = 0;
    for (const v of values) {
      if (v === null) {
        expected.push(null);
        continue;
      }
      acc = w * acc + (1 - w) * v;
      n++;
      expected.push(acc / (1 - Math.pow(w, n)));
    }
    const got = emaSmooth(values, w);
    got.forEach((v, i) => (expected[i] === null ? expect(v).toBeNull() : expect(v).toBeCloseTo(expected[i], 12)));
    expect(emaSmooth(values, 0)).toEqual(values);
    const steps = [1, 2, 3, 4, 5, 6];
    const o = curvesOption({ title: 't', metric: { id: 'm', label: 'M', unit: '' }, lines: [{ runName: 'r', runIndex: 0, block: 0, tensor: 'a', steps, values }], loss: [], stepScale: 'linear', yLog: false, smoothing: w, interactive: true });
    const series = o.series as Array<{ name: string; data: number[][]; lineStyle: { opacity?: number } }>;
    expect(series.map((s) => s.name)).toEqual(['r · block 0', 'r · block 0']);
    expect(series[0].lineStyle.opacity).toBe(0.25);
    expect(series[0].data.map((p) => p[1])).toEqual([4, 6, 1, 9, 3]);
    expect(series[1].data.map((p) => p[1])).toEqual(expected.filter((v) => v !== null));
    // Interactive: values of every line at the hovered step, one crosshair over both grids, zoom.
    expect((o.tooltip as { trigger: string }).trigger).toBe('axis');
    expect(o.axisPointer).toEqual({ link: [{ xAxisIndex: 'all' }] });
    expect((o.dataZoom as Array<{ type: string }>)[0].type).toBe('inside');
  });
});
