// The loss and learning-rate strip under a view's plots (Overview, Animations): the run's training
// log (getRun's trainingLog) on the page's step/tokens axis, spanning the run's checkpoint columns
// as the heatmaps above do (common/charts/schedule-strip.ts). Off by default; `?lr=1` in the
// address turns it on, as the other run-page options live there.
import { useEffect, useMemo, useState } from 'react';
import { axisName, scheduleStripOption, xOfRun, type StripRun } from '../../../common/charts';
import type { RunInfo } from '../../../common/domain';
import { useAppState } from '../context';
import { replaceRouteParams } from '../routes';
import { colourOfRun, type RunContext } from '../run-context';
import { Chart } from './Chart';

/** The strip's toggle state, kept in the address (lr=1). */
export function useScheduleToggle(ctx: RunContext): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => ctx.params.get('lr') === '1');
  useEffect(() => replaceRouteParams({ lr: on ? '1' : null }), [on]);
  return [on, setOn];
}

export function ScheduleToggle({ on, setOn }: { on: boolean; setOn: (on: boolean) => void }) {
  return (
    <label className="check" title="The run's training loss and learning rate under the plots, on the same step/tokens axis">
      <input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} data-testid="schedule-toggle" /> loss &amp; learning rate
    </label>
  );
}

/**
 * One run's strip, in the run's colour (default: its colour among the page's runs); `cursorStep`
 * marks the current checkpoint (Animations); `sharedExtent` the x range (axis positions) that runs
 * side by side on tokens share (Overview: its heatmaps' range, common/charts/shared-x.ts), used
 * when the strip is on that axis too.
 */
export function ScheduleStrip({ ctx, runId, colour, cursorStep = null, sharedExtent = null }: { ctx: RunContext; runId: string; colour?: string; cursorStep?: number | null; sharedExtent?: [number, number] | null }) {
  const { client } = useAppState();
  const [run, setRun] = useState<RunInfo | null>(runId === ctx.runId ? ctx.run : null);
  useEffect(() => {
    let live = true;
    if (runId === ctx.runId) setRun(ctx.run);
    else client.api.getRun({ runId }).then((r) => live && setRun(r.run as unknown as RunInfo), () => live && setRun(null));
    return () => {
      live = false;
    };
  }, [client, runId, ctx.runId, ctx.run]);

  const built = useMemo(() => {
    if (!run) return null;
    const xOf = xOfRun(ctx.xUnit, run.checkpoints) ?? ((s: number) => s);
    const unit = xOfRun(ctx.xUnit, run.checkpoints) ? ctx.xUnit : 'step';
    const log = run.trainingLog ?? [];
    const loss = log.filter((e) => typeof e.loss === 'number');
    const lr = log.filter((e) => typeof e.learning_rate === 'number');
    const strip: StripRun = {
      runName: run.name,
      colour: colour ?? colourOfRun(ctx, runId),
      loss: { x: loss.map((e) => xOf(e.step)), values: loss.map((e) => e.loss!) },
      learningRate: { x: lr.map((e) => xOf(e.step)), values: lr.map((e) => e.learning_rate!) },
    };
    const checkpointX = run.checkpoints.filter((c) => c.step !== null && !c.missing).map((c) => xOf(c.step!));
    const extent = unit !== 'step' && unit === ctx.xUnit ? sharedExtent : null;
    const option = scheduleStripOption([strip], { stepScale: ctx.stepScale, checkpointX, xName: axisName(unit), cursor: cursorStep === null ? null : xOf(cursorStep), extent });
    const axis = option.xAxis as { min: number; max: number };
    return { option, unit, lr: strip.learningRate.values, loss: strip.loss.values, extent: [axis.min, axis.max] };
  }, [run, ctx.xUnit, ctx.stepScale, colour, ctx.runs, cursorStep, sharedExtent?.[0], sharedExtent?.[1]]);

  if (!built) return <div className="panel schedule-strip muted" data-testid="schedule-strip">loading the training log…</div>;
  if (!built.lr.length && !built.loss.length) {
    return <div className="panel schedule-strip muted" data-testid="schedule-strip" data-lr-count="0">{run?.name}: no training log (trainer_state.json) with loss or learning rate.</div>;
  }
  return (
    <div className="panel schedule-strip" data-testid="schedule-strip" data-run-id={runId}>
      <Chart
        option={built.option}
        height={120}
        ariaLabel={`training loss and learning rate of ${run?.name ?? runId}`}
        dataAttributes={{ 'lr-count': String(built.lr.length), 'lr-values': built.lr.join(','), 'loss-count': String(built.loss.length), 'x-unit': built.unit, 'x-extent': built.extent.join(',') }}
        testId="schedule-chart"
      />
    </div>
  );
}
