// Planning an analysis: which (checkpoint, unit) pairs of a run must be computed, in what order,
// and the stamp (fingerprint, version, context) that decides whether a cached result can be reused.
//
// A user-facing analysis is one or more units (common/analyses/<name>.ts lists them in order; the
// units' versions, preconditions and contexts are their descriptors in main/jobs/units/<unit>.ts).
// `weights` is two: statistics first, then histograms, whose bins are fixed per tensor from the
// statistics of every checkpoint of the run (so all frames of a tensor share their bins).
import { createHash } from 'node:crypto';
import { ANALYSIS_BY_ID, UNIT_ORDER, type UnitName } from '../../common/analyses';
import type { AnalysisKind, CheckpointSubset } from '../../common/api';
import { selectCheckpoints } from '../../common/subset';
import type { CheckpointInfo, RunInfo } from '../../common/domain';

export type { UnitName };

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

/**
 * Every (unit, checkpoint) pair of the requested analyses, units in dependency order. A subset
 * (common/subset.ts) narrows the checkpoints but not the references: init, previous and final are
 * the run's own, so a subset's stamps are those of a full run and a later full run reuses them.
 */
export function planUnits(run: RunInfo, analyses: AnalysisKind[], subset?: CheckpointSubset): PlannedUnit[] {
  const ckpts = orderedCheckpoints(run);
  if (!ckpts.length) return [];
  const init = ckpts[0];
  const final = ckpts[ckpts.length - 1];
  const chosen = new Set(selectCheckpoints(ckpts, subset));
  const wanted = new Set<string>(analyses.flatMap((a) => ANALYSIS_BY_ID.get(a)?.units ?? []));
  const out: PlannedUnit[] = [];
  for (const unit of UNIT_ORDER) {
    if (!wanted.has(unit)) continue;
    ckpts.forEach((checkpoint, i) => {
      if (chosen.has(checkpoint)) out.push({ unit, checkpoint, init, prev: i > 0 ? ckpts[i - 1] : null, final });
    });
  }
  return out;
}
