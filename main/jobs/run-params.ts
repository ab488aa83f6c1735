// Run-wide parameters derived from every checkpoint's stored statistics, computed in the main
// thread between the two phases of a weight analysis: the fixed histogram range of each tensor
// (main/metrics/histogram.ts states the rule) so that all frames of a tensor share their bins.
import type { RunInfo } from '../../common/domain';
import type { Store } from '../store/store';
import { histogramRangeForRun, type CheckpointExtent, type HistogramRange } from '../metrics/histogram';
import { orderedCheckpoints, shortHash } from './plan';

/** Bins per weight histogram: fine enough for the study's shapes, small enough to animate. */
export const WEIGHT_HISTOGRAM_BINS = 100;

export interface RunParams {
  histogramRanges: Record<string, HistogramRange & { bins: number }>;
  histogramEdgesHash: string;
}

export function runParamsFor(store: Store, run: RunInfo): RunParams {
  const ids = new Set(orderedCheckpoints(run).map((c) => c.id));
  const extents = new Map<string, CheckpointExtent[]>();
  const collect = (metric: 'min' | 'max'): Map<string, number | null> => {
    const m = new Map<string, number | null>();
    for (const r of store.scalarsOfMetric(run.id, metric)) if (ids.has(r.checkpointId)) m.set(`${r.tensor}\u0000${r.checkpointId}`, r.value);
    return m;
  };
  const mins = collect('min');
  const maxs = collect('max');
  for (const [key, min] of mins) {
    const [tensor] = key.split('\u0000') as [string, string];
    let list = extents.get(tensor);
    if (!list) extents.set(tensor, (list = []));
    list.push({ min, max: maxs.get(key) ?? null });
  }
  const components = new Map(store.listTensors(run.id).map((t) => [t.tensor, t.component]));
  // Keyed by tensor names from files: a null-prototype object, so `__proto__` is an own key.
  const histogramRanges = Object.create(null) as RunParams['histogramRanges'];
  for (const [tensor, list] of [...extents.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // Layernorm gains sit near 1 and biases anywhere: only weight matrices are centred on 0.
    const component = components.get(tensor) ?? 'other';
    const symmetric = !component.startsWith('ln.') && !tensor.endsWith('bias');
    histogramRanges[tensor] = { ...histogramRangeForRun(list, { symmetric }), bins: WEIGHT_HISTOGRAM_BINS };
  }
  const params: RunParams = { histogramRanges, histogramEdgesHash: shortHash(histogramRanges) };
  store.setParam(run.id, 'histogram_ranges', histogramRanges);
  return params;
}
