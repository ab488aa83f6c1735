// The step/tokens choice of a run page, shared by every view with a step axis (Overview, Curves,
// Animations, SVD directions; common/charts/step-axis.ts holds the mapping): the select that sets
// it, and each shown run's step -> x mapping (tokens need every run's checkpoints: getRun).
import { useEffect, useMemo, useState } from 'react';
import type { HeatmapPanel } from '../../../common/charts/heatmap';
import { axisLabel, tokensOfSteps, type AxisUnit } from '../../../common/charts/step-axis';
import type { CheckpointInfo } from '../../../common/domain';
import { useAppState } from '../context';
import type { RunContext } from '../run-context';

type StepMap = (step: number) => number;

/** step -> tokens of every shown run (null where its tokens are unknown). */
export function useTokenMaps(ctx: RunContext): ReadonlyMap<string, StepMap | null> {
  const { client } = useAppState();
  const ids = ctx.runs.length ? ctx.runs.map((r) => r.id) : [ctx.runId];
  const key = ids.join(',');
  const [maps, setMaps] = useState<ReadonlyMap<string, StepMap | null>>(new Map([[ctx.runId, tokensOfSteps(ctx.run.checkpoints)]]));
  useEffect(() => {
    let live = true;
    const load = async (id: string): Promise<[string, StepMap | null]> => {
      if (id === ctx.runId) return [id, tokensOfSteps(ctx.run.checkpoints)];
      const r = await client.api.getRun({ runId: id }).catch(() => null);
      return [id, r ? tokensOfSteps((r.run as { checkpoints: CheckpointInfo[] }).checkpoints) : null];
    };
    Promise.all(ids.map(load)).then((pairs) => live && setMaps(new Map(pairs)));
    return () => {
      live = false;
    };
  }, [client, key, ctx.run, ctx.dataVersion]);
  return maps;
}

/** Whether the tokens axis can be drawn: every shown run has token counts. */
export function tokensAvailable(maps: ReadonlyMap<string, StepMap | null>): boolean {
  return maps.size > 0 && [...maps.values()].every((m) => m !== null);
}

/** The "X axis" select: step or tokens seen (disabled, with the reason, when tokens are unknown). */
export function XAxisSelect({ ctx, available, id }: { ctx: RunContext; available: boolean; id: string }) {
  return (
    <>
      <label htmlFor={id}>X axis</label>
      <select
        id={id}
        value={available ? ctx.xUnit : 'step'}
        onChange={(e) => ctx.setXUnit(e.target.value as AxisUnit)}
        data-testid="x-unit"
        title={available ? 'Plot against training step or tokens seen (runs side by side align by it)' : 'Tokens seen are unknown for a shown run (no trainer_state.json counts): give tokens per step on the run page'}
      >
        <option value="step">step</option>
        <option value="tokens" disabled={!available}>tokens seen</option>
      </select>
    </>
  );
}

/**
 * Heatmap panels with their columns on the chosen axis (tokens: each run's own counts, so runs
 * side by side align by tokens). The same panel object comes back for the same input, so memoised
 * panels are not redrawn on every render.
 */
export function usePanelsOnAxis(unit: AxisUnit, maps: ReadonlyMap<string, StepMap | null>): (panel: HeatmapPanel) => HeatmapPanel {
  return useMemo(() => {
    const cache = new WeakMap<HeatmapPanel, HeatmapPanel>();
    return (panel: HeatmapPanel) => {
      const map = maps.get(panel.runId);
      if (unit === 'step' || !map || !tokensAvailable(maps)) return panel;
      let out = cache.get(panel);
      if (!out) cache.set(panel, (out = { ...panel, x: { unit, values: panel.steps.map(map) } }));
      return out;
    };
  }, [unit, maps]);
}

/** Timeline labels of checkpoints on the chosen axis: "step 512 (id)" or "1.05M tokens (step 512) (id)". */
export function checkpointLabels(unit: AxisUnit, all: readonly CheckpointInfo[], shown: ReadonlyArray<{ id: string; label: string; step: number | null }>): string[] {
  const map = unit === 'tokens' ? tokensOfSteps(all) : null;
  return shown.map((c) => (c.step === null ? c.label : `${axisLabel(map ? 'tokens' : 'step', c.step, map ? map(c.step) : c.step)} (${c.id})`));
}
