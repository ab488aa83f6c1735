// The unit registry: one descriptor per unit (main/jobs/units/<unit>.ts exports `descriptor`),
// keyed by the unit names of common/analyses. The planner, the job manager and the worker read
// versions, preconditions, stamp contexts and the run function from here only. The same runUnit
// runs inside a worker thread (main/jobs/worker.ts) or, for tests and threads=0, in the calling
// thread.
import type { RunInfo } from '../../../common/domain';
import type { UnitResults } from '../../store/store';
import type { ProgressFn, UnitDescriptor, UnitName, UnitTask } from './types';
import { descriptor as weights } from './weights';
import { descriptor as histogram } from './histogram';
import { descriptor as fits } from './fits';
import { descriptor as spectra } from './spectra';
import { descriptor as embedding } from './embedding';
import { descriptor as svdDirections } from './svd-directions';
import { descriptor as activations } from './activations';
import { descriptor as gradients } from './gradients';
import { descriptor as headSpectra } from './head-spectra';
import { descriptor as headUpdates } from './head-updates';

export type { ProgressFn, UnitDescriptor, UnitName, UnitTask, WorkerMessage } from './types';

/** Every unit of common/analyses (the type requires one descriptor per unit name). */
export const UNITS: Readonly<Record<UnitName, UnitDescriptor>> = {
  weights,
  histogram,
  fits,
  spectra,
  embedding,
  'svd-directions': svdDirections,
  activations,
  gradients,
  'head-spectra': headSpectra,
  'head-updates': headUpdates,
};

export function unitDescriptor(unit: UnitName): UnitDescriptor {
  const d = Object.hasOwn(UNITS, unit) ? UNITS[unit] : undefined;
  if (!d) throw new Error(`the ${unit} analysis is not available yet`);
  return d;
}

export function runUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  return unitDescriptor(task.unit).run(task, progress);
}

/** Run-level reasons a unit cannot run at all (reported once instead of failing every checkpoint). */
export function unitPrecondition(run: RunInfo, unit: UnitName): string | null {
  return unitDescriptor(unit).precondition?.(run) ?? null;
}
