import { describe, expect, it } from 'vitest';
import type { ScalingResult } from '../../../common/api';
import { formatParams, logBounds, scalingCsv, scalingOption, scalingWhen } from '../../../common/charts/scaling';

const result: ScalingResult = {
  metric: 'max_abs', label: 'Residual max |x|', unit: 'value', align: 'step', at: 2600, reduce: 'max-ever', lines: 'depth', component: 'resid', kind: null, params: 'total',
  axis: [0, 2600],
  series: [{ id: 'depth0', label: 'depth 0', slope: 0.5 }, { id: 'depth1', label: 'depth 1', slope: null }],
  runs: [
    { runId: 'b', name: 'big, "x"', params: 4_000_000, paramsMethod: 'closed form', checkpointId: 'step2600', step: 2600, tokens: null, values: [20, null], tensors: ['resid.0', null], note: null },
    { runId: 'a', name: 'small', params: 40_000, paramsMethod: 'closed form', checkpointId: 'step2600', step: 2600, tokens: null, values: [2, 3], tensors: ['resid.0', 'resid.3'], note: null },
    { runId: 'c', name: 'unsized', params: null, paramsMethod: 'no closed form', checkpointId: 'step2600', step: 2600, tokens: null, values: [1, 1], tensors: ['r', 'r'], note: null },
  ],
};

describe('scaling chart', () => {
  it('log bounds are whole decades', () => {
    expect(logBounds([0.4, 17])).toEqual({ min: 0.1, max: 100 });
    expect(logBounds([10])).toEqual({ min: 10, max: 100 });
    expect(logBounds([0, -1])).toEqual({});
  });
  it('labels say what the values are', () => {
    expect(scalingWhen(result)).toBe('max up to step 2600');
    expect(scalingWhen({ align: 'tokens', at: 1_200_000, reduce: 'at' })).toBe('at 1.2M tokens');
    expect(formatParams(162_322_944)).toBe('162M');
    expect(formatParams(1_100_048_384)).toBe('1.1B');
  });
  it('one series per line, points sorted by size, runs without a size or value left off, slope in the legend', () => {
    const o = scalingOption(result) as { series: Array<{ name: string; data: Array<{ value: number[]; name: string }> }>; xAxis: { type: string; min: number; max: number } };
    expect(o.series.map((s) => s.name)).toEqual(['depth 0 (slope 0.50)', 'depth 1']);
    expect(o.series[0].data.map((p) => p.value)).toEqual([[40_000, 2], [4_000_000, 20]]);
    expect(o.series[1].data.map((p) => p.name)).toEqual(['small']);
    expect(o.xAxis).toMatchObject({ type: 'log', min: 1e4, max: 1e7 });
  });
  it('CSV: one row per run x series, quoted names, empty cells for missing values', () => {
    const lines = scalingCsv(result).trim().split('\n');
    expect(lines).toHaveLength(1 + 3 * 2);
    expect(lines[1]).toBe('"big, ""x""",b,4000000,total,closed form,step,2600,step2600,2600,,max_abs,value,max-ever,depth 0,resid.0,20,0.5');
    expect(lines[2]).toBe('"big, ""x""",b,4000000,total,closed form,step,2600,step2600,2600,,max_abs,value,max-ever,depth 1,,,');
  });
});
