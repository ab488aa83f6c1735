// The export contract's trajectory files (DOMAIN.md "Second-wave files"): change_points.csv, one
// row per detected change point of every cached metric trajectory, and forecasts.csv, the fitted
// curve with its 95% band at every checkpoint and on to twice the last step, for the smooth
// metrics of main/store/trajectories.ts FORECAST_METRICS. Both come from the cached scalars;
// `field` is tables.ts's csvField (passed in: tables.ts imports this file).
import type { RunInfo } from '../../common/domain';
import { EXPORT_NAME } from '../../common/catalogue';
import type { Store } from '../store/store';
import { metricTrajectories } from '../store/trajectories';

export const TRAJECTORY_FILES = ['change_points.csv', 'forecasts.csv'] as const;
export const CHANGE_POINTS_HEADER = 'run,tensor,metric,step,strength\n';
export const FORECASTS_HEADER = 'run,tensor,metric,step,value,lower,upper\n';

interface Writer {
  write(line: string): Promise<void>;
}

export async function writeTrajectories(store: Store, run: RunInfo, changes: Writer, forecasts: Writer, field: (v: string | number) => string): Promise<void> {
  for (const metric of [...store.listMetrics(run.id)].sort()) {
    const r = metricTrajectories(store, run, metric, { forecasts: true });
    const name = EXPORT_NAME[metric] ?? metric;
    const cps = [...r.changePoints].sort((a, b) => (a.tensor < b.tensor ? -1 : a.tensor > b.tensor ? 1 : a.step - b.step));
    for (const c of cps) await changes.write([run.id, c.tensor, name, c.step, c.strength].map(field).join(',') + '\n');
    for (const f of [...r.forecasts].sort((a, b) => (a.tensor < b.tensor ? -1 : 1))) {
      for (const p of f.points) await forecasts.write([run.id, f.tensor, name, p.step, p.value, p.lower, p.upper].map(field).join(',') + '\n');
    }
  }
}
