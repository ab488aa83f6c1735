// Animation frames: histogram bins and under/overflow, QQ points and the y = x line, spectrum
// rank/value pairs, correlation cells under a reordering, and the clustering that makes it.
import { describe, expect, it } from 'vitest';
import {
  asHistogramFrame,
  asQqFrame,
  clusterOrder,
  correlationCells,
  correlationOption,
  correlationPixels,
  histogramOption,
  histogramUpdate,
  histogramYMax,
  qqExtent,
  qqOption,
  spectrumExtent,
  spectrumOption,
  type FrameLabel,
} from '../../../common/charts';

const label: FrameLabel = { runName: 'run', tensor: 'layers.3.mlp.w', component: 'mlp.in', block: 3, step: 2000, checkpointId: 'step2000', unit: 'value' };

describe('histogram', () => {
  it('maps counts to bins and under/overflow to the end bars', () => {
    const f = asHistogramFrame({ edges: [-1, 0, 1, 2], counts: [5, 0, 7], underflow: 2, overflow: 0 })!;
    const linear = histogramOption(f, label, { yLog: false, yMax: 10 });
    const s = linear.series as Array<{ data: Array<number | null> }>;
    expect(s[0].data).toEqual([null, 5, 0, 7, null]);
    expect(s[1].data).toEqual([2, null, null, null, 0]);
    expect((linear.xAxis as { data: string[] }).data).toEqual(['<-1', '-0.5', '0.5', '1.5', '>2']);
    expect((linear.title as Array<{ subtext: string }>)[0].subtext).toBe('run · mlp.in · block 3 · step 2k · value');
    const log = histogramUpdate(f, label, { yLog: true });
    expect((log.series as Array<{ data: Array<number | null> }>)[0].data).toEqual([null, 5, null, 7, null]);
    expect(histogramYMax([f, null, { edges: [0, 1], counts: [3], underflow: 12, overflow: 0 }])).toBe(12);
  });
  it('rejects edges that do not bound the counts', () => {
    expect(() => asHistogramFrame({ edges: [0, 1], counts: [1, 2], underflow: 0, overflow: 0 })).toThrow(/one longer/);
  });
});

describe('qq', () => {
  it('pairs theoretical with empirical quantiles and draws y = x over the extent', () => {
    const f = asQqFrame({ probabilities: [0.1, 0.5, 0.9], empirical: [-2, 0, 3], gaussian: [-1.28, 0, 1.28], logistic: [-1.2, 0, 1.2], student_t: [-1.5, 0, 1.5] })!;
    const extent = qqExtent([f], 'student_t');
    expect(extent[0]).toBeLessThan(-2);
    expect(extent[1]).toBeGreaterThan(3);
    const o = qqOption(f, label, { family: 'student_t', extent });
    const s = o.series as Array<{ data: number[][] }>;
    expect(s[0].data).toEqual([
      [-1.5, -2, 0.1],
      [0, 0, 0.5],
      [1.5, 3, 0.9],
    ]);
    expect(s[1].data).toEqual([
      [extent[0], extent[0]],
      [extent[1], extent[1]],
    ]);
  });
});

describe('spectrum', () => {
  it('rank vs value on log-log axes spanning all frames', () => {
    const frames = [{ singular_values: [8, 2, 0.5, 0] }, { singular_values: [30, 3] }];
    const e = spectrumExtent(frames);
    expect(e).toEqual({ maxRank: 3, sMin: 0.5, sMax: 30 });
    const o = spectrumOption(frames[0], label, e);
    expect((o.series as Array<{ data: number[][] }>)[0].data).toEqual([
      [1, 8],
      [2, 2],
      [3, 0.5],
    ]);
    expect((o.yAxis as { type: string; min: number; max: number })).toMatchObject({ type: 'log', min: 0.1, max: 100 });
  });
});

describe('correlation', () => {
  // Two interleaved clusters: rows {0, 2, 4} and {1, 3, 5} correlate within, anti-correlate across.
  const n = 6;
  const matrix: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) matrix.push(i === j ? 1 : i % 2 === j % 2 ? 0.8 - 0.01 * Math.abs(i - j) : -0.3);

  it('clustering puts each cluster contiguous', () => {
    const order = clusterOrder(matrix);
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const parity = order.map((i) => i % 2);
    expect(parity.slice(0, 3).every((p) => p === parity[0])).toBe(true);
    expect(parity.slice(3).every((p) => p !== parity[0])).toBe(true);
  });

  it('cell (x, y) holds matrix[order[y]][order[x]]; fixed [-1, 1] scale', () => {
    const order = clusterOrder(matrix);
    const cells = correlationCells({ rows: [0, n], matrix }, order);
    for (const [x, y, r] of cells) expect(r).toBe(matrix[order[y] * n + order[x]]);
    const o = correlationOption({ rows: [0, n], matrix }, label, { order });
    expect(o.visualMap).toMatchObject({ min: -1, max: 1 });
    expect((o.xAxis as { data: string[] }).data).toEqual(order.map(String));
  });

  it('pixels: +1 and -1 map to the two ends of the diverging scale', () => {
    const px = correlationPixels({ rows: [0, 2], matrix: [[1, -1], [-1, 1]] });
    expect([...px.slice(0, 4)]).toEqual([0x7f, 0x27, 0x04, 255]);
    expect([...px.slice(4, 8)]).toEqual([0x08, 0x30, 0x6b, 255]);
  });
});

describe('typed-array frames (as decoded by common/frames.ts)', () => {
  it('accepts Float32Array fields', async () => {
    const { encodeFrame, decodeFrame } = await import('../../../common/frames');
    const { asSpectrumFrame, asCorrelationFrame, correlationAt } = await import('../../../common/charts');
    const spectrum = asSpectrumFrame(decodeFrame(JSON.parse(encodeFrame({ singular_values: Float32Array.from([4, 2, 1]) }))))!;
    expect(spectrum.singular_values).toEqual([4, 2, 1]);
    const m = Float32Array.from([1, 0.5, 0.5, 1]);
    const corr = asCorrelationFrame(decodeFrame(JSON.parse(encodeFrame({ rows: [0, 2], matrix: m, order: [1, 0] }))))!;
    expect(corr.order).toEqual([1, 0]);
    expect(correlationAt(corr.matrix, 2, 0, 1)).toBe(0.5);
  });
});

describe('engine frame spellings', () => {
  it('weight histograms given as {lo, hi, bins} get linspace edges; QQ studentT is student_t', async () => {
    const { asHistogramFrame, asQqFrame } = await import('../../../common/charts');
    const h = asHistogramFrame({ lo: -1, hi: 1, bins: 4, counts: [1, 2, 3, 4], underflow: 0, overflow: 1 })!;
    expect(h.edges).toEqual([-1, -0.5, 0, 0.5, 1]);
    const q = asQqFrame({ probabilities: [0.5], empirical: [0.1], gaussian: [0], logistic: [0], studentT: [0.2] })!;
    expect(q.student_t).toEqual([0.2]);
  });
});
