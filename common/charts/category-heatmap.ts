// A labelled heatmap on category axes (rows x checkpoints), for the small grids of issue 19's views:
// outlier dimensions x checkpoints (and the norms' gains beside them), heads x checkpoints. Several
// panels side by side in one option, each with its own colour scale (values of different units).
// Cells are drawn by echarts' heatmap series; a log scale colours by log10 of the value.
import { formatStep, formatValue } from './format';
import { BLUE_ORANGE, VIRIDIS } from './palette';
import { escapeHtml, type ChartOption } from './types';
import { titleStyle } from './title';

export interface CategoryPanel {
  /** Panel heading, e.g. "max |x| [activation]" or "ln.attn gain". */
  title: string;
  /** values[row][column]; null = not computed. */
  values: ReadonlyArray<ReadonlyArray<number | null>>;
  log?: boolean;
  /** Diverging palette centred on `centre` (gains around 1). */
  diverging?: { centre: number };
}

export interface CategoryHeatmapInput {
  title: string;
  subtitle: string;
  rowLabels: readonly string[];
  steps: readonly number[];
  panels: readonly CategoryPanel[];
}

/** [min, max] of a panel's colour values (log10 when log; symmetric about the centre when diverging). */
export function panelRange(p: CategoryPanel): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of p.values) for (const v of row) {
    if (v === null || !Number.isFinite(v) || (p.log && v <= 0)) continue;
    const c = p.log ? Math.log10(v) : v;
    lo = Math.min(lo, c);
    hi = Math.max(hi, c);
  }
  if (lo > hi) return null;
  if (p.diverging) {
    const r = Math.max(Math.abs(hi - p.diverging.centre), Math.abs(p.diverging.centre - lo), 1e-12);
    return [p.diverging.centre - r, p.diverging.centre + r];
  }
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

export function categoryHeatmapOption(input: CategoryHeatmapInput): ChartOption {
  const n = input.panels.length;
  const gap = 3;
  const left = 9;
  const width = (100 - left - 2 - gap * (n - 1)) / n;
  const xLabels = input.steps.map((s) => formatStep(s));
  const grid: unknown[] = [];
  const xAxis: unknown[] = [];
  const yAxis: unknown[] = [];
  const series: unknown[] = [];
  const visualMap: unknown[] = [];
  const titles: unknown[] = [{ text: input.title, subtext: input.subtitle, ...titleStyle() }];
  const rowFont = input.rowLabels.length > 30 ? 7 : input.rowLabels.length > 16 ? 8 : 10;
  input.panels.forEach((p, k) => {
    const x0 = left + k * (width + gap);
    grid.push({ left: `${x0}%`, width: `${width - 1}%`, top: 96, bottom: 40 });
    titles.push({ text: p.title, left: `${x0}%`, top: 48, textStyle: { fontSize: 11, fontWeight: 600, lineHeight: 14 } });
    xAxis.push({ type: 'category', gridIndex: k, data: xLabels, name: 'step', nameLocation: 'middle', nameGap: 24, axisLabel: { fontSize: 9, hideOverlap: true }, splitArea: { show: false } });
    yAxis.push({ type: 'category', gridIndex: k, data: input.rowLabels, inverse: true, axisLabel: { show: k === 0, fontSize: rowFont }, splitArea: { show: false } });
    const data: Array<[number, number, number, number]> = [];
    p.values.forEach((row, r) => row.forEach((v, c) => {
      if (v === null || !Number.isFinite(v) || (p.log && v <= 0)) return;
      data.push([c, r, p.log ? Math.log10(v) : v, v]);
    }));
    const range = panelRange(p) ?? [0, 1];
    visualMap.push({
      type: 'continuous', seriesIndex: k, dimension: 2, min: range[0], max: range[1], calculable: false, orient: 'horizontal',
      left: `${x0}%`, top: 68, itemWidth: 10, itemHeight: 120, textStyle: { fontSize: 9 },
      // End labels (a calculable-free bar shows none by itself): high on the right, low on the left.
      text: [formatValue(p.log ? 10 ** range[1] : range[1]), formatValue(p.log ? 10 ** range[0] : range[0])],
      inRange: { color: p.diverging ? [...BLUE_ORANGE] : [...VIRIDIS] },
    });
    series.push({ type: 'heatmap', name: p.title, xAxisIndex: k, yAxisIndex: k, data, emphasis: { itemStyle: { borderColor: '#000', borderWidth: 1 } }, progressive: 0 });
  });
  return {
    animation: false,
    title: titles,
    tooltip: {
      trigger: 'item', confine: true,
      formatter: (p: { seriesName: string; value: [number, number, number, number] }) =>
        `${escapeHtml(input.rowLabels[p.value[1]] ?? '')} · step ${formatStep(input.steps[p.value[0]] ?? Number.NaN)}<br>${escapeHtml(p.seriesName)} = <b>${formatValue(p.value[3])}</b>`,
    },
    grid, xAxis, yAxis, visualMap, series,
  };
}
