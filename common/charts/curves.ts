// Metric-vs-step curves: one line per block (coloured by depth), runs overlaid (told apart by line
// style), on a log or linear step axis, with the loss curve(s) in a short second grid underneath
// sharing the same step axis so regime changes line up vertically.
import type { ScalarGrid } from '../api';
import type { Block } from '../domain';
import { blockLabel, blockOrder, formatStep, formatTick, formatValue } from './format';
import { OKABE_ITO, RUN_DASHES, orderedLineColour } from './palette';
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
    out.push([stepPosition(steps[i]!, stepScale), v, steps[i]!]);
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
  const runs = [...new Set([...lines, ...loss].map((l) => `${l.runIndex}\u0000${l.runName}`))];
  const unit = metric.unit ? ` [${metric.unit}]` : '';

  const series: Record<string, unknown>[] = lines.map((l) => ({
    type: 'line',
    name: `${l.runName} · ${l.label ?? blockLabel(l.block)}`,
    xAxisIndex: 0,
    yAxisIndex: 0,
    showSymbol: false,
    symbolSize: 4,
    lineStyle: { width: 1.25, type: RUN_DASHES[l.runIndex % RUN_DASHES.length] },
    color: orderedLineColour(blocks.indexOf(blockOrder(l.block)), blocks.length),
    emphasis: { focus: 'series', lineStyle: { width: 2.5 } },
    data: curvePoints(l.steps, l.values, stepScale, yLog),
  }));
  for (const l of loss) {
    series.push({
      type: 'line',
      name: `${l.runName} · ${l.label}`,
      xAxisIndex: 1,
      yAxisIndex: 1,
      showSymbol: false,
      lineStyle: { width: 1.25, type: RUN_DASHES[l.runIndex % RUN_DASHES.length] },
      color: OKABE_ITO[(l.label.includes('probe') ? 1 : 0) + 2 * (l.runIndex % 3)] ?? OKABE_ITO[0],
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
    ? [{ ...stepAxis(stepScale, extent, ''), gridIndex: 0 }, { ...stepAxis(stepScale, extent), gridIndex: 1 }]
    : [{ ...stepAxis(stepScale, extent), gridIndex: 0 }];
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
  const soleRun = [...lines, ...loss][0]?.runName ?? '';
  const legendData = runs.length > 1 ? series.map((s) => s.name as string) : lines.map((l) => `${l.runName} · ${l.label ?? blockLabel(l.block)}`);
  return {
    animation: false,
    title: {
      text: input.title,
      subtext: `${metric.label}${unit} vs step (${stepScale} steps${yChoice.why ? `; ${yChoice.why}` : ''})`,
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
      // One run: the title names it, so the legend says only the block (and the labels fit the
      // 130 px beside the plot instead of running over the lines); longer labels are cut.
      formatter: new Set([...lines, ...loss].map((l) => l.runName)).size === 1 ? (name: string) => (name.startsWith(`${soleRun} · `) ? name.slice(soleRun.length + 3) : name) : undefined,
      textStyle: { fontSize: 10, width: 112, overflow: 'truncate' },
      data: [...legendData, ...loss.map((l) => `${l.runName} · ${l.label}`)],
    },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p: { seriesName: string; value: number[] }) =>
        `${escapeHtml(p.seriesName)}<br>step ${formatStep(p.value[2]!)}: <b>${formatValue(p.value[1])}</b>`,
    },
    series,
  };
}
