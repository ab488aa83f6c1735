// Animated QQ plot: empirical quantiles of the standardised tensor against the quantiles of a
// fitted Gaussian, logistic or Student-t on the engine's fixed probability grid, with the y = x
// line; axes fixed over all frames so the tails' drift is visible.
import { formatTick, formatValue } from './format';
import type { QqFrame } from './frames';
import { frameSubtitle } from './histogram';
import { escapeHtml, type ChartOption, type FrameLabel } from './types';
import { titleStyle } from './title';

export type QqFamily = 'gaussian' | 'logistic' | 'student_t';
export const QQ_FAMILY_LABEL: Record<QqFamily, string> = { gaussian: 'Gaussian', logistic: 'logistic', student_t: 'Student-t' };

export interface QqSettings {
  family: QqFamily;
  /** Common [lo, hi] of both axes over all frames; omitted = this frame's. */
  extent?: [number, number];
}

/** [theoretical, empirical, probability] points, non-finite dropped. */
export function qqPoints(frame: QqFrame, family: QqFamily): number[][] {
  const th = frame[family];
  const out: number[][] = [];
  for (let i = 0; i < frame.empirical.length; i++) {
    const x = th[i];
    const y = frame.empirical[i];
    if (x === undefined || y === undefined || x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    out.push([x, y, frame.probabilities[i]]);
  }
  return out;
}

export function qqExtent(frames: ReadonlyArray<QqFrame | null>, family: QqFamily): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const f of frames) {
    if (!f) continue;
    for (const [x, y] of qqPoints(f, family)) {
      lo = Math.min(lo, x, y);
      hi = Math.max(hi, x, y);
    }
  }
  if (lo > hi) return [-1, 1];
  const pad = (hi - lo) * 0.03 || 0.5;
  return [lo - pad, hi + pad];
}

export function qqUpdate(frame: QqFrame, label: FrameLabel, settings: QqSettings): ChartOption {
  return { title: [{ subtext: frameSubtitle({ ...label, unit: 'standardised (σ)' }) }], series: [{ data: qqPoints(frame, settings.family) }] };
}

export function qqOption(frame: QqFrame, label: FrameLabel, settings: QqSettings): ChartOption {
  const extent = settings.extent ?? qqExtent([frame], settings.family);
  const update = qqUpdate(frame, label, settings);
  const fam = QQ_FAMILY_LABEL[settings.family];
  const axis = (name: string) => ({
    type: 'value',
    name,
    nameLocation: 'middle',
    nameGap: 30,
    min: extent[0],
    max: extent[1],
    axisLine: { onZero: false },
    axisLabel: { fontSize: 10, formatter: formatTick, showMinLabel: false, showMaxLabel: false },
    splitLine: { lineStyle: { color: '#eeeeee' } },
  });
  return {
    animation: false,
    title: [{ text: `QQ vs ${fam} · ${label.tensor}`, ...titleStyle(), ...(update.title as object[])[0] }],
    grid: { left: 56, right: 20, top: 48, bottom: 44 },
    xAxis: axis(`${fam} quantile [σ]`),
    yAxis: axis('empirical quantile [σ]'),
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p: { value: number[] }) =>
        `p = ${formatValue(p.value[2])}<br>${escapeHtml(fam)}: ${formatValue(p.value[0])}<br>empirical: <b>${formatValue(p.value[1])}</b>`,
    },
    series: [
      { type: 'scatter', name: 'quantiles', large: true, largeThreshold: 100, symbolSize: 4, itemStyle: { color: '#0072B2' }, data: (update.series as { data: unknown }[])[0].data },
      {
        type: 'line',
        name: 'y = x',
        silent: true,
        showSymbol: false,
        lineStyle: { color: '#555555', type: 'dashed', width: 1 },
        data: [
          [extent[0], extent[0]],
          [extent[1], extent[1]],
        ],
      },
    ],
  };
}
