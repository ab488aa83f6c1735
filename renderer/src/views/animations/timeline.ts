// The shared timeline of a comparison's animations: the union of the shown runs' checkpoint
// positions, aligned by step or, when the page's x axis is tokens seen (views/x-axis.tsx) and
// every shown run's tokens are known, by tokens seen (each run's own counts). The page's run is
// already loaded; the others' run info is asked once per comparison.
import { useEffect, useMemo, useState } from 'react';
import type { CheckpointInfo } from '../../../../common/domain';
import { axisLabel, formatStep } from '../../../../common/charts';
import { useAppState } from '../../context';
import type { RunContext } from '../../run-context';
import { tokensAvailable, useTokenMaps } from '../x-axis';

/** Sorted distinct positions (x of each run's present checkpoints with a step). */
export function unionPositions(runs: ReadonlyArray<{ checkpoints: ReadonlyArray<Pick<CheckpointInfo, 'step' | 'missing'>>; x: (step: number) => number }>): number[] {
  const set = new Set<number>();
  for (const r of runs) for (const c of r.checkpoints) if (!c.missing && c.step !== null) set.add(r.x(c.step));
  return [...set].sort((a, b) => a - b);
}

export interface SharedTimeline {
  /** Timeline positions: steps, or tokens seen. */
  steps: number[];
  labels: string[];
  /** Each shown run's step -> timeline position. */
  xOf: ReadonlyMap<string, (step: number) => number>;
  byTokens: boolean;
}

export function useSharedTimeline(ctx: RunContext): SharedTimeline | null {
  const { client } = useAppState();
  const [others, setOthers] = useState<Array<{ id: string; checkpoints: CheckpointInfo[] }> | null>(null);
  const maps = useTokenMaps(ctx);
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
    const byTokens = ctx.xUnit === 'tokens' && tokensAvailable(maps);
    const runs = [{ id: ctx.runId, checkpoints: ctx.run.checkpoints }, ...others];
    const xOf = new Map(runs.map((r) => [r.id, byTokens ? maps.get(r.id)! : (s: number) => s] as const));
    const steps = unionPositions(runs.map((r) => ({ checkpoints: r.checkpoints, x: xOf.get(r.id)! })));
    const labels = steps.map((x) => (byTokens ? `${formatStep(x)} tokens (${ctx.runs.length} runs)` : `${axisLabel('step', x, x)} (${ctx.runs.length} runs)`));
    return { steps, labels, xOf, byTokens };
  }, [others, ctx.run, key, ctx.xUnit, maps]);
}
