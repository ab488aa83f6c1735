// The shared step/tokens axis (common/charts/step-axis.ts) and heatmap columns on it: closed forms.
import { describe, expect, it } from 'vitest';
import { axisLabel, axisName, columnPositions, heatmapOption, stepPosition, tokensKnown, xOfRun, xPositions, type HeatmapPanel } from '../../../common/charts';

const ckpts = [{ step: 0, tokens: 0 }, { step: 1, tokens: 2048 }, { step: 2, tokens: 4096 }, { step: 512, tokens: 2048 * 512 }];

describe('step/tokens axis', () => {
  it('maps steps to tokens per run, and says when tokens are unknown', () => {
    expect(xOfRun('step', [])!(7)).toBe(7);
    expect(xOfRun('tokens', ckpts)!(512)).toBe(1_048_576);
    expect(xOfRun('tokens', ckpts)!(256)).toBe(524_288); // linear between checkpoints
    expect(xOfRun('tokens', [{ step: 0, tokens: null }])).toBeNull();
    expect(tokensKnown([ckpts, [{ step: 3, tokens: null }]])).toBe(false);
    expect(tokensKnown([ckpts])).toBe(true);
    expect([axisName('step'), axisName('tokens')]).toEqual(['step', 'tokens seen']);
    expect(axisLabel('tokens', 512, 1_048_576)).toBe('1M tokens (step 512)');
    expect(axisLabel('step', 512, 512)).toBe('step 512');
  });

  it('log positions put 0 at half the smallest positive value (steps: as stepPosition)', () => {
    expect(xPositions([0, 2048, 4096], 'log')).toEqual([Math.log10(1024), Math.log10(2048), Math.log10(4096)]);
    expect(xPositions([0, 1, 2, 4], 'log')).toEqual([0, 1, 2, 4].map((s) => stepPosition(s, 'log')));
    expect(xPositions([0, 5, 9], 'linear')).toEqual([0, 5, 9]);
  });

  it('heatmap columns on tokens: positions, axis name and the tooltip line', () => {
    const panel: HeatmapPanel = {
      runId: 'r', runName: 'run', component: 'mlp.out', kind: 'weight', metric: { id: 'm', label: 'M', unit: '' },
      steps: [0, 1, 2, 512], checkpointIds: ['a', 'b', 'c', 'd'], rows: [{ tensor: 't', block: 0, values: [1, 2, 3, 4] }],
      x: { unit: 'tokens', values: ckpts.map((c) => c.tokens) },
    };
    expect(columnPositions(panel, 'log')).toEqual(xPositions(ckpts.map((c) => c.tokens), 'log'));
    const opt = heatmapOption(panel, { stepScale: 'log', colour: { mode: 'sequential', log: false, min: 0, max: 5 } });
    expect((opt.xAxis as { name: string }).name).toBe('tokens seen');
    const cell = (opt.series as Array<{ data: number[][] }>)[0].data[3];
    expect((opt.tooltip as { formatter: (p: { value: number[] }) => string }).formatter({ value: cell })).toContain('step 512 (d) · 1M tokens');
    expect(columnPositions({ ...panel, x: undefined }, 'log')).toEqual([0, 1, 2, 512].map((s) => stepPosition(s, 'log')));
  });
});
