// Animation frames of several runs in one chart, shared by the Animations view and the
// comparison exports (main/export/compare.ts): histograms overlaid as step lines of density (runs
// of different sizes hold different numbers of values and their own bins, so counts would not
// compare; density = count / (total x bin width) does), QQ points and spectra overlaid with one
// extent over every run's frames. Each run in its fixed colour (runColour); the subtitle names
// every run and the step its frame is from, so a frame of a comparison describes itself.
import { blockLabel, formatStep, formatTick, formatValue } from './format';
import type { HistogramFrame, QqFrame, SpectrumFrame } from './frames';
import { qqExtent, qqOption, qqPoints, QQ_FAMILY_LABEL, type QqFamily } from './qq';
import { spectrumExtent, spectrumOption, spectrumPoints } from './spectrum';
import { escapeHtml, GIF_DEFAULT_SIZE, type ChartOption, type FrameLabel } from './types';
import { SUBTITLE_FONT_SIZE, titleStyle } from './title';

export type OverlayKind = 'histogram' | 'qq' | 'spectrum';

export interface OverlayRun<F> {
  runName: string;
  colour: string;
  /** The run's frame at the shown step (null: not computed there). */
  frame: F | null;
  /** Its label (step of the frame actually shown). */
  label: FrameLabel | null;
  /** Tokens seen at that frame's checkpoint, on a timeline aligned by tokens (compare-timeline.ts). */
  tokens?: number | null;
}

/** One run's part of an overlay's subtitle: "tiny @ 2M tokens (step 1k)", "tiny @ step 512", "tiny: not computed". */
export function overlayRunPart(r: OverlayRun<unknown>): string {
  const label = r.label;
  if (!r.frame || !label) return `${r.runName}: not computed`;
  const at = label.step === null ? label.checkpointId : typeof r.tokens === 'number' ? `${formatStep(r.tokens)} tokens (step ${formatStep(label.step)})` : `step ${formatStep(label.step)}`;
  return `${r.runName} @ ${at}`;
}

/** What every run of an overlay shares: "mlp.in · block 0 · value" (empty before any frame). */
export function overlayCommonPart(runs: ReadonlyArray<OverlayRun<unknown>>): string {
  const any = runs.find((r) => r.label)?.label;
  return any ? `${any.component} · ${blockLabel(any.block)}${any.unit ? ` · ${any.unit}` : ''}` : '';
}

/** "tiny @ step 512 · small @ step 512 · mlp.in · block 0 · value": every run and its step (and tokens seen, when given). */
export function overlaySubtitle(runs: ReadonlyArray<OverlayRun<unknown>>): string {
  return [...runs.map(overlayRunPart), overlayCommonPart(runs)].filter(Boolean).join(' · ');
}

/**
 * Width of a subtitle character, as a fraction of the font size: DejaVu Sans (Debian's default
 * sans, drawn by Chromium and @napi-rs/canvas) averages ~0.55 em over these strings and its widest
 * common glyphs (digits, capitals, "@") are 0.64-0.8 em; 0.64 keeps a packed line inside its width.
 */
const SUBTITLE_EM = 0.64;
/** Height of one subtitle line (title.ts's line height at the subtitle size). */
export const OVERLAY_LINE_HEIGHT = Math.round(SUBTITLE_FONT_SIZE * 1.3);

/**
 * The subtitle as lines that fit `width` pixels: its parts (each run's, then the shared one) packed
 * greedily, never split inside a part (a part longer than a line gets a line of its own, and
 * zrender breaks it: subtextStyle.overflow). With three runs or more on a timeline aligned by tokens
 * one line of the panel's width cut the last runs off (issue 20's follow-up).
 */
export function overlaySubtitleLines(runs: ReadonlyArray<OverlayRun<unknown>>, width: number, withRuns = true): string[] {
  const parts = [...(withRuns ? runs.map(overlayRunPart) : []), overlayCommonPart(runs)].filter(Boolean);
  const max = Math.max(1, Math.floor(width / (SUBTITLE_FONT_SIZE * SUBTITLE_EM)));
  const lines: string[] = [];
  for (const p of parts) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 3 + p.length <= max) lines[lines.length - 1] = `${last} · ${p}`;
    else lines.push(p);
  }
  return lines;
}

/** Step-line points [x, density] of a histogram (value axis: the bins' real edges); zeros dropped on a log axis. */
export function densityPoints(frame: HistogramFrame, yLog: boolean): Array<[number, number | null]> {
  const total = frame.counts.reduce((a, b) => a + b, 0) + frame.underflow + frame.overflow;
  const out: Array<[number, number | null]> = [];
  frame.counts.forEach((c, i) => {
    const width = frame.edges[i + 1] - frame.edges[i];
    const d = total > 0 && width > 0 ? c / (total * width) : 0;
    out.push([frame.edges[i], yLog && d <= 0 ? null : d]);
  });
  if (out.length) out.push([frame.edges[frame.edges.length - 1], out[out.length - 1][1]]);
  return out;
}

export interface OverlayExtent {
  /** Histograms: x range (union of every frame's edges) and the largest density. */
  xMin?: number;
  xMax?: number;
  yMax?: number;
  /** QQ: one extent; spectra: ranks and singular values. */
  qq?: [number, number];
  spectrum?: ReturnType<typeof spectrumExtent>;
}

/** One extent over every frame of every run, so a comparison's axes stay still while it plays. */
export function overlayExtent(kind: OverlayKind, frames: ReadonlyArray<unknown | null>, family: QqFamily = 'student_t'): OverlayExtent {
  if (kind === 'qq') return { qq: qqExtent(frames as Array<QqFrame | null>, family) };
  if (kind === 'spectrum') return { spectrum: spectrumExtent(frames as Array<SpectrumFrame | null>) };
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMax = 0;
  for (const f of frames as Array<HistogramFrame | null>) {
    if (!f) continue;
    xMin = Math.min(xMin, f.edges[0]);
    xMax = Math.max(xMax, f.edges[f.edges.length - 1]);
    for (const [, d] of densityPoints(f, false)) if (d !== null && d > yMax) yMax = d;
  }
  return xMin < xMax ? { xMin, xMax, yMax } : { xMin: -1, xMax: 1, yMax: 1 };
}

export interface OverlaySettings {
  kind: OverlayKind;
  extent: OverlayExtent;
  yLog?: boolean;
  family?: QqFamily;
  /** Histograms: what x measures ("weight", "gradient", "activation"). */
  xName?: string;
  /** Histograms: the title before the tensor ("Weight histogram"). */
  titlePrefix?: string;
  /** Pixel width of the chart: the subtitle wraps to it (default: the GIF's, the narrowest export). */
  width?: number;
  /**
   * false: the subtitle says only what the runs share and there is no legend: the view lists each
   * run with its colour, step and tokens under the chart (renderer/src/views/animations/ComparePanel.tsx).
   */
  runsInSubtitle?: boolean;
}

/** The subtitle, legend and plot placement of an overlay (they move down as the subtitle wraps). */
export function overlayLayout(runs: ReadonlyArray<OverlayRun<unknown>>, settings: OverlaySettings): { subtext: string; legendTop: number; gridTop: number } {
  const withRuns = settings.runsInSubtitle !== false;
  // The title's left offset (title.ts) and a margin on the right.
  const lines = overlaySubtitleLines(runs, (settings.width ?? GIF_DEFAULT_SIZE.width) - 12, withRuns);
  const extra = Math.max(0, lines.length - 1) * OVERLAY_LINE_HEIGHT;
  return { subtext: lines.join('\n'), legendTop: 36 + extra, gridTop: (withRuns ? 62 : 48) + extra };
}

function seriesData(kind: OverlayKind, frame: unknown | null, settings: OverlaySettings): unknown[] {
  if (!frame) return [];
  if (kind === 'qq') return qqPoints(frame as QqFrame, settings.family ?? 'student_t');
  if (kind === 'spectrum') return spectrumPoints(frame as SpectrumFrame);
  return densityPoints(frame as HistogramFrame, settings.yLog ?? false);
}

/** Per tick: every run's series data and the subtitle (series in run order). */
export function overlayUpdate(runs: ReadonlyArray<OverlayRun<unknown>>, settings: OverlaySettings): ChartOption {
  const layout = overlayLayout(runs, settings);
  return { title: [{ subtext: layout.subtext }], legend: { top: layout.legendTop }, grid: { top: layout.gridTop }, series: runs.map((r) => ({ data: seriesData(settings.kind, r.frame, settings) })) };
}

/** The full option of an overlay: axes fixed by `settings.extent`, one series per run, a legend of runs. */
export function overlayOption(runs: ReadonlyArray<OverlayRun<unknown>>, tensor: string, settings: OverlaySettings): ChartOption {
  const update = overlayUpdate(runs, settings);
  const data = (update.series as Array<{ data: unknown[] }>).map((s) => s.data);
  const layout = overlayLayout(runs, settings);
  const legend = { show: settings.runsInSubtitle !== false, type: 'scroll', top: layout.legendTop, left: 'center', itemWidth: 14, itemHeight: 8, textStyle: { fontSize: 10 }, data: runs.map((r) => r.runName) };
  const unitLabel = runs.find((r) => r.label)?.label?.unit ?? '';
  const base = (() => {
    if (settings.kind === 'qq') {
      const label = { runName: '', tensor, component: '', block: null, step: null, checkpointId: '', unit: unitLabel };
      return qqOption({ probabilities: [], empirical: [], gaussian: [], logistic: [], student_t: [] } as unknown as QqFrame, label, { family: settings.family ?? 'student_t', extent: settings.extent.qq });
    }
    if (settings.kind === 'spectrum') {
      return spectrumOption({ singular_values: [] } as unknown as SpectrumFrame, { runName: '', tensor, component: '', block: null, step: null, checkpointId: '', unit: unitLabel }, settings.extent.spectrum);
    }
    return null;
  })();
  const style = titleStyle();
  // A part longer than a line (a very long run name) is broken by zrender rather than cut off.
  const subtextStyle = { ...(style.subtextStyle as object), width: (settings.width ?? GIF_DEFAULT_SIZE.width) - 12, overflow: 'break' };
  const title = [{ text: `${settings.kind === 'qq' ? `QQ vs ${QQ_FAMILY_LABEL[settings.family ?? 'student_t']}` : settings.kind === 'spectrum' ? 'Singular values' : (settings.titlePrefix ?? 'Histogram')} · ${tensor} · ${runs.length} runs`, ...style, subtextStyle, subtext: layout.subtext }];
  const grid = { left: 64, right: 16, top: layout.gridTop, bottom: 44 };
  if (base) {
    const yEqualsX = settings.kind === 'qq' ? [{ ...(base.series as object[])[1], name: 'y = x' }] : [];
    return {
      ...base,
      title,
      grid,
      legend,
      tooltip: { trigger: 'item', confine: true, formatter: (p: { seriesName: string; value: number[] }) => `${escapeHtml(p.seriesName)}<br>${settings.kind === 'qq' ? `theoretical ${formatValue(p.value[0])}, empirical <b>${formatValue(p.value[1])}</b>` : `rank ${p.value[0]}: s = <b>${formatValue(p.value[1])}</b>`}` },
      series: [
        ...runs.map((r, i) =>
          settings.kind === 'qq'
            ? { type: 'scatter', name: r.runName, symbolSize: 3, itemStyle: { color: r.colour, opacity: 0.8 }, data: data[i] }
            : { type: 'line', name: r.runName, showSymbol: false, lineStyle: { width: 1.5, color: r.colour }, itemStyle: { color: r.colour }, data: data[i] },
        ),
        ...yEqualsX,
      ],
    };
  }
  const e = settings.extent;
  const xName = `${settings.xName ?? 'value'}${unitLabel ? ` [${unitLabel}]` : ''}`;
  return {
    animation: false,
    title,
    grid,
    legend,
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 26, min: e.xMin, max: e.xMax, axisLabel: { fontSize: 10, formatter: formatTick, hideOverlap: true }, splitLine: { show: false } },
    yAxis: {
      type: settings.yLog ? 'log' : 'value',
      name: `density [1/${unitLabel || 'unit'}]`,
      nameLocation: 'middle',
      nameGap: 48,
      ...(settings.yLog ? {} : { min: 0, max: e.yMax && e.yMax > 0 ? e.yMax * 1.05 : undefined }),
      axisLabel: { fontSize: 10, formatter: formatTick },
      splitLine: { lineStyle: { color: '#e6e6e6' } },
    },
    tooltip: { trigger: 'item', confine: true, formatter: (p: { seriesName: string; value: number[] }) => `${escapeHtml(p.seriesName)}<br>from ${formatValue(p.value[0])}: density <b>${formatValue(p.value[1])}</b>` },
    series: runs.map((r, i) => ({ type: 'line', name: r.runName, step: 'end', showSymbol: false, lineStyle: { width: 1.5, color: r.colour }, itemStyle: { color: r.colour }, data: data[i] })),
  };
}
