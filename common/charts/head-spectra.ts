// Per-head spectra against the random-matrix reference (common/analyses/head-spectra.ts): one head
// matrix's singular values, those of its shuffled entries and the Marchenko-Pastur bulk (a shaded
// band between its edges) on log-log rank axes; the power-law QQ plot of its eigenvalue tail
// (empirical s^2 >= xmin against the fitted Pareto's quantiles; on the line = a power law, the
// WeightWatcher reading); and a heads x checkpoints heatmap of one head metric per block.
import type { HeadSpectrumFrame } from '../analyses/head-spectra';
import { formatTick, formatValue } from './format';
import { frameSubtitle } from './histogram';
import type { ChartOption, FrameLabel } from './types';
import { titleStyle } from './title';

export interface HeadSpectrumExtent {
  maxRank: number;
  sMin: number;
  sMax: number;
}

function positives(a: ArrayLike<number>): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i++) if (a[i] > 0 && Number.isFinite(a[i])) out.push([i + 1, a[i]]);
  return out;
}

export function headSpectrumExtent(frames: ReadonlyArray<HeadSpectrumFrame | null>): HeadSpectrumExtent {
  let maxRank = 1;
  let sMin = Infinity;
  let sMax = -Infinity;
  for (const f of frames) {
    if (!f) continue;
    for (const [r, s] of [...positives(f.singular_values), ...positives(f.shuffled_singular_values), ...(f.mp_lower > 0 ? [[1, f.mp_lower]] : []), [1, f.mp_upper]]) {
      maxRank = Math.max(maxRank, r);
      sMin = Math.min(sMin, s);
      sMax = Math.max(sMax, s);
    }
  }
  return sMin > sMax ? { maxRank, sMin: 0.1, sMax: 10 } : { maxRank, sMin, sMax };
}

export function headSpectrumOption(frame: HeadSpectrumFrame, label: FrameLabel, extent?: HeadSpectrumExtent): ChartOption {
  const e = extent ?? headSpectrumExtent([frame]);
  const spikes = Array.from(frame.singular_values).filter((s) => s > frame.mp_upper).length;
  const ratio = frame.shuffled_singular_values[0] ? frame.singular_values[0] / frame.shuffled_singular_values[0] : null;
  return {
    animation: false,
    title: [{ text: `Head spectrum vs random · ${label.tensor} (${frame.rows}×${frame.cols})`, subtext: `${frameSubtitle(label)}\n${spikes} above MP edge · s_max/shuffled = ${formatValue(ratio)}`, ...titleStyle() }],
    grid: { left: 60, right: 20, top: 70, bottom: 62 },
    legend: { bottom: 0, textStyle: { fontSize: 10 }, data: ['head', 'shuffled entries', 'MP bulk'] },
    xAxis: { type: 'log', name: 'rank', nameLocation: 'middle', nameGap: 24, min: 1, max: Math.max(2, e.maxRank), axisLabel: { fontSize: 10, formatter: formatTick } },
    yAxis: { type: 'log', name: `singular value${label.unit ? ` [${label.unit}]` : ''}`, nameLocation: 'middle', nameGap: 44, min: 10 ** Math.floor(Math.log10(e.sMin)), max: 10 ** Math.ceil(Math.log10(e.sMax)), axisLabel: { fontSize: 10, formatter: formatTick }, splitLine: { lineStyle: { color: '#eeeeee' } } },
    tooltip: { trigger: 'item', confine: true, formatter: (p: { seriesName: string; value: number[] }) => `${p.seriesName}: rank ${p.value[0]}<br>s = <b>${formatValue(p.value[1])}</b>` },
    series: [
      // The legend's entry for the band; the band itself is a markArea on the head's series (a
      // marker needs a series with data). A square matrix's lower edge 0 is the axis bottom.
      { type: 'line', name: 'MP bulk', data: [], itemStyle: { color: 'rgba(0,158,115,0.5)' } },
      {
        type: 'line', name: 'head', showSymbol: true, symbolSize: 4, data: positives(frame.singular_values), lineStyle: { width: 1.6, color: '#0072B2' }, itemStyle: { color: '#0072B2' },
        markArea: { silent: true, itemStyle: { color: 'rgba(0,158,115,0.16)' }, data: [[{ yAxis: Math.max(frame.mp_lower, 10 ** Math.floor(Math.log10(e.sMin))) }, { yAxis: frame.mp_upper }]] },
        markLine: { silent: true, symbol: 'none', lineStyle: { color: '#009E73', type: 'solid' }, label: { formatter: `MP edge ${formatTick(frame.mp_upper)}`, fontSize: 9, position: 'insideEndTop' }, data: [{ yAxis: frame.mp_upper }] },
      },
      { type: 'line', name: 'shuffled entries', showSymbol: false, data: positives(frame.shuffled_singular_values), lineStyle: { width: 1.4, type: 'dashed', color: '#E69F00' }, itemStyle: { color: '#E69F00' } },
    ],
  };
}

/** [theoretical, empirical] pairs of the eigenvalue tail s^2 >= xmin against Pareto(alpha, xmin), at (i + 0.5) / n. */
export function powerLawQqPoints(frame: HeadSpectrumFrame): number[][] {
  if (frame.alpha === null || frame.alpha_xmin === null || !(frame.alpha > 1)) return [];
  const xmin = frame.alpha_xmin;
  const tail = Array.from(frame.singular_values, (s) => s * s).filter((l) => l >= xmin).sort((a, b) => a - b);
  const n = tail.length;
  return tail.map((l, i) => [xmin * (1 - (i + 0.5) / n) ** (-1 / (frame.alpha! - 1)), l]);
}

export function powerLawQqOption(frame: HeadSpectrumFrame, label: FrameLabel): ChartOption {
  const pts = powerLawQqPoints(frame);
  const all = pts.flat().filter((v) => v > 0);
  const lo = all.length ? 10 ** Math.floor(Math.log10(Math.min(...all))) : 0.1;
  const hi = all.length ? 10 ** Math.ceil(Math.log10(Math.max(...all))) : 10;
  return {
    animation: false,
    title: [{ text: `Power-law QQ · ${label.tensor}`, subtext: `${frameSubtitle(label)}\neigenvalues s² ≥ xmin vs Pareto · α = ${formatValue(frame.alpha)}, xmin = ${formatValue(frame.alpha_xmin)}, KS = ${formatValue(frame.alpha_ks)}`, ...titleStyle() }],
    grid: { left: 60, right: 20, top: 70, bottom: 44 },
    xAxis: { type: 'log', name: 'Pareto quantile [s²]', nameLocation: 'middle', nameGap: 24, min: lo, max: hi, axisLabel: { fontSize: 10, formatter: formatTick } },
    yAxis: { type: 'log', name: 'eigenvalue s²', nameLocation: 'middle', nameGap: 44, min: lo, max: hi, axisLabel: { fontSize: 10, formatter: formatTick }, splitLine: { lineStyle: { color: '#eeeeee' } } },
    tooltip: { trigger: 'item', confine: true, formatter: (p: { value: number[] }) => `Pareto ${formatValue(p.value[0])}<br>s² = <b>${formatValue(p.value[1])}</b>` },
    series: [
      { type: 'line', name: 'y = x', showSymbol: false, silent: true, data: [[lo, lo], [hi, hi]], lineStyle: { width: 1, color: '#999999', type: 'dashed' } },
      { type: 'scatter', name: 'tail', symbolSize: 5, data: pts, itemStyle: { color: '#CC79A7' } },
    ],
  };
}
