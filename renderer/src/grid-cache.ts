// Scalar grids fetched once per (run, metric, data version) and shared by the views: the run page
// starts the default metric's fetch at once, in parallel with getRun/listTensors, so the overview
// does not wait for one round trip after another.
import type { ScalarGrid } from '../../common/api';
import type { AtlasClient } from './api-client';

const cache = new Map<string, Promise<ScalarGrid>>();
const MAX_ENTRIES = 48;

export function loadGrid(client: AtlasClient, runId: string, metric: string, version: number): Promise<ScalarGrid> {
  const key = `${runId}\u0000${metric}\u0000${version}`;
  let p = cache.get(key);
  if (!p) {
    p = client.api.scalarGrid({ runId, metric });
    p.catch(() => cache.delete(key));
    cache.set(key, p);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return p;
}
