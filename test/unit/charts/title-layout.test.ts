// Issue 15 #4: chart titles overlapped their subtitles in panels, curves, animations and every
// exported PNG/GIF frame. zrender sizes a text line by the width of the glyph 国; on a machine
// without CJK fonts (Debian's Chromium, @napi-rs/canvas here) that is ~4.7 px for 13 px text, so
// the subtitle was placed 7 px under the title's top. Drawn here on the same canvas the PNG and
// GIF exporters use, the title and subtitle boxes (as laid out, with their transforms) must not
// overlap, and the subtitle must start at least a title font size below the title's top.
import { createCanvas } from '@napi-rs/canvas';
import * as echarts from 'echarts';
import { afterAll, describe, expect, it } from 'vitest';
import { curvesOption } from '../../../common/charts/curves';
import { correlationOption } from '../../../common/charts/correlation';
import { heatmapOption, colourScaleFor, type HeatmapPanel } from '../../../common/charts/heatmap';
import { histogramOption } from '../../../common/charts/histogram';
import { qqOption } from '../../../common/charts/qq';
import { spectrumOption } from '../../../common/charts/spectrum';
import type { ChartOption } from '../../../common/charts/types';

echarts.setPlatformAPI({ createCanvas: () => createCanvas(32, 32) as unknown as HTMLCanvasElement });
const charts: echarts.ECharts[] = [];
afterAll(() => charts.forEach((c) => c.dispose()));

interface Box {
  text: string;
  top: number;
  bottom: number;
  fontSize: number;
}

/** The laid-out boxes of every text element of the chart's title components. */
function titleBoxes(option: ChartOption): Box[] {
  const canvas = createCanvas(640, 400);
  const chart = echarts.init(canvas as unknown as HTMLCanvasElement, null, { width: 640, height: 400, renderer: 'canvas' });
  charts.push(chart);
  chart.setOption(option as echarts.EChartsOption);
  const zr = (chart as unknown as { getZr(): { flush(): void; storage: { getDisplayList(update: boolean): Array<Record<string, never>> } } }).getZr();
  zr.flush();
  const titles = ([] as Array<{ text?: string; subtext?: string }>).concat(option.title as never);
  const wanted = new Set(titles.flatMap((t) => [t.text, t.subtext]).filter((t): t is string => !!t));
  const out: Box[] = [];
  for (const el of zr.storage.getDisplayList(true) as unknown as Array<{ style?: { text?: string; fontSize?: number; font?: string }; getBoundingRect(): { clone(): { applyTransform(m: number[] | null): void; y: number; height: number } }; transform: number[] | null; type: string }>) {
    const text = el.style?.text;
    if (!text || !wanted.has(text)) continue;
    const r = el.getBoundingRect().clone();
    r.applyTransform(el.transform);
    const size = Number(/(\d+)px/.exec(el.style?.font ?? '')?.[1] ?? el.style?.fontSize ?? 12);
    out.push({ text, top: r.y, bottom: r.y + r.height, fontSize: size });
  }
  return out;
}

const label = { runName: 'atlas-demo-small', tensor: 'gpt_neox.layers.1.attention.query_key_value.weight', component: 'attn.qkv', block: 1, step: 1300, checkpointId: 'step1300', unit: 'value' };
const edges = Array.from({ length: 41 }, (_, i) => -1 + i * 0.05);
const panel: HeatmapPanel = {
  runId: 'r',
  runName: 'atlas-demo-small',
  component: 'attn.qkv',
  kind: 'weight',
  metric: { id: 'frobenius_norm', label: 'Frobenius norm', unit: '‖W‖F' },
  steps: [0, 1, 2, 4],
  checkpointIds: ['step0', 'step1', 'step2', 'step4'],
  rows: [0, 1, 2].map((b) => ({ tensor: `t${b}`, block: b, values: [1, 2, 3, 4] })) as never,
};
const options: Array<[string, ChartOption]> = [
  ['histogram', histogramOption({ edges, counts: edges.slice(1).map((_, i) => i * 3), underflow: 1, overflow: 2 }, label, { yLog: false })],
  ['qq', qqOption({ probabilities: [0.1, 0.5, 0.9], empirical: [-1, 0, 1], gaussian: [-1.2, 0, 1.2], logistic: [-1.2, 0, 1.2], student_t: [-1.2, 0, 1.2] } as never, label, { family: 'gaussian' })],
  ['spectrum', spectrumOption({ singular_values: Float64Array.from([4, 2, 1, 0.5]) } as never, label)],
  ['correlation', correlationOption({ rows: [0, 3], matrix: Float32Array.from([1, 0.5, 0.1, 0.5, 1, 0.2, 0.1, 0.2, 1]) } as never, label)],
  ['curves', curvesOption({ title: 'attn.qkv · atlas-demo-small', metric: panel.metric, lines: [{ runName: 'atlas-demo-small', runIndex: 0, block: 0, tensor: 't0', steps: [1, 10, 100], values: [1, 2, 30] }], loss: [], stepScale: 'log', yLog: true })],
  ['heatmap', heatmapOption(panel, { stepScale: 'log', colour: colourScaleFor([panel]) })],
];

describe('chart titles', () => {
  it.each(options)('%s: the subtitle sits below the title, no overlap', (_name, option) => {
    const boxes = titleBoxes(option).sort((a, b) => a.top - b.top);
    expect(boxes.length, boxes.map((b) => b.text).join(' | ')).toBe(2);
    const [title, subtitle] = boxes as [Box, Box];
    expect(subtitle.top, `subtitle "${subtitle.text}" starts under the title "${title.text}"`).toBeGreaterThanOrEqual(title.bottom);
    expect(subtitle.top - title.top, 'a title font size apart at least').toBeGreaterThanOrEqual(title.fontSize);
  });
});
