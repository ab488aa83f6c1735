// The estimate of one requested sweep: the run's shapes from one checkpoint's headers (no tensor
// is read), the units still to compute (plan minus the cache's stamps), this machine's
// calibration, its free memory and this process's resident memory, fed to estimate.ts's model.
import type { AnalysisKind, CheckpointSubset, SweepEstimate } from '../../common/api';
import type { ModelConfig, RunInfo } from '../../common/domain';
import { openCheckpoint } from '../formats';
import { roleOf } from '../architectures';
import type { Store } from '../store/store';
import { planUnits, shortHash, type UnitName } from './plan';
import type { RunParams } from './run-params';
import { availableMemory, estimateSweep, loadCalibration, summariseShapes } from './estimate';
import type { Probe, RunShapes } from './cost';
import { unitDescriptor, unitPrecondition } from './units';

export interface RunEstimate {
  estimate: SweepEstimate;
  shapes: RunShapes;
  config: ModelConfig | null;
  probe?: Probe;
}

export async function estimateRun(
  store: Store,
  run: RunInfo,
  analyses: AnalysisKind[],
  opts: { lanes: number; subset?: CheckpointSubset; probe?: { file?: string; batch?: number; seqLen?: number } },
): Promise<RunEstimate> {
  const planned = planUnits(run, analyses, opts.subset).filter((p) => !unitPrecondition(run, p.unit));
  const shapes = await runShapes(run, planned[planned.length - 1]?.checkpoint.folder ?? null);
  const done = new Map(store.unitsOfRun(run.id).map((u) => [`${u.checkpointId}\u0000${u.analysis}`, u]));
  // The run-wide bins as stored now (the weights phase may widen them for new checkpoints).
  const ranges = store.getParam<RunParams['histogramRanges']>(run.id, 'histogram_ranges');
  const params: RunParams | null = ranges ? { histogramRanges: ranges, histogramEdgesHash: shortHash(ranges) } : null;
  const todo: Partial<Record<UnitName, number>> = {};
  let cached = 0;
  for (const p of planned) {
    const u = done.get(`${p.checkpoint.id}\u0000${p.unit}`);
    const d = unitDescriptor(p.unit);
    const ctx = d.context({ planned: p, params, probe: opts.probe ?? null });
    if (u && u.fingerprint === p.checkpoint.fingerprint && u.version === d.version && u.ctx === ctx) cached++;
    else todo[p.unit] = (todo[p.unit] ?? 0) + 1;
  }
  const checkpoints = new Set(planned.map((p) => p.checkpoint.id)).size;
  const probe: Probe = { ...(opts.probe?.batch ? { batch: opts.probe.batch } : {}), ...(opts.probe?.seqLen ? { seqLen: opts.probe.seqLen } : {}) };
  const estimate = estimateSweep({
    todo,
    cached,
    checkpoints,
    shapes,
    config: run.config,
    probe,
    lanes: opts.lanes,
    baseRss: process.memoryUsage.rss(),
    available: availableMemory(),
    calibration: (unit) => loadCalibration(store, unit),
  });
  return { estimate, shapes, config: run.config, probe };
}

/** Shapes of one checkpoint (headers only); an unreadable checkpoint gives an empty summary. */
export async function runShapes(run: RunInfo, folder: string | null): Promise<RunShapes> {
  if (!folder) return summariseShapes([], run.config);
  let src;
  try {
    src = await openCheckpoint(folder);
  } catch {
    return summariseShapes([], run.config);
  }
  try {
    const entries = src
      .list()
      .filter((e) => ['F16', 'BF16', 'F32', 'F64'].includes(e.dtype))
      .map((e) => ({ shape: e.shape, role: roleOf(run.family, e.name) }));
    return summariseShapes(entries, run.config);
  } finally {
    await src.close();
  }
}
