// The shared timeline of a comparison's animations and SVD tables: the union of the shown runs'
// checkpoint positions, aligned by step or, when the page's x axis is tokens seen (views/x-axis.tsx)
// and every shown run's tokens are known, by tokens seen (each run's own counts; the rule is
// common/charts/compare-timeline.ts alignRuns, which the exporter uses too). The page's run is
// already loaded; the others' run info is asked once per comparison.
import { useEffect, useMemo, useState } from 'react';
import type { CheckpointInfo } from '../../../../common/domain';
import { useAppState } from '../../context';
import type { RunContext } from '../../run-context';
import { alignRuns, positionLabel, unionPositions } from '../../../../common/charts/compare-timeline';
import { tokensOfSteps } from '../../../../common/charts/step-axis';

/** The rule is common/charts/compare-timeline.ts's (the exporter and the GIF dialog use it too). */
export { unionPositions } from '../../../../common/charts/compare-timeline';

export interface SharedTimeline {
  /** Timeline positions: steps, or tokens seen. */
  steps: number[];
  labels: string[];
  /** Each shown run's step -> timeline position. */
  xOf: ReadonlyMap<string, (step: number) => number>;
  byTokens: boolean;
  /** Each shown run's step -> tokens seen where its tokens are known (also when aligned by step). */
  tokensOf: ReadonlyMap<string, ((step: number) => number) | null>;
}

export function useSharedTimeline(ctx: RunContext): SharedTimeline | null {
  const { client } = useAppState();
  const [others, setOthers] = useState<Array<{ id: string; checkpoints: CheckpointInfo[] }> | null>(null);
  const ids = ctx.runs.filter((r) => r.id !== ctx.runId).map((r) => r.id);
  const key = ids.join(',');
  useEffect(() => {
    if (ids.length === 0) return setOthers(null);
    let live = true;
    Promise.all(ids.map((id) => client.api.getRun({ runId: id }).then((r) => ({ id, checkpoints: (r.run as unknown as { checkpoints: CheckpointInfo[] }).checkpoints }), () => ({ id, checkpoints: [] })))).then((l) => live && setOthers(l));
    return () => {
      live = false;
    };
  }, [client, key, ctx.dataVersion]);
  return useMemo(() => {
    if (!others || ids.length === 0) return null;
    const runs = [{ id: ctx.runId, checkpoints: ctx.run.checkpoints }, ...others];
    const { byTokens, xOf } = alignRuns(ctx.xUnit, runs);
    const steps = unionPositions(runs.map((r) => ({ checkpoints: r.checkpoints, x: xOf.get(r.id)! })));
    const labels = steps.map((x) => `${positionLabel(byTokens, x)} (${ctx.runs.length} runs)`);
    return { steps, labels, xOf, byTokens, tokensOf: new Map(runs.map((r) => [r.id, tokensOfSteps(r.checkpoints)])) };
  }, [others, ctx.run, key, ctx.xUnit]);
}
