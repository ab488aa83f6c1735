// Planning an analysis: which (checkpoint, unit) pairs of a run must be computed, in what order,
// and the stamp (fingerprint, version, context) that decides whether a cached result can be reused.
//
// A user-facing analysis is one or more units. `weights` is two: statistics first, then
// histograms, whose bins are fixed per tensor from the statistics of every checkpoint of the run
// (so all frames of a tensor share their bins).
import { createHash } from 'node:crypto';
import type { AnalysisKind, CheckpointSubset } from '../../common/api';
import { selectCheckpoints } from '../../common/subset';
import type { CheckpointInfo, RunInfo } from '../../common/domain';

export type UnitName = 'weights' | 'fits' | 'histogram' | 'spectra' | 'embedding' | 'svd-directions' | 'activations' | 'gradients';

export const ANALYSIS_UNITS: Record<AnalysisKind, UnitName[]> = {
  weights: ['weights', 'histogram'],
  fits: ['fits'],
  spectra: ['spectra'],
  embedding: ['embedding'],
  'svd-directions': ['svd-directions'],
  activations: ['activations'],
  gradients: ['gradients'],
};

/** Bump a unit's version when its definition or output changes: cached results are then redone. */
export const UNIT_VERSION: Record<UnitName, number> = {
  // 2: fits and QQ moved to their own unit.
  weights: 2,
  fits: 1,
  histogram: 1,
  spectra: 1,
  embedding: 1,
  // 2: bytes that are not whole UTF-8 characters are shown as \xNN instead of U+FFFD.
  'svd-directions': 2,
  activations: 1,
  gradients: 1,
};

/** Units that need every checkpoint's `weights` unit done first (run-wide parameters). */
export const NEEDS_ALL_WEIGHTS: ReadonlySet<UnitName> = new Set(['histogram']);

export function shortHash(value: unknown): string {
  return createHash('sha256').update(typeof value === 'string' ? value : JSON.stringify(value)).digest('hex').slice(0, 16);
}

export interface PlannedUnit {
  unit: UnitName;
  checkpoint: CheckpointInfo;
  /** The run's reference checkpoint (earliest step) and the previous one in step order. */
  init: CheckpointInfo;
  prev: CheckpointInfo | null;
  /** The final checkpoint (for closeness-to-final comparisons). */
  final: CheckpointInfo;
}

export function orderedCheckpoints(run: RunInfo): CheckpointInfo[] {
  return run.checkpoints.filter((c) => !c.missing).sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
}

/** Context that a unit's results depend on besides its own checkpoint. */
export function unitContext(p: PlannedUnit, extra: Record<string, unknown> = {}): string {
  switch (p.unit) {
    case 'weights':
      return shortHash({ init: p.init.fingerprint, prev: p.prev?.fingerprint ?? null });
    default:
      return shortHash(extra);
  }
}

/**
 * Every (unit, checkpoint) pair of the requested analyses, units in dependency order. A subset
 * (common/subset.ts) narrows the checkpoints but not the references: init, previous and final are
 * the run's own, so a subset's stamps are those of a full run and a later full run reuses them.
 */
export function planUnits(run: RunInfo, analyses: AnalysisKind[], subset?: CheckpointSubset): PlannedUnit[] {
  const ckpts = orderedCheckpoints(run);
  if (!ckpts.length) return [];
  const init = ckpts[0]!;
  const final = ckpts[ckpts.length - 1]!;
  const chosen = new Set(selectCheckpoints(ckpts, subset));
  const wanted = new Set<UnitName>(analyses.flatMap((a) => ANALYSIS_UNITS[a]));
  const order: UnitName[] = ['weights', 'histogram', 'fits', 'spectra', 'embedding', 'svd-directions', 'activations', 'gradients'];
  const out: PlannedUnit[] = [];
  for (const unit of order) {
    if (!wanted.has(unit)) continue;
    ckpts.forEach((checkpoint, i) => {
      if (chosen.has(checkpoint)) out.push({ unit, checkpoint, init, prev: i > 0 ? ckpts[i - 1]! : null, final });
    });
  }
  return out;
}
