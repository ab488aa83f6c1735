// The study's outlier figures (common/analyses/outliers.ts): the max |x| ever reached by the
// residual stream after each block (a bar per depth: the inverted U), the dimensions carrying the
// outliers over training beside the gains of the norms that read them (category-heatmap.ts), and,
// for the GIF, one checkpoint's max |x| of every dimension with the first reading norm's gain.
import type { OutlierDimsFrame } from '../analyses/outliers';
import { formatStep, formatTick, formatValue } from './format';
import { frameSubtitle } from './histogram';
import { categoryHeatmapOption } from './category-heatmap';
import type { ChartOption, FrameLabel } from './types';
import { titleStyle } from './title';

/** resid.0 is the embedding output; resid.i the stream after block i-1. */
export function depthLabel(depth: number): string {
  return depth === 0 ? 'embed' : `block ${depth - 1}`;
}

export interface MaxEverBar {
  depth: number;
  maxEver: number | null;
  step: number | null;
}

export function maxEverOption(input: { runName: string; bars: readonly MaxEverBar[]; steps: readonly number[]; yLog?: boolean }): ChartOption {
  const span = input.steps.length ? `${input.steps.length} checkpoints, steps ${formatStep(input.steps[0])}–${formatStep(input.steps[input.steps.length - 1])}` : 'no checkpoints';
  return {
    animation: false,
    title: [{ text: `Max |x| ever per block · ${input.runName}`, subtext: `residual stream after each block (before the final norm), probe batch · largest over ${span} · value [activation]`, ...titleStyle() }],
    grid: { left: 64, right: 20, top: 60, bottom: 44 },
    xAxis: { type: 'category', data: input.bars.map((b) => depthLabel(b.depth)), name: 'residual stream after', nameLocation: 'middle', nameGap: 28, axisLabel: { fontSize: 10 } },
    yAxis: { type: input.yLog ? 'log' : 'value', name: 'max |x| ever [activation]', nameLocation: 'middle', nameGap: 48, axisLabel: { fontSize: 10, formatter: formatTick }, splitLine: { lineStyle: { color: '#eeeeee' } } },
    tooltip: {
      trigger: 'item', confine: true,
      formatter: (p: { dataIndex: number }) => {
        const b = input.bars[p.dataIndex];
        return `${depthLabel(b.depth)}<br>max |x| ever = <b>${formatValue(b.maxEver)}</b>${b.step === null ? '' : ` at step ${formatStep(b.step)}`}`;
      },
    },
    series: [{ type: 'bar', name: 'max |x| ever', data: input.bars.map((b) => b.maxEver), itemStyle: { color: '#0072B2' }, barMaxWidth: 48, label: { show: input.bars.length <= 16, position: 'top', fontSize: 9, formatter: (p: { value: number }) => formatTick(p.value) } }],
  };
}

/** Rows = the given dimensions, columns = checkpoints; one panel for max |x|, one per reading norm's gain. */
export function outlierDimsOption(input: { runName: string; depth: number; steps: readonly number[]; frames: ReadonlyArray<OutlierDimsFrame | null>; dims: readonly number[] }): ChartOption {
  const col = (f: OutlierDimsFrame | null, pick: (f: OutlierDimsFrame) => ArrayLike<number> | undefined) => input.dims.map((d) => {
    const a = f ? pick(f) : undefined;
    return a && d < a.length ? a[d] : null;
  });
  const transpose = (cols: Array<Array<number | null>>): Array<Array<number | null>> => input.dims.map((_, r) => cols.map((c) => c[r] ?? null));
  const components = [...new Set(input.frames.flatMap((f) => (f ? f.norms.map((n) => n.component) : [])))];
  return categoryHeatmapOption({
    title: `Outlier dimensions · ${depthLabel(input.depth)} · ${input.runName}`,
    subtitle: `resid.${input.depth}: the ${input.dims.length} dimensions ever among the top by max |x| (probe batch) · beside them the gains of the norms reading this stream`,
    rowLabels: input.dims.map((d) => `dim ${d}`),
    steps: input.steps,
    panels: [
      { title: 'max |x| [activation]', values: transpose(input.frames.map((f) => col(f, (x) => x.dim_max_abs))), log: true },
      ...components.map((c) => ({ title: `${c} gain`, values: transpose(input.frames.map((f) => col(f, (x) => x.norms.find((n) => n.component === c)?.gain))), diverging: { centre: 1 } })),
    ],
  });
}

export interface DimProfileExtent {
  maxAbs: number;
  gainMin: number;
  gainMax: number;
}

export function dimProfileExtent(frames: ReadonlyArray<OutlierDimsFrame | null>): DimProfileExtent {
  let maxAbs = 0;
  let gainMin = Infinity;
  let gainMax = -Infinity;
  for (const f of frames) {
    if (!f) continue;
    for (let i = 0; i < f.dim_max_abs.length; i++) maxAbs = Math.max(maxAbs, f.dim_max_abs[i]);
    const g = f.norms[0]?.gain;
    if (g) for (let i = 0; i < g.length; i++) {
      gainMin = Math.min(gainMin, g[i]);
      gainMax = Math.max(gainMax, g[i]);
    }
  }
  return { maxAbs: maxAbs || 1, gainMin: gainMin <= gainMax ? gainMin : 0, gainMax: gainMin <= gainMax ? gainMax : 1 };
}

/** One checkpoint: max |x| per dimension (bars) and the first reading norm's gain (line, right axis). */
export function dimProfileOption(frame: OutlierDimsFrame, label: FrameLabel, extent?: DimProfileExtent): ChartOption {
  const e = extent ?? dimProfileExtent([frame]);
  const norm = frame.norms[0];
  const top = new Set(frame.top_dims);
  const bars = Array.from(frame.dim_max_abs, (v, d) => ({ value: v, itemStyle: { color: top.has(d) ? '#D55E00' : '#0072B2' } }));
  return {
    animation: false,
    title: [{ text: `Max |x| per residual dimension · ${label.tensor}`, subtext: `${frameSubtitle(label)} · top ${frame.top_dims.length} in orange${norm ? ` · line: ${norm.component} gain` : ''}`, ...titleStyle() }],
    grid: { left: 60, right: 56, top: 56, bottom: 44 },
    xAxis: { type: 'category', data: Array.from(frame.dim_max_abs, (_, d) => String(d)), name: 'residual dimension', nameLocation: 'middle', nameGap: 26, axisLabel: { fontSize: 9, hideOverlap: true } },
    yAxis: [
      { type: 'value', min: 0, max: e.maxAbs, name: 'max |x| [activation]', nameLocation: 'middle', nameGap: 44, axisLabel: { fontSize: 10, formatter: formatTick }, splitLine: { lineStyle: { color: '#eeeeee' } } },
      { type: 'value', min: Math.min(0, e.gainMin), max: e.gainMax, name: norm ? `${norm.component} gain` : 'gain', nameLocation: 'middle', nameGap: 40, axisLabel: { fontSize: 10, formatter: formatTick }, splitLine: { show: false } },
    ],
    tooltip: { trigger: 'axis', confine: true },
    series: [
      { type: 'bar', name: 'max |x|', data: bars, barCategoryGap: '10%' },
      ...(norm ? [{ type: 'line', name: `${norm.component} gain`, yAxisIndex: 1, showSymbol: false, data: Array.from(norm.gain), lineStyle: { width: 1.2, color: '#009E73' } }] : []),
    ],
  };
}
