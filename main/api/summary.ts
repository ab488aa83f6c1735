// A run's summary for the library (AtlasApi listRuns/openPaths, main/api/engine.ts): checkpoints,
// steps, which analyses are complete for the current fingerprints, and a merged sweep's coverage.
import type { RunSummary } from '../../common/api';
import type { RunInfo } from '../../common/domain';
import { ANALYSES } from '../../common/analyses';
import { familyLabel } from '../architectures';
import { presentCheckpoints } from '../store/grids';
import { runMissingUnits } from '../store/merge';
import type { RunSource, Store } from '../store/store';
import { runColourSlot } from '../store/run-colours';

export function summarizeRun(store: Store, info: RunInfo, source: RunSource): RunSummary {
  const present = presentCheckpoints(info);
  const units = store.unitsOfRun(info.id);
  const doneBy = new Map<string, Set<string>>();
  for (const u of units) {
    const fp = present.find((c) => c.id === u.checkpointId)?.fingerprint;
    if (fp !== u.fingerprint) continue;
    let s = doneBy.get(u.analysis);
    if (!s) doneBy.set(u.analysis, (s = new Set()));
    s.add(u.checkpointId);
  }
  const analysed = ANALYSES.filter((a) => present.length > 0 && a.units.every((n) => (doneBy.get(n)?.size ?? 0) >= present.length)).map((a) => a.id);
  const c = info.config;
  const dims = c ? `${c.layers} layers, d=${c.hidden}, ${c.heads} heads, vocab ${c.vocabSize}` : 'no config.json';
  const steps = present.map((p) => p.step).filter((s): s is number => s !== null);
  return {
    id: info.id,
    name: info.name,
    layout: info.layout,
    root: info.root,
    family: info.family,
    source,
    checkpointCount: present.length,
    missingCount: info.checkpoints.length - present.length,
    firstStep: steps.length ? Math.min(...steps) : null,
    lastStep: steps.length ? Math.max(...steps) : null,
    warningCount: info.warnings.length,
    analysed,
    summary: `${familyLabel(info.family)}, ${dims}`,
    colourSlot: runColourSlot(store, info.id),
    ...sweepCoverage(store, info),
  };
}

/** A cache merged from a cluster sweep's shards: the plan's units it holds and what is missing. */
function sweepCoverage(store: Store, info: RunInfo): Pick<RunSummary, 'sweep'> {
  const m = runMissingUnits(store, info.id, info.name);
  if (!m) return {};
  return {
    sweep: {
      shards: m.shards,
      mergedShards: m.mergedShards,
      units: m.total,
      present: m.total - m.count,
      missing: m.byShard.map((b) => ({ shard: b.shard, units: b.missing, examples: b.examples })),
    },
  };
}
