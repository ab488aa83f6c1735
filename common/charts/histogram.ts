// Animated histograms (weights, residual stream, gradients): bins fixed across every checkpoint of
// a tensor (the engine guarantees this), underflow/overflow drawn as two distinct end bars, linear
// or log y with one y range for all frames so frames compare by eye.
import { blockLabel, formatStep, formatTick, formatValue } from './format';
import type { HistogramFrame } from './frames';
import { niceStep } from './step-axis';
import { escapeHtml, type ChartOption, type FrameLabel } from './types';
import { titleStyle } from './title';
import { isSignedLogEdges, signedLogAxisName, signedLogTicks } from './signed-log';

export interface HistogramSettings {
  yLog: boolean;
  /** Largest count over all frames (fixes the y axis); omitted = this frame's own maximum. */
  yMax?: number;
  /** What the x axis measures, e.g. "weight value" or "gradient". */
  xName?: string;
  /** Title before the tensor name (default "Histogram"), e.g. "Gradient histogram". */
  titlePrefix?: string;
  /** The frame is the linear view of signed-log bins (signed-log.ts toLinearBins): the axis says so. */
  linearOf?: boolean;
}

export const IN_RANGE_COLOUR = '#0072B2';
export const OUT_OF_RANGE_COLOUR = '#D55E00';

export function histogramYMax(frames: ReadonlyArray<HistogramFrame | null>): number {
  let m = 0;
  for (const f of frames) {
    if (!f) continue;
    for (const c of f.counts) if (c > m) m = c;
    m = Math.max(m, f.underflow, f.overflow);
  }
  return m;
}

/** A round y-axis top above the largest count: the next decade (log) or nice step (linear). */
export function histogramAxisMax(yMax: number, yLog: boolean): number | undefined {
  if (!(yMax > 0)) return undefined;
  if (yLog) return 10 ** Math.ceil(Math.log10(yMax) + 1e-12);
  const step = niceStep(yMax, 5);
  return Math.ceil(yMax / step) * step;
}

/** Category labels: "<lo", bin centres, ">hi". */
export function histogramCategories(edges: readonly number[]): string[] {
  const centres = edges.slice(0, -1).map((e, i) => formatTick((e + edges[i + 1]) / 2));
  return [`<${formatTick(edges[0])}`, ...centres, `>${formatTick(edges[edges.length - 1])}`];
}

export function frameSubtitle(label: FrameLabel): string {
  const step = label.step === null ? label.checkpointId : `step ${formatStep(label.step)}`;
  // The block is left out where it would repeat the component (the embedding: "embed · embed").
  const block = blockLabel(label.block);
  const where = block === label.component ? label.component : `${label.component} · ${block}`;
  return `${label.runName} · ${where} · ${step}${label.unit ? ` · ${label.unit}` : ''}`;
}

/** Only what changes between frames: series data and the frame label. */
export function histogramUpdate(frame: HistogramFrame, label: FrameLabel, settings: HistogramSettings): ChartOption {
  const zeroToNull = (c: number): number | null => (settings.yLog && c <= 0 ? null : c);
  const n = frame.counts.length;
  const inRange: Array<number | null> = [null, ...frame.counts.map(zeroToNull), null];
  const outRange: Array<number | null> = [zeroToNull(frame.underflow), ...new Array<null>(n).fill(null), zeroToNull(frame.overflow)];
  return {
    title: [{ subtext: frameSubtitle(label) }],
    series: [{ data: inRange }, { data: outRange }],
  };
}

export function histogramOption(frame: HistogramFrame, label: FrameLabel, settings: HistogramSettings): ChartOption {
  const update = histogramUpdate(frame, label, settings);
  const yMax = settings.yMax ?? histogramYMax([frame]);
  const categories = histogramCategories(frame.edges);
  const edges = frame.edges;
  // Activation/gradient bins: a signed-log axis, ticked at decades and named so.
  const signedLog = isSignedLogEdges(edges);
  const ticks = signedLog ? signedLogTicks(edges) : null;
  const xName = `${settings.xName ?? 'value'}${label.unit ? ` [${label.unit}]` : ''}`;
  return {
    animation: false,
    title: [{ text: `${settings.titlePrefix ?? 'Histogram'} · ${label.tensor}`, ...titleStyle(), ...((update.title as object[])[0]) }],
    grid: { left: 64, right: 16, top: 48, bottom: 44 },
    xAxis: {
      type: 'category',
      data: categories,
      name: signedLog ? signedLogAxisName(xName) : settings.linearOf ? `${xName}, linear scale (log bins spread evenly)` : xName,
      nameLocation: 'middle',
      nameGap: 26,
      axisLabel: ticks ? { fontSize: 10, interval: (i: number) => ticks.has(i), formatter: (_v: string, i: number) => ticks.get(i) ?? '' } : { fontSize: 10, hideOverlap: true },
      axisTick: ticks ? { alignWithLabel: true, interval: (i: number) => ticks.has(i) } : { alignWithLabel: true },
    },
    yAxis: {
      type: settings.yLog ? 'log' : 'value',
      name: 'count',
      nameLocation: 'middle',
      nameGap: 48,
      min: settings.yLog ? 1 : 0,
      max: histogramAxisMax(yMax, settings.yLog),
      // Ticks on the same nice step as the top, so the top label never crowds the one below it.
      ...(!settings.yLog && yMax > 0 ? { interval: niceStep(yMax, 5) } : {}),
      axisLabel: { fontSize: 10, formatter: formatTick },
      splitLine: { lineStyle: { color: '#e6e6e6' } },
    },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p: { dataIndex: number; value: number }) => {
        const i = p.dataIndex;
        const range = i === 0 ? `below ${formatValue(edges[0])}` : i === edges.length ? `above ${formatValue(edges[edges.length - 1])}` : `[${formatValue(edges[i - 1])}, ${formatValue(edges[i])})`;
        return `${escapeHtml(range)}<br>count <b>${formatValue(p.value)}</b>`;
      },
    },
    series: [
      // large: drawn as one path per series (animation frames stay cheap with hundreds of bins).
      { type: 'bar', name: 'in range', large: true, largeThreshold: 64, barCategoryGap: '4%', itemStyle: { color: IN_RANGE_COLOUR }, data: (update.series as { data: unknown[] }[])[0].data },
      { type: 'bar', name: 'under/overflow', large: true, largeThreshold: 64, barGap: '-100%', itemStyle: { color: OUT_OF_RANGE_COLOUR }, data: (update.series as { data: unknown[] }[])[1].data },
    ],
  };
}
