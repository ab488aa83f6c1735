// What a run's page hands every view (views/RunPage.tsx holds the state; the views read it): a
// module of its own, so that views need not import the page that imports them.
import type { RunSummary, TensorMeta } from '../../common/api';
import type { RunInfo } from '../../common/domain';
import type { AxisUnit } from '../../common/charts/step-axis';
import { runStyles, type RunGroup, type RunStyle } from '../../common/charts/compare';

export type StepScaleChoice = 'log' | 'linear';

export interface RunContext {
  runId: string;
  run: RunInfo;
  summary: RunSummary | null;
  tensors: TensorMeta[];
  metrics: string[];
  /** Runs shown together: this run first, then the compared ones. */
  runs: RunSummary[];
  /** Bumped whenever an analysis of a shown run finishes: views reload their data. */
  dataVersion: number;
  metric: string;
  setMetric: (m: string) => void;
  stepScale: StepScaleChoice;
  setStepScale: (s: StepScaleChoice) => void;
  /** Steps or tokens seen on every step axis (common/charts/step-axis.ts; views/x-axis.tsx). */
  xUnit: AxisUnit;
  setXUnit: (u: AxisUnit) => void;
  params: URLSearchParams;
  /** Seed groups among `runs` and how views that draw lines show them ('none': each run). */
  band: 'none' | 'minmax' | 'std';
  groups: RunGroup[];
}

/**
 * A shown run's colour and line type: its own (RunSummary.colourSlot, stored with the run) through
 * runStyles of the shown runs, as the exporter computes it (main/export/compare.ts).
 */
export function styleOfRun(ctx: Pick<RunContext, 'runs'>, runId: string): RunStyle {
  return runStyles(ctx.runs).get(runId) ?? runStyles([{ id: runId }]).get(runId)!;
}

/** A shown run's fixed colour (styleOfRun). */
export function colourOfRun(ctx: Pick<RunContext, 'runs'>, runId: string): string {
  return styleOfRun(ctx, runId).colour;
}
