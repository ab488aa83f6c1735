// An overlay of several runs (common/charts/compare-frames.ts) names each run's step and tokens in
// its subtitle. With three runs on a timeline aligned by tokens that was one line ~1,200 px long,
// cut off at the right edge of the view's panel and of the exported PNG/SVG/GIF (720 and 900 px
// wide). Laid out here by echarts on the canvas the exporters draw with: every subtitle line ends
// inside the chart, names every run whole, and sits above the legend and the plot.
import { createCanvas } from '@napi-rs/canvas';
import * as echarts from 'echarts';
import { afterAll, describe, expect, it } from 'vitest';
import { overlayOption, overlayRunPart, overlaySubtitleLines, type OverlayRun } from '../../../common/charts/compare-frames';
import type { HistogramFrame } from '../../../common/charts/frames';
import type { ChartOption } from '../../../common/charts/types';

echarts.setPlatformAPI({ createCanvas: () => createCanvas(32, 32) as unknown as HTMLCanvasElement });
const charts: echarts.ECharts[] = [];
afterAll(() => charts.forEach((c) => c.dispose()));

interface TextBox {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Every text element echarts lays out, with its box in chart pixels. */
function textBoxes(option: ChartOption, width: number, height: number): TextBox[] {
  const canvas = createCanvas(width, height);
  const chart = echarts.init(canvas as unknown as HTMLCanvasElement, null, { width, height, renderer: 'canvas' });
  charts.push(chart);
  chart.setOption(option as echarts.EChartsOption);
  const zr = (chart as unknown as { getZr(): { flush(): void; storage: { getDisplayList(update: boolean): unknown[] } } }).getZr();
  zr.flush();
  const out: TextBox[] = [];
  type El = { style?: { text?: string }; getBoundingRect(): { clone(): { applyTransform(m: number[] | null): void; x: number; y: number; width: number; height: number } }; transform: number[] | null };
  for (const el of zr.storage.getDisplayList(true) as El[]) {
    const text = el.style?.text;
    if (!text) continue;
    const r = el.getBoundingRect().clone();
    r.applyTransform(el.transform);
    out.push({ text, left: r.x, right: r.x + r.width, top: r.y, bottom: r.y + r.height });
  }
  return out;
}

const frame: HistogramFrame = { edges: [-1, -0.5, 0, 0.5, 1], counts: [1, 4, 4, 1], underflow: 0, overflow: 0 };
const tensor = 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight';
function runs(n: number): Array<OverlayRun<unknown>> {
  return Array.from({ length: n }, (_, i) => ({
    runName: i === 0 ? 'atlas-demo-tiny' : i === 1 ? 'atlas-demo-small' : `atlas-demo-tiny-seed${i - 1}`,
    colour: '#336699',
    frame,
    label: { runName: '', tensor, component: 'mlp.in', block: 0, step: 1000 + 10 * i, checkpointId: `step${1000 + 10 * i}`, unit: 'value' },
    tokens: 2_048_000 + 20_480 * i,
  }));
}

describe('overlay subtitle', () => {
  it.each([
    [3, 720, 450],
    [3, 900, 560],
    [8, 720, 450],
    [8, 900, 560],
  ])('%i runs by tokens at %ix%i: every line inside the chart, every run named whole, above the legend and the plot', (n, width, height) => {
    const shown = runs(n);
    const option = overlayOption(shown, tensor, { kind: 'histogram', extent: { xMin: -1, xMax: 1, yMax: 1 }, width });
    const lines = overlaySubtitleLines(shown, width - 12);
    expect(lines.length).toBeGreaterThan(1);
    const boxes = textBoxes(option, width, height).filter((b) => lines.includes(b.text));
    expect(boxes.map((b) => b.text).sort()).toEqual([...lines].sort());
    for (const b of boxes) {
      expect(b.left, b.text).toBeGreaterThanOrEqual(0);
      expect(b.right, `"${b.text}" ends at ${b.right.toFixed(0)} of ${width}`).toBeLessThanOrEqual(width);
    }
    // Each run's part on one line, never split.
    for (const r of shown) expect(lines.filter((l) => l.includes(overlayRunPart(r))), overlayRunPart(r)).toHaveLength(1);
    const bottom = Math.max(...boxes.map((b) => b.bottom));
    const legendTop = (option.legend as { top: number }).top;
    const gridTop = (option.grid as { top: number }).top;
    expect(bottom, 'the subtitle ends above the legend').toBeLessThanOrEqual(legendTop);
    expect(legendTop + 12, 'the legend row ends above the plot').toBeLessThanOrEqual(gridTop);
  });

  it('the view lists its runs itself: the subtitle keeps what the runs share, and no legend', () => {
    const option = overlayOption(runs(3), tensor, { kind: 'histogram', extent: {}, runsInSubtitle: false });
    expect((option.title as Array<{ subtext: string }>)[0].subtext).toBe('mlp.in · block 0 · value');
    expect((option.legend as { show: boolean }).show).toBe(false);
  });
});
