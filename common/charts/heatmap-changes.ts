// Change points (API `trajectories`, main/metrics/changepoints.ts) on a heatmap panel: a diamond in
// each cell where that row's trajectory changes regime, and a tick above each column where any row
// of the panel does. The marks are data ([x centre, row, column, step, strength]) so the app's
// canvas (views/overview/HeatmapPanel.tsx) and echarts (series added here, for exported figures)
// draw the same ones; the cell tooltip gains a "change point" line.
import { formatStep, formatValue } from './format';
import { columnPositions, type HeatmapPanel } from './heatmap';
import { columnSpans, type StepScale } from './step-axis';
import type { ChartOption } from './types';
import { CHANGE_COLOUR } from './trajectory-overlays';

/** tensor -> step -> strength. */
export type ChangeIndex = ReadonlyMap<string, ReadonlyMap<number, number>>;

export function changeIndex(changePoints: ReadonlyArray<{ tensor: string; step: number; strength: number }>): ChangeIndex {
  const out = new Map<string, Map<number, number>>();
  for (const c of changePoints) {
    let m = out.get(c.tensor);
    if (!m) out.set(c.tensor, (m = new Map()));
    m.set(c.step, Math.max(m.get(c.step) ?? 0, c.strength));
  }
  return out;
}

/** Column order of a mark tuple. */
export const MARK = { x: 0, row: 1, column: 2, step: 3, strength: 4 } as const;

/** [x centre, row, column, step, strength] of every marked cell of the panel. */
export function panelChangeMarks(panel: HeatmapPanel, index: ChangeIndex | null | undefined, stepScale: StepScale): number[][] {
  if (!index || !index.size) return [];
  const spans = columnSpans(columnPositions(panel, stepScale));
  const marks: number[][] = [];
  panel.rows.forEach((row, r) => {
    const m = index.get(row.tensor);
    if (!m) return;
    panel.steps.forEach((step, c) => {
      const s = m.get(step);
      if (s !== undefined && row.values[c] !== null && row.values[c] !== undefined) marks.push([(spans[c][0] + spans[c][1]) / 2, r, c, step, s]);
    });
  });
  return marks;
}

/** Columns with at least one mark, ascending, with how many rows change there. */
export function changeColumns(marks: readonly number[][]): Array<{ column: number; step: number; rows: number }> {
  const by = new Map<number, { column: number; step: number; rows: number }>();
  for (const m of marks) {
    const c = m[MARK.column];
    const e = by.get(c) ?? { column: c, step: m[MARK.step], rows: 0 };
    e.rows++;
    by.set(c, e);
  }
  return [...by.values()].sort((a, b) => a.column - b.column);
}

/** The tooltip line of a cell that is a change point, or ''. */
export function changeLine(marks: readonly number[][], row: number, column: number): string {
  const m = marks.find((x) => x[MARK.row] === row && x[MARK.column] === column);
  return m ? `<span style="color:${CHANGE_COLOUR}">◆</span> change point (strength ${formatValue(m[MARK.strength])})` : '';
}

/** One sentence for screen readers and the readout. */
export function changeSummary(marks: readonly number[][]): string {
  const cols = changeColumns(marks);
  if (!cols.length) return 'No change points.';
  return `Change points at step${cols.length > 1 ? 's' : ''} ${cols.map((c) => `${formatStep(c.step)} (${c.rows} row${c.rows > 1 ? 's' : ''})`).join(', ')}.`;
}

/** heatmapOption's result with the marks as an echarts series and the tooltip line (exports). */
export function withHeatmapChangeMarks(option: ChartOption, marks: readonly number[][]): ChartOption {
  if (!marks.length) return option;
  const tooltip = option.tooltip as { formatter: (p: { value: number[] }) => string } & Record<string, unknown>;
  const base = tooltip.formatter;
  return {
    ...option,
    tooltip: {
      ...tooltip,
      formatter: (p: { value: number[]; seriesName?: string }) => {
        const line = changeLine(marks, p.value[2], p.value[5]);
        return line ? `${base(p)}<br>${line}` : base(p);
      },
    },
    series: [
      ...(option.series as object[]),
      {
        type: 'scatter',
        name: 'change points',
        symbol: 'diamond',
        symbolSize: 7,
        silent: true,
        itemStyle: { color: CHANGE_COLOUR, borderColor: '#ffffff', borderWidth: 1 },
        data: marks.map((m) => [m[MARK.x], m[MARK.row]]),
        z: 5,
      },
    ],
  };
}
