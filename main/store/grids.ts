// Read-side shaping of cached results for the views: the tensor x checkpoint grid of a metric,
// in the run's step order: the read model, pure over the store; shared by the API and the
// exporters (export/ reads through store/, never through api/).
import { AtlasError, type ScalarGrid } from '../../common/api';
import type { CheckpointInfo, RunInfo } from '../../common/domain';
import { METRIC_BY_ID } from '../../common/catalogue';
import { ANALYSES } from '../../common/analyses';
import type { Store } from './store';

/** Present checkpoints of a run in step order: the columns of every plot. */
export function presentCheckpoints(run: RunInfo): CheckpointInfo[] {
  return run.checkpoints.filter((c) => !c.missing).sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
}

/** The block x checkpoint matrix of one metric, in the run's step order and tensor order. */
export function buildScalarGrid(store: Store, run: RunInfo, metric: string): ScalarGrid {
  if (!METRIC_BY_ID.has(metric)) throw new AtlasError('bad-request', `unknown metric "${metric}"`);
  const present = presentCheckpoints(run);
  const col = new Map(present.map((c, i) => [c.id, i]));
  const rows = store.scalarsOfMetric(run.id, metric);
  const known = store.listTensors(run.id);
  const withData = new Set(rows.map((r) => r.tensor));
  const tensors = known.filter((t) => withData.has(t.tensor));
  const rowOf = new Map(tensors.map((t, i) => [t.tensor, i]));
  const values = tensors.map(() => new Array<number | null>(present.length).fill(null));
  for (const r of rows) {
    const i = rowOf.get(r.tensor);
    const j = col.get(r.checkpointId);
    if (i !== undefined && j !== undefined) values[i][j] = r.value;
  }
  // Which columns the metric's analysis has finished (its first unit stores the scalars), for the
  // same weights (fingerprint): a null there means undefined, elsewhere not computed.
  const unit = ANALYSES.find((a) => a.id === METRIC_BY_ID.get(metric)!.analysis)?.units[0];
  const done = new Set(store.unitsOfRun(run.id).filter((u) => u.analysis === unit).map((u) => `${u.checkpointId}\u0000${u.fingerprint}`));
  const computed = present.map((c) => done.has(`${c.id}\u0000${c.fingerprint}`));
  return { runId: run.id, metric, steps: present.map((c) => c.step ?? 0), checkpointIds: present.map((c) => c.id), tensors, values, computed };
}
