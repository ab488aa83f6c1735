// Metric-vs-step curves: one line per block (coloured by depth), runs overlaid (told apart by line
// style), on a log or linear step axis, with the loss curve(s) in a short second grid underneath
// sharing the same step axis so regime changes line up vertically.
import type { ScalarGrid } from '../api';
import type { Block } from '../domain';
import { blockLabel, blockOrder, formatStep, formatTick, formatValue } from './format';
import { RUN_DASHES, orderedLineColour } from './palette';
import { stepAxis, stepPosition, type StepScale } from './step-axis';
import { escapeHtml, type ChartOption, type MetricLike } from './types';
import { titleStyle } from './title';

export interface CurveLine {
  runName: string;
  /** Position of the run among those overlaid (picks the line style). */
  runIndex: number;
  block: Block | null;
  tensor: string;
  steps: number[];
  values: Array<number | null>;
  /** Legend name instead of the block's (e.g. "average"). */
  label?: string;
  /** Fixed colour and line type (a comparison colours by run: common/charts/compare.ts runStyle). */
  colour?: string;
  line?: 'solid' | 'dashed' | 'dotted';
}

export interface LossLine {
  runName: string;
  runIndex: number;
  /** e.g. "training loss" (trainer log) or "probe loss". */
  label: string;
  steps: number[];
  values: Array<number | null>;
}

export interface CurvesInput {
  title: string;
  metric: MetricLike;
  lines: CurveLine[];
  loss: LossLine[];
  stepScale: StepScale;
  /** Asked-for log y; honoured only when every plotted value is positive. */
  yLog: boolean;
  /**
   * TensorBoard-style smoothing weight in [0, 1): each line drawn as its debiased exponential
   * moving average, the raw line faint behind it. 0 (default) draws the raw values only.
   */
  smoothing?: number;
  /**
   * The app's interactive chart: hover values of every line at the hovered step (one crosshair
   * across the metric and loss grids), wheel/drag zoom and pan on the step axis. Exported
   * figures leave it off.
   */
  interactive?: boolean;
  /** Name of the x axis: 'step' (default) or 'tokens' when the view plots against tokens seen. */
  xName?: string;
}

/**
 * TensorBoard's smoothing: an exponential moving average with weight w over the finite values
 * in step order, divided by (1 - w^n) so the start is not pulled towards zero; nulls stay null.
 */
export function emaSmooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  if (!(weight > 0)) return [...values];
  const w = Math.min(weight, 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n += 1;
    return last / (1 - w ** n);
  });
}

/** Legend text that puts what tells lines apart first: "block 3 · run" (the run is cut first). */
function legendText(name: string, runs: readonly string[]): string {
  const short = runs.length > 1 ? shortRunNames(runs) : null;
  for (const run of runs) if (name.startsWith(`${run} · `)) return runs.length === 1 ? name.slice(run.length + 3) : `${name.slice(run.length + 3)} · ${short?.get(run) ?? run}`;
  return name;
}

/**
 * The runs' names less the start they all share, cut at a separator ("atlas-demo-tiny",
 * "atlas-demo-small" -> "tiny", "small"): the legend's 112 px cut "training loss ·
 * atlas-demo-tiny" and "... atlas-demo-small" both to "training loss · atlas-de…". A name that
 * would be left empty keeps the whole shared start.
 */
export function shortRunNames(runs: readonly string[]): Map<string, string> {
  let prefix = runs[0] ?? '';
  for (const r of runs) while (!r.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = Math.max(...[...prefix].map((ch, i) => (/[-_/. ]/.test(ch) ? i + 1 : 0)), 0);
  const keep = runs.every((r) => r.length > cut) ? cut : 0;
  return new Map(runs.map((r) => [r, r.slice(keep)]));
}

/** Lines of one component (and kind) of a grid, one per tensor. */
export function linesFromGrid(grid: ScalarGrid, runName: string, runIndex: number, component: string, kind: string): CurveLine[] {
  const lines: CurveLine[] = [];
  grid.tensors.forEach((meta, t) => {
    if (meta.component !== component || meta.kind !== kind) return;
    lines.push({ runName, runIndex, block: meta.block, tensor: meta.tensor, steps: grid.steps, values: grid.values[t] ?? [] });
  });
  lines.sort((a, b) => blockOrder(a.block) - blockOrder(b.block));
  return lines;
}

/** [position, value] pairs with nulls and (on a log y axis) non-positive values dropped. */
export function curvePoints(steps: readonly number[], values: ReadonlyArray<number | null>, stepScale: StepScale, yLog: boolean): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < steps.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v) || (yLog && v <= 0)) continue;
    out.push([stepPosition(steps[i], stepScale), v, steps[i]]);
  }
  return out;
}

function allPositive(lines: ReadonlyArray<{ values: ReadonlyArray<number | null> }>): boolean {
  return lines.every((l) => l.values.every((v) => v === null || !Number.isFinite(v) || v > 0));
}

/** max / min of the finite values (1 when there are none). */
function dynamicRange(lines: ReadonlyArray<{ values: ReadonlyArray<number | null> }>): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lines) for (const v of l.values) if (v !== null && Number.isFinite(v)) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo > 0 && hi >= lo ? hi / lo : 1;
}

/**
 * Whether a log y axis is drawn: asked for, every value positive, and the values spanning at
 * least a decade (below that a log axis shows only its two end labels and reads worse than a
 * linear one).
 */
export function chooseLogY(asked: boolean, lines: ReadonlyArray<{ values: ReadonlyArray<number | null> }>): { log: boolean; why: string } {
  if (!asked) return { log: false, why: '' };
  if (!allPositive(lines)) return { log: false, why: 'linear y: values ≤ 0 present' };
  if (dynamicRange(lines) < 10) return { log: false, why: 'linear y: values span under a decade' };
  return { log: true, why: 'log y' };
}

export function curvesOption(input: CurvesInput): ChartOption {
  const { metric, lines, loss, stepScale } = input;
  const yChoice = chooseLogY(input.yLog, lines);
  const yLog = yChoice.log;

  const blocks = [...new Set(lines.map((l) => blockOrder(l.block)))].sort((a, b) => a - b);
  const allSteps = [...lines, ...loss].flatMap((l) => l.steps);
  const positions = allSteps.map((s) => stepPosition(s, stepScale));
  const lo = positions.length ? Math.min(...positions) : 0;
  const hi = positions.length ? Math.max(...positions) : 1;
  const pad = (hi - lo) * 0.02 || 0.5;
  const extent: [number, number] = [lo - pad, hi + pad];
  const hasLoss = loss.length > 0;
  const unit = metric.unit ? ` [${metric.unit}]` : '';

  const smoothing = input.smoothing ?? 0;
  const series: Record<string, unknown>[] = [];
  for (const l of lines) {
    const name = `${l.runName} · ${l.label ?? blockLabel(l.block)}`;
    const color = l.colour ?? orderedLineColour(blocks.indexOf(blockOrder(l.block)), blocks.length);
    const dash = l.line ?? RUN_DASHES[l.runIndex % RUN_DASHES.length];
    if (smoothing > 0) {
      // The raw line, faint, under the same name: the legend toggles both.
      series.push({ type: 'line', name, xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, silent: true, color, lineStyle: { width: 1, type: dash, opacity: 0.25 }, emphasis: { disabled: true }, tooltip: { show: false }, z: 1, data: curvePoints(l.steps, l.values, stepScale, yLog) });
    }
    series.push({
      type: 'line',
      name,
      xAxisIndex: 0,
      yAxisIndex: 0,
      showSymbol: false,
      symbolSize: 4,
      lineStyle: { width: 1.25, type: dash },
      color,
      emphasis: { focus: 'series', lineStyle: { width: 2.5 } },
      z: 2,
      data: curvePoints(l.steps, emaSmooth(l.values, smoothing), stepScale, yLog),
    });
  }
  for (const l of loss) {
    series.push({
      type: 'line',
      name: `${l.runName} · ${l.label}`,
      xAxisIndex: 1,
      yAxisIndex: 1,
      showSymbol: false,
      lineStyle: { width: 1.25, type: RUN_DASHES[l.runIndex % RUN_DASHES.length] },
      // Grey and vermillion: neither is close to a viridis block colour.
      color: l.label.includes('probe') ? LOSS_COLOURS.probe : LOSS_COLOURS.training,
      data: curvePoints(l.steps, l.values, stepScale, false),
    });
  }
  const grids = hasLoss
    ? [
        { left: 64, right: 130, top: 44, bottom: '34%' },
        { left: 64, right: 130, height: '17%', bottom: 34 },
      ]
    : [{ left: 64, right: 130, top: 44, bottom: 36 }];
  const xAxes = hasLoss
    ? [{ ...stepAxis(stepScale, extent, ''), gridIndex: 0 }, { ...stepAxis(stepScale, extent, input.xName), gridIndex: 1 }]
    : [{ ...stepAxis(stepScale, extent, input.xName), gridIndex: 0 }];
  const yAxes: Record<string, unknown>[] = [
    {
      type: yLog ? 'log' : 'value',
      // A log axis otherwise snaps to whole decades and flattens a 7-to-8 change into a line.
      ...(yLog ? { min: (e: { min: number }) => e.min / 1.05, max: (e: { max: number }) => e.max * 1.05 } : {}),
      gridIndex: 0,
      name: `${metric.label}${unit}`,
      nameLocation: 'middle',
      nameGap: 48,
      scale: true,
      // The step axis is a value axis with negative positions (step 0 on a log axis): keep the
      // y axis at the left edge rather than at position 0.
      axisLine: { onZero: false, show: true },
      axisLabel: { fontSize: 10, formatter: formatTick },
      splitLine: { lineStyle: { color: '#e6e6e6' } },
    },
  ];
  if (hasLoss) {
    yAxes.push({
      type: 'value',
      gridIndex: 1,
      name: 'loss [nats/token]',
      nameLocation: 'middle',
      nameGap: 48,
      scale: true,
      axisLine: { onZero: false, show: true },
      axisLabel: { fontSize: 10, formatter: formatTick },
      splitLine: { lineStyle: { color: '#eeeeee' } },
    });
  }
  const runNames = [...new Set([...lines, ...loss].map((l) => l.runName))];
  const lineNames = [...new Set(lines.map((l) => `${l.runName} · ${l.label ?? blockLabel(l.block)}`))];
  // Which run is which line style, said where the reader looks for it.
  const dashes = runNames.length > 1 && !lines.some((l) => l.colour) ? `; ${runNames.map((r, i) => `${RUN_DASHES[i % RUN_DASHES.length]}: ${r}`).join(', ')}` : '';
  const smoothed = smoothing > 0 ? `; EMA smoothing ${smoothing}, raw faint` : '';
  const interactive = input.interactive
    ? {
        tooltip: {
          trigger: 'axis',
          confine: true,
          axisPointer: { type: 'cross', label: { show: false } },
          formatter: (ps: Array<{ seriesName: string; value: number[]; color: string }>) => axisTooltip(ps, input.xName),
        },
        axisPointer: { link: [{ xAxisIndex: 'all' }] },
        dataZoom: [{ type: 'inside', xAxisIndex: hasLoss ? [0, 1] : [0], filterMode: 'none' }],
      }
    : {
        tooltip: {
          trigger: 'item',
          confine: true,
          formatter: (p: { seriesName: string; value: number[] }) => `${escapeHtml(p.seriesName)}<br>step ${formatStep(p.value[2])}: <b>${formatValue(p.value[1])}</b>`,
        },
      };
  return {
    animation: false,
    title: {
      text: input.title,
      subtext: `${metric.label}${unit} vs ${input.xName ?? 'step'} (${stepScale} ${input.xName === 'tokens' ? 'tokens' : 'steps'}${yChoice.why ? `; ${yChoice.why}` : ''}${smoothed}${dashes})`,
      ...titleStyle(13, 11),
    },
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    legend: {
      type: 'scroll',
      orient: 'vertical',
      right: 0,
      top: 44,
      bottom: 20,
      itemWidth: 18,
      itemHeight: 8,
      // One run: the title names it, so the legend says only the block. Several: the block
      // first, then the run, so a cut (labels fit the 130 px beside the plot) never removes the
      // part that tells lines apart; the subtitle says which run is which line style.
      formatter: (name: string) => legendText(name, runNames),
      textStyle: { fontSize: 10, width: 112, overflow: 'truncate' },
      data: [...lineNames, ...loss.map((l) => `${l.runName} · ${l.label}`)],
    },
    ...interactive,
    series,
  };
}

export const LOSS_COLOURS = { training: '#4d4d4d', probe: '#D55E00' } as const;

/** Hover text of the axis tooltip: the step once, then every line's value there. */
function axisTooltip(ps: Array<{ seriesName: string; value: number[]; color: string }>, xName = 'step'): string {
  const shown = ps.filter((p) => Array.isArray(p.value) && Number.isFinite(p.value[1]));
  if (shown.length === 0) return '';
  const rows = shown.map((p) => `<span style="color:${p.color}">●</span> ${escapeHtml(p.seriesName)}: <b>${formatValue(p.value[1])}</b>`);
  return `${xName} ${formatStep(shown[0].value[2])}<br>${rows.join('<br>')}`;
}
