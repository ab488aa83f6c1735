// Issue 15 #2: the histogram SVG export drew no bars (echarts' SVG renderer writes a `large`
// bar series as one path with d=""), while the PNG and GIF were right. The SVG must draw every
// bin, each bar's height proportional to its count, like the canvas does.
import { describe, expect, it } from 'vitest';
import { histogramOption, IN_RANGE_COLOUR, OUT_OF_RANGE_COLOUR } from '../../../common/charts/histogram';
import { renderSvg } from '../../../main/export/canvas';

const edges = Array.from({ length: 121 }, (_, i) => -1.2 + i * 0.02);
const counts = edges.slice(0, -1).map((_, i) => Math.round(5000 * Math.exp(-(((i - 60) / 18) ** 2))));
const label = { runName: 'run-a', tensor: 'gpt_neox.layers.1.mlp.dense_h_to_4h.weight', component: 'mlp.in', block: 1, step: 1300, checkpointId: 'step1300', unit: 'value' };

/** Heights of the bars of one colour, by data index (from the rectangle paths "M x y l w 0 l 0 -h l -w 0 Z"). */
function barHeights(svg: string, colour: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of svg.matchAll(/<path d="([^"]*)" fill="([^"]+)"[^>]*?ecmeta_data_index="(\d+)"/g)) {
    if (m[2] !== colour) continue;
    const d = m[1];
    const segs = [...d.matchAll(/l(-?[\d.]+)[ ,](-?[\d.]+)/g)].map((s) => [Number(s[1]), Number(s[2])] as const);
    expect(segs.length, `a rectangle path: ${d}`).toBe(3);
    out.set(Number(m[3]), Math.abs(segs[1][1]));
  }
  return out;
}

describe('histogram SVG export', () => {
  it('has no empty paths and one bar per bin, heights proportional to the counts', () => {
    const svg = renderSvg(histogramOption({ edges, counts, underflow: 40, overflow: 90 }, label, { yLog: false }), 800, 480);
    expect(svg).not.toMatch(/<path d=""/);
    const inRange = barHeights(svg, IN_RANGE_COLOUR);
    // Data index i + 1 is bin i (index 0 and n + 1 are the underflow and overflow categories).
    const peak = Math.max(...counts);
    const peakHeight = inRange.get(counts.indexOf(peak) + 1)!;
    expect(peakHeight).toBeGreaterThan(100);
    counts.forEach((c, i) => {
      const h = inRange.get(i + 1);
      expect(h, `bin ${i} drawn`).toBeDefined();
      // Heights are written with one decimal: within 0.1 px (plus rounding of the peak).
      expect(Math.abs(h! - (c / peak) * peakHeight), `bin ${i}: count ${c}`).toBeLessThan(0.2);
    });
    const ends = barHeights(svg, OUT_OF_RANGE_COLOUR);
    expect(Math.abs(ends.get(0)! - (40 / peak) * peakHeight)).toBeLessThan(0.2);
    expect(Math.abs(ends.get(counts.length + 1)! - (90 / peak) * peakHeight)).toBeLessThan(0.2);
  });
});
