// The change points of the Overview's metric for every shown run (API `trajectories`, without
// forecasts: the engine caches them per metric), as one ChangeIndex per run for the panels.
import { useEffect, useState } from 'react';
import { changeIndex, type ChangeIndex } from '../../../../common/charts';
import { useAppState } from '../../context';

export function useChangePoints(runIds: readonly string[], metric: string, dataVersion: number, enabled: boolean): ReadonlyMap<string, ChangeIndex> {
  const { client } = useAppState();
  const [byRun, setByRun] = useState<ReadonlyMap<string, ChangeIndex>>(new Map());
  const key = runIds.join(',');
  useEffect(() => {
    let live = true;
    if (!enabled) {
      setByRun(new Map());
      return;
    }
    const none: ChangeIndex = new Map();
    const load = (runId: string): Promise<[string, ChangeIndex]> =>
      client.api.trajectories({ runId, metric }).then((t) => [runId, changeIndex(t.changePoints)], () => [runId, none]);
    Promise.all(runIds.map(load)).then((pairs) => live && setByRun(new Map(pairs)));
    return () => {
      live = false;
    };
  }, [client, key, metric, dataVersion, enabled]);
  return byRun;
}
