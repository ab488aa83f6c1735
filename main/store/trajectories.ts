// Results derived from a metric's whole trajectory over a run's checkpoints, read-side like
// grids.ts: change points (metrics/changepoints.ts), forecasts (metrics/forecast.ts) and the run's
// regime timeline. They are not analysis units (nothing is read from the checkpoints): they are
// computed from the cached scalars of a metric and cached in `run_params` under
// `trajectories:v1:<metric>` (change points) and `forecasts:v1:<metric>` with a hash of the grid
// they came from, so they are recomputed only when the metric's values change (a new
// checkpoint, a rerun) and never otherwise.
import { createHash } from 'node:crypto';
import type { ScalarGrid } from '../../common/api';
import type { RunInfo } from '../../common/domain';
import { changePoints, regimeTimeline, type RegimeEntry } from '../metrics/changepoints';
import { forecast, type FormName } from '../metrics/forecast';
import type { Store } from './store';
import { buildScalarGrid } from './grids';

/** Metrics whose trajectories are smooth enough to forecast (norms, distances, spectra, tails, loss). */
export const FORECAST_METRICS: readonly string[] = [
  'frobenius_norm', 'dist_to_init', 'rel_dist_to_init', 'std', 'absmax', 'spectral_norm', 'stable_rank',
  'effective_rank', 'student_t_nu', 'rms', 'loss',
];
/** Metrics pooled into a run's regime timeline (DOMAIN.md: weights' norms and distances, fits, spectra). */
export const TIMELINE_METRICS: readonly string[] = [
  'frobenius_norm', 'dist_to_init', 'std', 'excess_kurtosis', 'gaussian_ks', 'student_t_nu', 'spectral_norm', 'stable_rank', 'effective_rank', 'alpha',
];
/** Metrics without change points: counts, not trajectories. */
const NOT_TRAJECTORIES = new Set(['nonfinite_count']);

export interface TrajectoryChange {
  tensor: string;
  step: number;
  strength: number;
}

export interface TrajectoryForecast {
  tensor: string;
  form: FormName;
  heldOut: Record<FormName, number>;
  points: { step: number; value: number; lower: number; upper: number }[];
}

export interface MetricTrajectories {
  metric: string;
  /** Trajectories examined (tensors with at least one value). */
  trajectories: number;
  changePoints: TrajectoryChange[];
  /** Only for FORECAST_METRICS and when asked for (empty otherwise). */
  forecasts: TrajectoryForecast[];
}

const VERSION = 1;

function gridHash(grid: ScalarGrid): string {
  return createHash('sha256').update(JSON.stringify([VERSION, grid.steps, grid.tensors.map((t) => t.tensor), grid.values])).digest('hex').slice(0, 24);
}

/** One tensor's trajectory as strictly increasing steps (duplicate steps keep the later checkpoint). */
function series(steps: number[], row: (number | null)[]): { steps: number[]; values: number[] } {
  const s: number[] = [];
  const v: number[] = [];
  steps.forEach((step, j) => {
    const x = row[j];
    if (x === null || x === undefined || !Number.isFinite(x)) return;
    if (s.length && step <= s[s.length - 1]) {
      if (step === s[s.length - 1]) v[v.length - 1] = x;
      return;
    }
    s.push(step);
    v.push(x);
  });
  return { steps: s, values: v };
}

export function computeTrajectories(grid: ScalarGrid, withForecasts = FORECAST_METRICS.includes(grid.metric), withChanges = true): MetricTrajectories {
  const out: MetricTrajectories = { metric: grid.metric, trajectories: 0, changePoints: [], forecasts: [] };
  if (NOT_TRAJECTORIES.has(grid.metric)) return out;
  grid.tensors.forEach((t, i) => {
    const { steps, values } = series(grid.steps, grid.values[i]);
    if (!steps.length) return;
    out.trajectories++;
    if (withChanges) for (const c of changePoints(steps, values)) out.changePoints.push({ tensor: t.tensor, step: c.step, strength: c.strength });
    if (withForecasts) {
      const f = forecast(steps, values);
      if (f) out.forecasts.push({ tensor: t.tensor, form: f.fit.form, heldOut: f.heldOut, points: f.points });
    }
  });
  return out;
}

/** A cached value of run_params keyed by the grid's hash: computed only when the values changed. */
function cached<T>(store: Store, runId: string, key: string, hash: string, compute: () => T): T {
  const hit = store.getParam<{ hash: string; result: T }>(runId, key);
  if (hit && hit.hash === hash) return hit.result;
  const result = compute();
  try {
    store.setParam(runId, key, { hash, result });
  } catch {
    // A read-only cache (export beside a running analysis): the result is still returned.
  }
  return result;
}

/**
 * Cached change points of one metric of a run and, with `forecasts` (only for FORECAST_METRICS:
 * fitting is about 100x slower than change points, so views ask for it when shown), its
 * forecasts. Change points and forecasts are cached under separate keys (file header).
 */
export function metricTrajectories(store: Store, run: RunInfo, metric: string, options: { forecasts?: boolean; grid?: ScalarGrid } = {}): MetricTrajectories {
  const grid = options.grid ?? buildScalarGrid(store, run, metric);
  const hash = gridHash(grid);
  const base = cached(store, run.id, `trajectories:v${VERSION}:${metric}`, hash, () => computeTrajectories(grid, false));
  if (!options.forecasts || !FORECAST_METRICS.includes(metric)) return base;
  const forecasts = cached(store, run.id, `forecasts:v${VERSION}:${metric}`, hash, () => computeTrajectories(grid, true, false).forecasts);
  return { ...base, forecasts };
}

export interface RunTimeline {
  metrics: string[];
  trajectories: number;
  entries: RegimeEntry[];
}

/** The run's regime timeline over TIMELINE_METRICS that have values in the cache. */
export function runTimeline(store: Store, run: RunInfo): RunTimeline {
  const present = new Set(store.listMetrics(run.id));
  const metrics = TIMELINE_METRICS.filter((m) => present.has(m));
  let trajectories = 0;
  const changes: TrajectoryChange[] = [];
  for (const m of metrics) {
    const r = metricTrajectories(store, run, m);
    trajectories += r.trajectories;
    changes.push(...r.changePoints);
  }
  return { metrics, trajectories, entries: regimeTimeline(changes, trajectories) };
}
