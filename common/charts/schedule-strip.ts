// The loss and learning-rate strip that can sit under any plot with a step axis (Overview heatmaps,
// Animations; Curves draws the same schedule inside its own chart, trajectory-overlays.ts): the
// run's training log on the same x as the plot above (step or tokens seen, log or linear,
// step-axis.ts) and over the same extent as a heatmap of the run's checkpoints, with the plot
// area's left/right margins of heatmapOption so the columns line up (several runs on tokens: the
// heatmaps' shared range, `extent`, so every run's strip lines up too). Loss on the left axis,
// learning rate on the right; a vertical line at the current checkpoint when there is one.
import { formatStep, formatValue } from './format';
import { columnSpans, stepAxis, type StepScale } from './step-axis';
import type { ChartOption } from './types';

export interface StripRun {
  runName: string;
  /** The run's fixed colour (common/charts/compare.ts runStyles). */
  colour: string;
  /** Training-log entries on the x unit of the plot (already mapped from steps). */
  loss: { x: number[]; values: number[] };
  learningRate: { x: number[]; values: number[] };
}

export interface StripSettings {
  stepScale: StepScale;
  /** The x values (step or tokens) of the checkpoints drawn above: the strip spans their columns. */
  checkpointX: readonly number[];
  xName: string;
  /** The current checkpoint's x (Animations), drawn as a vertical line. */
  cursor?: number | null;
  /**
   * The x extent in axis positions when runs side by side share one (shared-x.ts: the Overview's
   * heatmaps of several runs on tokens); default the strip's own checkpoint columns.
   */
  extent?: [number, number] | null;
  /** Plot margins of the chart above (heatmapOption: 52 / 64). */
  left?: number;
  right?: number;
}

/** x -> axis position, with 0 placed as the plot above places it (half the smallest positive x). */
export function stripPosition(checkpointX: readonly number[], scale: StepScale): (x: number) => number {
  if (scale === 'linear') return (x) => x;
  const minPos = Math.min(...checkpointX.filter((v) => v > 0));
  const zero = Number.isFinite(minPos) ? minPos / 2 : 0.5;
  return (x) => Math.log10(x > 0 ? x : zero);
}

export function scheduleStripOption(runs: readonly StripRun[], s: StripSettings): ChartOption {
  const pos = stripPosition(s.checkpointX, s.stepScale);
  const sorted = [...s.checkpointX].sort((a, b) => a - b);
  const spans = columnSpans(sorted.map(pos));
  const extent: [number, number] = s.extent ?? (spans.length ? [spans[0][0], spans[spans.length - 1][1]] : [0, 1]);
  const series: object[] = [];
  for (const r of runs) {
    const colour = r.colour;
    if (r.loss.values.length) {
      series.push({ type: 'line', name: `${r.runName} · training loss`, yAxisIndex: 0, showSymbol: false, lineStyle: { width: 1.2, color: colour }, itemStyle: { color: colour }, data: r.loss.x.map((x, i) => [pos(x), r.loss.values[i]]) });
    }
    if (r.learningRate.values.length) {
      series.push({ type: 'line', name: `${r.runName} · learning rate`, yAxisIndex: 1, showSymbol: false, lineStyle: { width: 1.2, type: 'dashed', color: colour }, itemStyle: { color: colour }, data: r.learningRate.x.map((x, i) => [pos(x), r.learningRate.values[i]]) });
    }
  }
  if (s.cursor !== undefined && s.cursor !== null && series.length) {
    (series[0] as Record<string, unknown>).markLine = { silent: true, symbol: 'none', lineStyle: { color: '#333333', width: 1 }, label: { show: false }, data: [{ xAxis: pos(s.cursor) }] };
  }
  return {
    animation: false,
    grid: { left: s.left ?? 52, right: s.right ?? 64, top: 18, bottom: 30 },
    legend: { top: 0, right: s.right ?? 64, itemHeight: 6, textStyle: { fontSize: 9 } },
    tooltip: {
      trigger: 'axis',
      confine: true,
      formatter: (ps: Array<{ seriesName: string; value: number[] }>) =>
        ps.map((p) => `${p.seriesName}: <b>${formatValue(p.value[1])}</b>`).join('<br>'),
    },
    xAxis: { ...stepAxis(s.stepScale, extent, s.xName), nameGap: 18 },
    yAxis: [
      { type: 'value', scale: true, name: 'loss', nameTextStyle: { fontSize: 9 }, axisLabel: { fontSize: 9 }, splitLine: { show: false } },
      { type: 'value', name: 'lr', nameTextStyle: { fontSize: 9 }, axisLabel: { fontSize: 9, formatter: (v: number) => formatValue(v) }, splitLine: { show: false } },
    ],
    series,
    aria: { enabled: true, label: { description: `Training loss and learning rate against ${s.xName}${runs.length ? ` (${runs.map((r) => r.runName).join(', ')})` : ''}; last checkpoint at ${formatStep(sorted[sorted.length - 1] ?? 0)}.` } },
  };
}
