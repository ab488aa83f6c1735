// The co-update heatmap (API `coUpdate`, main/store/co-update.ts): rows and columns are blocks (or
// weight matrices, or attention heads "L3.h5") in the clustered order, each cell the correlation across checkpoint intervals
// of their log update sizes per step, on the fixed [-1, 1] diverging scale. Labelled on both axes
// (few rows: a block run has ~blocks + 3, a matrix run ~4 x blocks + 2).
import type { Response } from '../api';
import { formatStep, formatValue } from './format';
import { BLUE_ORANGE } from './palette';
import { escapeHtml, type ChartOption } from './types';
import { titleStyle } from './title';

export type CoUpdateResult = Response<'coUpdate'>;

/** [x, y, r, a, b] cells in display positions: r = matrix[order[y]][order[x]] (null cells skipped). */
export function coUpdateCells(r: CoUpdateResult): Array<[number, number, number, number, number]> {
  const n = r.names.length;
  const out: Array<[number, number, number, number, number]> = [];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const a = r.order[y];
      const b = r.order[x];
      const v = r.matrix[a * n + b];
      if (v !== null && v !== undefined) out.push([x, y, v, a, b]);
    }
  }
  return out;
}

/** One line for people: what was correlated, over which intervals. */
export function coUpdateSubtitle(r: CoUpdateResult, runName: string): string {
  const what = r.group === 'block' ? 'per block' : r.group === 'head' ? 'per attention head (Q, K, V rows and O columns)' : 'per weight matrix';
  const span = r.steps.length ? `${r.steps.length} intervals ending at steps ${formatStep(r.steps[0])}–${formatStep(r.steps[r.steps.length - 1])}` : 'no intervals';
  return `${runName} · ${what} · Pearson r of log10 update per step over ${span}${r.removeCommon ? ' · shared schedule removed' : ''}`;
}

export function coUpdateOption(r: CoUpdateResult, runName: string, options: { interactive?: boolean } = {}): ChartOption {
  const n = r.names.length;
  const labels = r.order.map((u) => r.labels[u]);
  const fontSize = n > 40 ? 7 : n > 20 ? 8 : 10;
  return {
    animation: false,
    title: { text: r.group === 'head' ? 'Co-update: which attention heads update together' : 'Co-update: which weights update together', subtext: coUpdateSubtitle(r, runName), ...titleStyle() },
    grid: { left: 8, right: 70, top: 58, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: labels, position: 'top', axisLabel: { rotate: 60, fontSize, interval: 0 }, axisTick: { show: false }, splitArea: { show: false } },
    yAxis: { type: 'category', data: labels, inverse: true, axisLabel: { fontSize, interval: 0 }, axisTick: { show: false } },
    visualMap: {
      type: 'continuous',
      dimension: 2,
      min: -1,
      max: 1,
      calculable: false,
      orient: 'vertical',
      right: 6,
      top: 'middle',
      itemWidth: 10,
      itemHeight: 160,
      text: ['r = +1', '−1'],
      textStyle: { fontSize: 10 },
      inRange: { color: [...BLUE_ORANGE] },
    },
    tooltip: {
      show: options.interactive !== false,
      trigger: 'item',
      confine: true,
      formatter: (p: { value: number[] }) => {
        const [, , v, a, b] = p.value as [number, number, number, number, number];
        const name = (u: number): string => (r.group === 'tensor' ? ` <span style="opacity:.7">${escapeHtml(r.names[u])}</span>` : '');
        return `<b>${escapeHtml(runName)}</b><br>${escapeHtml(r.labels[a])}${name(a)}<br>× ${escapeHtml(r.labels[b])}${name(b)}<br>r = <b>${formatValue(v)}</b> over ${r.steps.length} intervals`;
      },
    },
    series: [{ type: 'heatmap', name: 'co-update', data: coUpdateCells(r), emphasis: { itemStyle: { borderColor: '#000', borderWidth: 1 } }, progressive: 0 }],
  };
}
