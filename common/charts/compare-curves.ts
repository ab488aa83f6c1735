// Curves of a comparison, shared by the Curves view and the curves export (main/export/compare.ts):
// every run in its own fixed colour (runStyles of the runs' colour slots), optionally one block
// only, and seed groups drawn as their mean with a min-max or +-1 sd band (seed-bands.ts, the one
// code path of seed bands; a polygon custom series, so the band is right on a log y axis too,
// where echarts' stacked areas are not).
import type { ScalarGrid } from '../api';
import { runStyles, type BandKind } from './compare';
import { type CurveLine, linesFromGrid } from './curves';
import { blockLabel } from './format';
import { foldSeedGroups } from './seed-bands';
import { stepPosition, type StepScale } from './step-axis';

export interface CompareRun {
  runId: string;
  runName: string;
  /** The run's colour slot (RunSummary.colourSlot; main/store/run-colours.ts). */
  colourSlot?: number | null;
  /** The metric's grid (steps already mapped to the x quantity: steps or tokens). */
  grid: ScalarGrid;
}

export interface BandArea {
  name: string;
  colour: string;
  steps: number[];
  lower: Array<number | null>;
  upper: Array<number | null>;
}

export interface CompareCurvesInput {
  /** In shown order, each in its own colour (a seed group in its first member's). */
  runs: CompareRun[];
  component: string;
  kind: string;
  /** One block (its blockLabel, e.g. "block 3" or "embed"); absent: every block. */
  block?: string;
  /** Seed groups as mean + band, or every run as itself. */
  band: 'none' | BandKind;
}

/** Lines (coloured by run) and band areas of a comparison's curves. */
export function compareCurves(input: CompareCurvesInput): { lines: CurveLine[]; bands: BandArea[] } {
  const lines: CurveLine[] = [];
  const bands: BandArea[] = [];
  const styles = runStyles(input.runs.map((r) => ({ id: r.runId, colourSlot: r.colourSlot })));
  const index = new Map(input.runs.map((r, i) => [r.runId, i]));
  const keep = (l: CurveLine) => !input.block || blockLabel(l.block) === input.block;
  const folded = input.band === 'none' ? input.runs.map((run) => ({ run, group: null })) : foldSeedGroups(input.runs, input.band);
  for (const { run, group } of folded) {
    const style = styles.get(run.runId)!;
    const runIndex = index.get(run.runId)!;
    if (!group) {
      for (const l of linesFromGrid(run.grid, run.runName, runIndex, input.component, input.kind).filter(keep)) lines.push({ ...l, colour: style.colour, line: style.line });
      continue;
    }
    // Mean and band at the steps every member has (matched steps).
    const means = linesFromGrid(group.mean, group.name, runIndex, input.component, input.kind).filter(keep);
    for (const l of means) {
      const row = group.mean.tensors.findIndex((t) => t.tensor === l.tensor);
      const keepAt = l.values.map((v) => v !== null);
      const at = <T,>(xs: T[]) => xs.filter((_, i) => keepAt[i]);
      lines.push({ ...l, steps: at(l.steps), values: at(l.values), colour: style.colour, line: style.line });
      bands.push({ name: `${group.name} · ${blockLabel(l.block)} ${group.band === 'std' ? '±1 sd' : 'min–max'}`, colour: style.colour, steps: at(group.mean.steps), lower: at(group.lower.values[row]), upper: at(group.upper.values[row]) });
    }
  }
  return { lines, bands };
}

/**
 * Band areas as echarts custom series (one filled polygon each: the upper bound forward, the
 * lower bound back) on the metric grid of curvesOption. On a log y axis, bounds <= 0 are
 * raised to the smallest positive value of the band.
 */
export function bandSeries(bands: readonly BandArea[], stepScale: StepScale, yLog: boolean): Record<string, unknown>[] {
  return bands.map((b) => {
    const floor = Math.min(...[...b.lower, ...b.upper].filter((v): v is number => v !== null && v > 0), Infinity);
    const fix = (v: number) => (yLog && v <= 0 ? floor : v);
    const pts: number[][] = [];
    b.steps.forEach((s, i) => {
      const lo = b.lower[i];
      const hi = b.upper[i];
      if (lo === null || hi === null || lo === undefined || hi === undefined) return;
      pts.push([stepPosition(s, stepScale), fix(lo), fix(hi), s]);
    });
    return {
      type: 'custom',
      name: b.name,
      xAxisIndex: 0,
      yAxisIndex: 0,
      silent: true,
      z: 1,
      encode: { x: 0, y: [1, 2] },
      tooltip: { show: false },
      data: pts,
      renderItem: (params: { dataIndex: number }, api: { coord: (v: number[]) => number[] }) => {
        if (params.dataIndex !== 0 || pts.length === 0) return null;
        const upper = pts.map((p) => api.coord([p[0], p[2]]));
        const lower = pts.map((p) => api.coord([p[0], p[1]])).reverse();
        return { type: 'polygon', shape: { points: [...upper, ...lower] }, style: { fill: b.colour, opacity: 0.2 } };
      },
    };
  });
}
