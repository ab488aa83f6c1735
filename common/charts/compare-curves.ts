// Curves of a comparison, shared by the Curves view and the curves export (main/export/compare.ts):
// every run in its fixed colour (runStyle), optionally one block only, and seed groups drawn as
// their mean with a min-max or +-1 sd band (a polygon custom series, so the band is right on a
// log y axis too, where echarts' stacked areas are not).
import type { ScalarGrid } from '../api';
import { bandOf, runStyle, seedGroups, type BandKind } from './compare';
import { type CurveLine, linesFromGrid } from './curves';
import { blockLabel } from './format';
import { stepPosition, type StepScale } from './step-axis';

export interface CompareRun {
  runId: string;
  runName: string;
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
  /** In shown order: run i gets runStyle(i). */
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
  const index = new Map(input.runs.map((r, i) => [r.runId, i]));
  const groups = input.band === 'none' ? input.runs.map((r) => ({ key: r.runName, members: [r.runId] })) : seedGroups(input.runs.map((r) => ({ id: r.runId, name: r.runName })));
  for (const g of groups) {
    const first = index.get(g.members[0])!;
    const style = runStyle(first);
    const perRun = g.members.map((id) => {
      const r = input.runs[index.get(id)!];
      return linesFromGrid(r.grid, r.runName, index.get(id)!, input.component, input.kind).filter((l) => !input.block || blockLabel(l.block) === input.block);
    });
    if (g.members.length === 1) {
      for (const l of perRun[0]) lines.push({ ...l, colour: style.colour, line: style.line });
      continue;
    }
    // Mean and band at the steps every member has (matched steps).
    const name = `${g.key} (mean of ${g.members.length} seeds)`;
    const tensors = [...new Set(perRun.flatMap((ls) => ls.map((l) => l.tensor)))];
    for (const tensor of tensors) {
      const members = perRun.map((ls) => ls.find((l) => l.tensor === tensor)).filter((l): l is CurveLine => l !== undefined);
      const b = bandOf(members, input.band as BandKind, { complete: members.length === g.members.length });
      lines.push({ runName: name, runIndex: first, block: members[0].block, tensor, steps: b.steps, values: b.mean, colour: style.colour, line: style.line });
      bands.push({ name: `${name} · ${blockLabel(members[0].block)} ${input.band === 'std' ? '±1 sd' : 'min–max'}`, colour: style.colour, steps: b.steps, lower: b.lower, upper: b.upper });
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
