// Run-wide parameters derived from every checkpoint's stored statistics, computed in the main
// thread between the two phases of a weight analysis: the fixed histogram range of each tensor
// (main/metrics/histogram.ts states the rule) so that all frames of a tensor share their bins.
import type { RunInfo } from '../../common/domain';
import type { Store } from '../store/store';
import { histogramRangeForRun, type CheckpointExtent, type HistogramRange } from '../metrics/histogram';
import { orderedCheckpoints, shortHash, type UnitName } from './plan';

/** Bins per weight histogram: fine enough for the study's shapes, small enough to animate. */
export const WEIGHT_HISTOGRAM_BINS = 100;

/** The units whose stored results the run-wide parameters read (their min and max statistics). */
export const RUN_PARAM_SOURCES: readonly UnitName[] = ['weights'];

export interface RunParams {
  histogramRanges: Record<string, HistogramRange & { bins: number }>;
  histogramEdgesHash: string;
}

/**
 * Every checkpoint's [min, max] per tensor and each tensor's component: all that the run-wide
 * parameters depend on. Plain JSON, so that shards of a sweep can hand theirs to each other
 * (main/jobs/shard-files.ts) and derive exactly the parameters one process would.
 */
export interface RunExtents {
  /** tensor -> [checkpointId, min, max] for each checkpoint with stored statistics. */
  extents: Record<string, Array<[string, number | null, number | null]>>;
  components: Record<string, string>;
}

/** The extents stored for the run's present checkpoints (only those in `only`, when given). */
export function extentsFromStore(store: Store, run: RunInfo, only?: ReadonlySet<string>): RunExtents {
  const ids = new Set(orderedCheckpoints(run).map((c) => c.id).filter((id) => !only || only.has(id)));
  const collect = (metric: 'min' | 'max'): Map<string, number | null> => {
    const m = new Map<string, number | null>();
    for (const r of store.scalarsOfMetric(run.id, metric)) if (ids.has(r.checkpointId)) m.set(`${r.tensor}\u0000${r.checkpointId}`, r.value);
    return m;
  };
  const mins = collect('min');
  const maxs = collect('max');
  // Keyed by tensor names from files: null-prototype objects, so `__proto__` is an own key.
  const extents = Object.create(null) as RunExtents['extents'];
  for (const [key, min] of mins) {
    const [tensor, checkpointId] = key.split('\u0000') as [string, string];
    (extents[tensor] ??= []).push([checkpointId, min, maxs.get(key) ?? null]);
  }
  const components = Object.create(null) as RunExtents['components'];
  for (const t of store.listTensors(run.id)) if (extents[t.tensor]) components[t.tensor] = t.component;
  return { extents, components };
}

/** Union of several processes' extents (a checkpoint appears in one shard only). */
export function mergeExtents(parts: readonly RunExtents[]): RunExtents {
  const out: RunExtents = { extents: Object.create(null), components: Object.create(null) };
  for (const p of parts) {
    for (const [tensor, list] of Object.entries(p.extents)) (out.extents[tensor] ??= []).push(...list);
    for (const [tensor, c] of Object.entries(p.components)) out.components[tensor] ??= c;
  }
  return out;
}

/** The run-wide parameters from the extents of every checkpoint (pure). */
export function runParamsFromExtents(ex: RunExtents): RunParams {
  const histogramRanges = Object.create(null) as RunParams['histogramRanges'];
  for (const tensor of Object.keys(ex.extents).sort((a, b) => (a < b ? -1 : 1))) {
    const list: CheckpointExtent[] = ex.extents[tensor].map(([, min, max]) => ({ min, max }));
    // Layernorm gains sit near 1 and biases anywhere: only weight matrices are centred on 0.
    const component = ex.components[tensor] ?? 'other';
    const symmetric = !component.startsWith('ln.') && !tensor.endsWith('bias');
    histogramRanges[tensor] = { ...histogramRangeForRun(list, { symmetric }), bins: WEIGHT_HISTOGRAM_BINS };
  }
  return { histogramRanges, histogramEdgesHash: shortHash(histogramRanges) };
}

/** Parameters of a run from what one store holds; stored with the run. */
export function runParamsFor(store: Store, run: RunInfo, extents: RunExtents = extentsFromStore(store, run)): RunParams {
  const params = runParamsFromExtents(extents);
  store.setParam(run.id, 'histogram_ranges', params.histogramRanges);
  return params;
}
