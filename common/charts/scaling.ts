// The scaling view's chart: a metric against model size (parameters) on log-log axes, one line
// per depth fraction or component, one point per run at the matched step or token count, the
// log-log slope of each line in its legend entry (the exponent of "value ~ params^slope").
// Used by the app (renderer/src/views/Scaling.tsx) and the exporter (main/export/scaling.ts), so
// an exported figure is the picture on screen. Points are labelled with the run names, ringed and
// labelled in each run's own colour (runStyles of the runs' colour slots); runs without a size or
// a value are listed under the plot by the view, not drawn.
import type { ScalingResult } from '../api';
import { formatStep, formatTick, formatValue } from './format';
import { orderedLineColour, OKABE_ITO } from './palette';
import { runStyles } from './compare';
import { escapeHtml, type ChartOption } from './types';
import { titleStyle } from './title';

/** "1.2M params" style compact parameter counts. */
export function formatParams(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toPrecision(3)}B`;
  if (n >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toPrecision(3)}k`;
  return String(n);
}

/** Whole decades around positive values (log axes label decades; other bounds print as 17.8). */
export function logBounds(v: readonly number[]): { min?: number; max?: number } {
  const pos = v.filter((x) => x > 0 && Number.isFinite(x));
  if (!pos.length) return {};
  const lo = Math.floor(Math.log10(Math.min(...pos)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...pos))));
  return { min: Math.pow(10, lo), max: Math.pow(10, hi) };
}

/** "at step 512" / "at 1.2M tokens" / "max up to step 512": what the y values are. */
export function scalingWhen(r: Pick<ScalingResult, 'align' | 'at' | 'reduce'>): string {
  if (r.at === null) return 'no matched point';
  const where = r.align === 'tokens' ? `${formatStep(r.at)} tokens` : `step ${r.at}`;
  return r.reduce === 'max-ever' ? `max up to ${where}` : `at ${where}`;
}

export function scalingTitle(r: ScalingResult): { text: string; subtext: string } {
  const what = r.lines === 'depth' ? `${r.component ?? '–'} by depth` : `per component (${r.kind ?? 'all kinds'})`;
  const x = r.params === 'total' ? 'parameters' : 'non-embedding parameters';
  const runs = r.runs.map((x) => x.name).join(', ');
  return { text: `${r.label} vs ${x} · ${what}`, subtext: `${scalingWhen(r)} · ${r.unit} · runs: ${runs}` };
}

/** Legend name of a series: its label and slope. */
export function seriesName(s: ScalingResult['series'][number]): string {
  return s.slope === null ? s.label : `${s.label} (slope ${s.slope.toFixed(2)})`;
}

export function scalingOption(r: ScalingResult, options: { interactive?: boolean } = {}): ChartOption {
  const t = scalingTitle(r);
  const depth = r.lines === 'depth';
  const runs = runStyles(r.runs.map((x) => ({ id: x.runId, colourSlot: x.colourSlot })));
  const series = r.series.map((s, si) => {
    const points = r.runs
      .filter((run) => run.params !== null && run.values[si] !== null && run.values[si] > 0)
      .map((run) => {
        // Each run's point ringed, and labelled, in the run's own colour (as every view shows the run).
        const colour = runs.get(run.runId)?.colour;
        return { value: [run.params!, run.values[si]!], name: run.name, tensor: run.tensors[si], step: run.step, tokens: run.tokens, itemStyle: { borderColor: colour, borderWidth: 2.5 }, label: { color: colour } };
      })
      .sort((a, b) => a.value[0] - b.value[0]);
    const colour = depth ? orderedLineColour(si, r.series.length) : OKABE_ITO[si % OKABE_ITO.length];
    return {
      type: 'line',
      name: seriesName(s),
      data: points,
      symbol: 'circle',
      symbolSize: 8,
      lineStyle: { width: 2, color: colour },
      itemStyle: { color: colour },
      label: { show: si === r.series.length - 1, position: 'right', fontSize: 10, formatter: (p: { data: { name: string } }) => p.data.name },
      animation: false,
    };
  });
  const values = series.flatMap((s) => s.data.map((p) => p.value[1]));
  const xs = series.flatMap((s) => s.data.map((p) => p.value[0]));
  const bounds = logBounds;
  return {
    animation: false,
    title: [{ text: t.text, subtext: t.subtext, ...titleStyle() }],
    grid: { left: 70, right: 150, top: 62, bottom: 50 },
    legend: { type: 'scroll', orient: 'vertical', right: 4, top: 62, textStyle: { fontSize: 10 } },
    xAxis: { type: 'log', logBase: 10, name: r.params === 'total' ? 'parameters (log)' : 'non-embedding parameters (log)', nameLocation: 'middle', nameGap: 28, ...bounds(xs), axisLabel: { formatter: (v: number) => formatParams(v) } },
    yAxis: { type: 'log', logBase: 10, name: `${r.label} (${r.unit}, log)`, nameLocation: 'middle', nameGap: 52, ...bounds(values), axisLabel: { formatter: (v: number) => formatTick(v) } },
    tooltip: options.interactive
      ? {
          trigger: 'item',
          confine: true,
          formatter: (p: { seriesName: string; data: { name: string; value: number[]; tensor: string | null; step: number | null; tokens: number | null } }) =>
            `<b>${escapeHtml(p.data.name)}</b> · ${escapeHtml(p.seriesName)}<br>${formatParams(p.data.value[0])} parameters (${p.data.value[0].toLocaleString('en')})<br>` +
            `${escapeHtml(r.label)} = <b>${formatValue(p.data.value[1])}</b> ${escapeHtml(r.unit)}<br>` +
            `step ${p.data.step ?? '–'}${p.data.tokens !== null ? ` · ${formatStep(p.data.tokens)} tokens` : ''}<br>${escapeHtml(p.data.tensor ?? '')}`,
        }
      : undefined,
    series,
  };
}

/** The numbers behind the chart as CSV (one row per run x series). */
export function scalingCsv(r: ScalingResult): string {
  const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const head = ['run', 'run_id', 'params', 'params_kind', 'params_method', 'align', 'matched_at', 'checkpoint', 'step', 'tokens', 'metric', 'unit', 'reduce', 'series', 'tensor', 'value', 'series_loglog_slope'];
  const rows = [head.join(',')];
  for (const run of r.runs) {
    r.series.forEach((s, si) => {
      rows.push(
        [run.name, run.runId, run.params ?? '', r.params, run.paramsMethod, r.align, r.at ?? '', run.checkpointId ?? '', run.step ?? '', run.tokens ?? '', r.metric, r.unit, r.reduce, s.label, run.tensors[si] ?? '', run.values[si] ?? '', s.slope ?? '']
          .map((v) => q(String(v)))
          .join(','),
      );
    });
  }
  return rows.join('\n') + '\n';
}
