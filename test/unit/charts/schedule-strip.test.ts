// common/charts/schedule-strip.ts: the strip spans exactly the columns of a heatmap of the same
// checkpoints (same extent as heatmapOption's x axis, log and linear), puts each log entry at its
// step's axis position (step 0 at half the smallest positive x, as the heatmap does), keeps the
// learning-rate values in order on the right axis, and marks the current checkpoint.
import { describe, expect, it } from 'vitest';
import { alignRunsOnX, heatmapOption, scheduleStripOption, type HeatmapPanel } from '../../../common/charts';

const steps = [0, 1, 2, 4, 512, 1000];
const panel: HeatmapPanel = {
  runId: 'r', runName: 'run', component: 'mlp.out', kind: 'weight', metric: { id: 'frobenius_norm', label: 'Frobenius norm', unit: '' },
  steps, checkpointIds: steps.map((s) => `c${s}`), rows: [{ tensor: 't', block: 0, values: steps.map((s) => s + 1) }],
};
const strip = { runName: 'run', colour: '#332288', loss: { x: [1, 10, 100], values: [9, 5, 3] }, learningRate: { x: [0, 10, 1000], values: [0, 6e-4, 1e-4] } };

describe('schedule strip', () => {
  for (const scale of ['log', 'linear'] as const) {
    it(`same x extent as the heatmap above (${scale})`, () => {
      const heat = heatmapOption(panel, { stepScale: scale, colour: { mode: 'sequential', log: false, min: 0, max: 1 } }).xAxis as { min: number; max: number };
      const x = scheduleStripOption([strip], { stepScale: scale, checkpointX: steps, xName: 'step' }).xAxis as { min: number; max: number };
      expect(x.min).toBeCloseTo(heat.min, 12);
      expect(x.max).toBeCloseTo(heat.max, 12);
    });
  }

  it('log positions, values in order, lr on the right axis, cursor line', () => {
    const opt = scheduleStripOption([strip], { stepScale: 'log', checkpointX: steps, xName: 'step', cursor: 512 });
    const series = opt.series as Array<{ name: string; yAxisIndex: number; data: number[][]; markLine?: { data: Array<{ xAxis: number }> } }>;
    const lr = series.find((s) => s.name === 'run · learning rate')!;
    expect(lr.yAxisIndex).toBe(1);
    expect(lr.data.map((d) => d[1])).toEqual([0, 6e-4, 1e-4]);
    expect(lr.data.map((d) => d[0])).toEqual([Math.log10(0.5), 1, 3]);
    expect(series[0].markLine!.data[0].xAxis).toBeCloseTo(Math.log10(512), 12);
    // tokens: 0 sits at half the smallest positive count, as xPositions places heatmap columns.
    const t = scheduleStripOption([strip], { stepScale: 'log', checkpointX: [0, 2048, 4096], xName: 'tokens seen' }).series as Array<{ data: number[][] }>;
    expect(t[1].data[0][0]).toBeCloseTo(Math.log10(1024), 12);
  });

  it("runs side by side on tokens: each run's strip takes the heatmaps' shared range (alignRunsOnX)", () => {
    // Run b saw twice the tokens per step of run a: on its own, each strip would end at its own last column.
    const onTokens = (runId: string, perStep: number): HeatmapPanel => ({ ...panel, runId, x: { unit: 'tokens', values: steps.map((s) => s * perStep) } });
    const a = onTokens('a', 2048);
    const b = onTokens('b', 4096);
    for (const scale of ['log', 'linear'] as const) {
      const aligned = alignRunsOnX([a, b], scale);
      const shared = aligned.get(a)!.x!.extent!;
      expect(aligned.get(b)!.x!.extent).toEqual(shared);
      const own = (p: HeatmapPanel) => scheduleStripOption([strip], { stepScale: scale, checkpointX: p.x!.values, xName: 'tokens seen' }).xAxis as { min: number; max: number };
      expect(own(a).max).toBeLessThan(own(b).max);
      for (const p of [a, b]) {
        const x = scheduleStripOption([strip], { stepScale: scale, checkpointX: p.x!.values, xName: 'tokens seen', extent: shared }).xAxis as { min: number; max: number };
        expect([x.min, x.max]).toEqual(shared);
        // The same as the aligned heatmap's axis above it.
        const heat = heatmapOption(aligned.get(p)!, { stepScale: scale, colour: { mode: 'sequential', log: false, min: 0, max: 1 } }).xAxis as { min: number; max: number };
        expect([heat.min, heat.max]).toEqual(shared);
      }
    }
  });
});
