// Animated singular-value spectrum: rank against singular value on log-log axes (a power-law tail
// is a straight line), with axes fixed over all frames.
import { formatTick, formatValue } from './format';
import type { SpectrumFrame } from './frames';
import { frameSubtitle } from './histogram';
import type { ChartOption, FrameLabel } from './types';
import { titleStyle } from './title';

/** [rank (1-based), singular value] for positive values (log axes cannot show 0). */
export function spectrumPoints(frame: SpectrumFrame): number[][] {
  const out: number[][] = [];
  frame.singular_values.forEach((s, i) => {
    if (s !== null && Number.isFinite(s) && s > 0) out.push([i + 1, s]);
  });
  return out;
}

export interface SpectrumExtent {
  maxRank: number;
  sMin: number;
  sMax: number;
}

export function spectrumExtent(frames: ReadonlyArray<SpectrumFrame | null>): SpectrumExtent {
  let maxRank = 1;
  let sMin = Infinity;
  let sMax = -Infinity;
  for (const f of frames) {
    if (!f) continue;
    for (const [r, s] of spectrumPoints(f)) {
      maxRank = Math.max(maxRank, r);
      sMin = Math.min(sMin, s);
      sMax = Math.max(sMax, s);
    }
  }
  if (sMin > sMax) return { maxRank, sMin: 0.1, sMax: 10 };
  return { maxRank, sMin, sMax };
}

export function spectrumUpdate(frame: SpectrumFrame, label: FrameLabel): ChartOption {
  return { title: [{ subtext: frameSubtitle(label) }], series: [{ data: spectrumPoints(frame) }] };
}

export function spectrumOption(frame: SpectrumFrame, label: FrameLabel, extent?: SpectrumExtent): ChartOption {
  const e = extent ?? spectrumExtent([frame]);
  const update = spectrumUpdate(frame, label);
  return {
    animation: false,
    title: [{ text: `Singular values · ${label.tensor}`, ...titleStyle(), ...(update.title as object[])[0] }],
    grid: { left: 60, right: 20, top: 48, bottom: 44 },
    xAxis: { type: 'log', name: 'rank', nameLocation: 'middle', nameGap: 26, min: 1, max: 10 ** Math.ceil(Math.log10(e.maxRank)), axisLabel: { fontSize: 10, formatter: formatTick } },
    yAxis: {
      type: 'log',
      name: `singular value${label.unit ? ` [${label.unit}]` : ''}`,
      nameLocation: 'middle',
      nameGap: 44,
      min: 10 ** Math.floor(Math.log10(e.sMin)),
      max: 10 ** Math.ceil(Math.log10(e.sMax)),
      axisLabel: { fontSize: 10, formatter: formatTick },
      splitLine: { lineStyle: { color: '#eeeeee' } },
    },
    tooltip: { trigger: 'item', confine: true, formatter: (p: { value: number[] }) => `rank ${p.value[0]}<br>s = <b>${formatValue(p.value[1])}</b>` },
    series: [{ type: 'line', name: 'singular values', showSymbol: false, lineStyle: { width: 1.5, color: '#0072B2' }, data: (update.series as { data: unknown }[])[0].data }],
  };
}
