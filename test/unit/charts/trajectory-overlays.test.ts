import { describe, expect, it } from 'vitest';
import { curvesOption, stepPosition, tokensOfSteps, withTrajectoryOverlays } from '../../../common/charts';

const steps = [0, 1, 2, 4, 8, 100, 200, 300];
const base = () => curvesOption({
  title: 't', metric: { id: 'frobenius_norm', label: 'Frobenius norm', unit: '‖W‖F' },
  lines: [{ runName: 'r', runIndex: 0, block: 0, tensor: 'a', steps, values: steps.map((s) => 1 + s / 100) }],
  loss: [{ runName: 'r', runIndex: 0, label: 'training loss', steps, values: steps.map((s) => 5 - s / 100) }],
  stepScale: 'log', yLog: false,
});

describe('trajectory overlays on the curves chart', () => {
  it('marks change points on their line, draws the forecast to twice the last step, the timeline and the LR in the loss strip', () => {
    const option = withTrajectoryOverlays(base(), {
      stepScale: 'log', yLog: false, blocks: [0],
      changes: [{ runName: 'r', tensor: 'a', block: 0, step: 100, value: 2, strength: 1.5 }],
      forecasts: [{ runName: 'r', runIndex: 0, tensor: 'a', block: 0, form: 'saturating', points: [300, 450, 600].map((s) => ({ step: s, value: 1 + s / 100, lower: s / 100, upper: 2 + s / 100 })) }],
      timeline: [{ step: 100, fraction: 0.25, count: 3 }],
      learningRate: [{ runName: 'r', steps: [0, 100, 300], values: [0, 1e-3, 5e-4] }],
    });
    const series = option.series as Array<Record<string, unknown>>;
    const marks = series.find((s) => s.name === 'change points')!;
    expect((marks.data as unknown[][])[0].slice(0, 4)).toEqual([stepPosition(100, 'log'), 2, 100, 1.5]);
    const fc = series.filter((s) => s.name === 'r · block 0 forecast');
    expect(fc.length).toBe(5); // fitted line, two bounds, two stacked band series (linear y)
    const x = option.xAxis as Array<{ max: number; gridIndex: number }>;
    expect(x.every((a) => a.max >= stepPosition(600, 'log'))).toBe(true);
    const bars = series.find((s) => s.name === 'regime timeline')!;
    expect(bars.xAxisIndex).toBe(1);
    expect((bars.data as number[][])[0]).toEqual([stepPosition(100, 'log'), 1, 100, 3]);
    const lr = series.find((s) => s.name === 'r · learning rate')!;
    expect(lr.xAxisIndex).toBe(1);
    expect((option.yAxis as unknown[]).length).toBe(4);
    expect((option.legend as { data: string[] }).data).toEqual(expect.arrayContaining(['change points', 'regime timeline', 'r · learning rate']));
  });

  it('does not shade the band on a log y axis, and adds nothing without overlays', () => {
    const o = withTrajectoryOverlays(base(), { stepScale: 'log', yLog: true, blocks: [0], forecasts: [{ runName: 'r', runIndex: 0, tensor: 'a', block: 0, form: 'power_law', points: [{ step: 300, value: 4, lower: 3, upper: 5 }] }] });
    expect((o.series as unknown[]).length - (base().series as unknown[]).length).toBe(3);
    expect((withTrajectoryOverlays(base(), { stepScale: 'log', yLog: false, blocks: [0] }).series as unknown[]).length).toBe((base().series as unknown[]).length);
  });

  it('tokensOfSteps: exact at checkpoints, linear between, last tokens per step beyond; null without counts', () => {
    const f = tokensOfSteps([{ step: 0, tokens: 0 }, { step: 10, tokens: 20_480 }, { step: 20, tokens: 40_000 }])!;
    expect([f(0), f(10), f(15), f(20), f(40)]).toEqual([0, 20_480, 30_240, 40_000, 80_000]);
    expect(tokensOfSteps([{ step: 0, tokens: null }, { step: 10 }])).toBeNull();
  });
});
