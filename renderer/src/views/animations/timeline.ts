// The shared timeline of a comparison's animations: the union of the shown runs' checkpoint steps
// (aligned by step), labelled with the step. The page's run is already loaded; the others' run
// info is asked once per comparison.
import { useEffect, useMemo, useState } from 'react';
import type { CheckpointInfo } from '../../../../common/domain';
import { formatStep } from '../../../../common/charts';
import { useAppState } from '../../context';
import type { RunContext } from '../../run-context';

/** Sorted distinct steps of the present checkpoints of several runs. */
export function unionSteps(runs: ReadonlyArray<ReadonlyArray<Pick<CheckpointInfo, 'step' | 'missing'>>>): number[] {
  const set = new Set<number>();
  for (const cps of runs) for (const c of cps) if (!c.missing && c.step !== null) set.add(c.step);
  return [...set].sort((a, b) => a - b);
}

export function useSharedTimeline(ctx: RunContext): { steps: number[]; labels: string[] } | null {
  const { client } = useAppState();
  const [others, setOthers] = useState<CheckpointInfo[][] | null>(null);
  const ids = ctx.runs.filter((r) => r.id !== ctx.runId).map((r) => r.id);
  const key = ids.join(',');
  useEffect(() => {
    if (ids.length === 0) return setOthers(null);
    let live = true;
    Promise.all(ids.map((id) => client.api.getRun({ runId: id }).then((r) => (r.run as unknown as { checkpoints: CheckpointInfo[] }).checkpoints, () => []))).then((l) => live && setOthers(l));
    return () => {
      live = false;
    };
  }, [client, key, ctx.dataVersion]);
  return useMemo(() => {
    if (!others || ids.length === 0) return null;
    const steps = unionSteps([ctx.run.checkpoints, ...others]);
    return { steps, labels: steps.map((s) => `step ${formatStep(s)} (${ctx.runs.length} runs)`) };
  }, [others, ctx.run, key]);
}
