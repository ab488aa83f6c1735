// The estimate shown before a sweep starts (time and peak memory), and the calibration that
// makes it this machine's: after every sweep the measured times and peaks replace the rates and
// memory factors of the units that ran (kept in the cache's `calibration` table).
//
// Hand-written because the model is the project's own: per unit kind, a WORK measure and a MEMORY
// measure taken from the run's shapes (headers only, no tensor read), stated by each unit's
// descriptor (main/jobs/units/<unit>.ts `cost`, types in main/jobs/cost.ts): parameter elements and
// the largest tensor for the weight units, sum of r*c*min(r,c) for the Gram-based ones, parameters x
// probe tokens and one streamed block per worker for the model units (activations, gradients).
// time = units x (fixed seconds + rate[kind] x work) / min(lanes, cores)   (rate: core-seconds per
//        unit of work; the fixed part is opening files, starting a session)
// peak = resident memory now + max over kinds of (lanes x fixed bytes + factor[kind] x memory
//        measure x (lanes for the model units, whose workers each hold a model; the weight units
//        share one large-tensor slot, main/jobs/units/large-tensor.ts))
// The fixed parts (measured on the demo run, whose tensors are too small to matter) stay
// constants; the calibration updates rate and factor only from sweeps where the size-dependent
// part dominates what was measured, so a sweep of a tiny run cannot teach a 1000x factor.
// Default rates and factors (each descriptor's cost.calibration) come from BENCHMARKS.md's
// measurements on a 2-core EPYC; the first sweep of each kind on a machine replaces them. The memory the sweep may take is what the OS
// says is available (MemAvailable, or a cgroup limit where one is set) on top of what this
// process already holds.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, freemem, hostname } from 'node:os';
import type { SweepEstimate } from '../../common/api';
import type { ModelConfig, TensorRole } from '../../common/domain';
import type { Store } from '../store/store';
import { shortHash, type UnitName } from './plan';
import { UNITS } from './units';
import type { KindCalibration, Probe, RunShapes } from './cost';

export interface ShapeEntry {
  shape: number[];
  role: Pick<TensorRole, 'component' | 'kind'>;
}

export function summariseShapes(entries: readonly ShapeEntry[], config: ModelConfig | null): RunShapes {
  const s: RunShapes = { params: 0, largest: 0, spectraBytes: 0, gramWork: 0, embed: 0, unembed: 0, layers: config?.layers ?? 0, vocab: config?.vocabSize ?? 0 };
  for (const e of entries) {
    if (e.role.kind === 'buffer') continue;
    const n = e.shape.reduce((a, b) => a * b, 1);
    s.params += n;
    s.largest = Math.max(s.largest, n);
    if (e.shape.length === 2 && e.shape[0] >= 2 && e.shape[1] >= 2) {
      const [r, c] = e.shape as [number, number];
      const m = Math.min(r, c);
      s.gramWork += r * c * m;
      s.spectraBytes = Math.max(s.spectraBytes, r * c * 4 + m * m * 8);
      if (e.role.component === 'embed') s.embed = Math.max(s.embed, n);
      if (e.role.component === 'unembed') s.unembed = Math.max(s.unembed, n);
    }
  }
  if (!s.unembed && config?.tiedEmbeddings) s.unembed = s.embed;
  return s;
}

/** Work of one unit on one checkpoint (its descriptor's cost.work). */
export function unitWork(unit: UnitName, s: RunShapes, probe: Probe = {}, config: ModelConfig | null = null): number {
  return UNITS[unit].cost.work(s, probe, config);
}

/** Bytes the unit's memory factor multiplies (its descriptor's cost.memory). */
export function unitMemory(unit: UnitName, s: RunShapes, probe: Probe = {}, config: ModelConfig | null = null): number {
  return UNITS[unit].cost.memory(s, probe, config);
}

/** Each unit's default rate and memory factor (its descriptor's cost.calibration). */
export const DEFAULT_CALIBRATION = Object.fromEntries(Object.entries(UNITS).map(([u, d]) => [u, d.cost.calibration])) as Readonly<Record<UnitName, KindCalibration>>;

/** The calibration key of this machine: a cache copied to another machine starts from defaults. */
export function machineKey(): string {
  return shortHash({ host: hostname(), cpu: cpus()[0]?.model ?? '', cores: availableParallelism() });
}

/** The calibration table's key of a kind on this machine. */
export function calibrationKey(unit: UnitName): string {
  // A calibration stored under an older memory measure means nothing under the new one: ignored.
  const v = UNITS[unit].cost.measureVersion;
  return `${machineKey()}:${unit}${v ? `@${v}` : ''}`;
}

export function loadCalibration(store: Store, unit: UnitName): (KindCalibration & { calibrated: boolean }) {
  const row = store.getCalibration<Partial<KindCalibration>>(calibrationKey(unit));
  const d = DEFAULT_CALIBRATION[unit];
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return {
    rate: ok(row?.rate) ? row.rate : d.rate,
    memoryFactor: ok(row?.memoryFactor) ? row.memoryFactor : d.memoryFactor,
    calibrated: ok(row?.rate) && ok(row?.memoryFactor),
  };
}

/** "8G", "512M", "1.5GB", "1000000" -> bytes (NaN when unreadable). */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) return NaN;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * scale;
}

/**
 * Memory this process may still take: MemAvailable (Linux) or free memory, capped by a cgroup v2
 * limit and by ATLAS_MAX_MEMORY (a size such as "8G": a share of a machine others use too).
 */
export function availableMemory(env: NodeJS.ProcessEnv = process.env): number | null {
  let avail: number | null = null;
  try {
    const m = /MemAvailable:\s+(\d+)\s*kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) avail = Number(m[1]) * 1024;
  } catch {
    avail = freemem();
  }
  try {
    const max = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    const cur = Number(readFileSync('/sys/fs/cgroup/memory.current', 'utf8').trim());
    if (max !== 'max' && Number.isFinite(Number(max)) && Number.isFinite(cur)) {
      const room = Number(max) - cur;
      avail = avail === null ? room : Math.min(avail, room);
    }
  } catch {
    // no cgroup v2 limit visible
  }
  if (env.ATLAS_MAX_MEMORY) {
    const cap = parseBytes(env.ATLAS_MAX_MEMORY);
    if (Number.isFinite(cap)) avail = avail === null ? cap : Math.min(avail, cap);
  }
  return avail;
}

export interface EstimateInput {
  /** Units still to compute per kind (cached ones left out). */
  todo: Partial<Record<UnitName, number>>;
  cached: number;
  checkpoints: number;
  shapes: RunShapes;
  config: ModelConfig | null;
  probe?: Probe;
  lanes: number;
  cores?: number;
  /** Resident memory of this process now. */
  baseRss: number;
  available: number | null;
  calibration: (unit: UnitName) => KindCalibration & { calibrated: boolean };
}

/** Per-unit fixed seconds and per-worker fixed bytes (a worker thread; onnxruntime's library and session). */
export function fixedCost(unit: UnitName): { seconds: number; bytes: number } {
  return UNITS[unit].cost.onnxruntime ? { seconds: 0.2, bytes: 45 * 2 ** 20 } : { seconds: 0.1, bytes: 35 * 2 ** 20 };
}

/** The estimate (model in the header). Pure: every machine-dependent input is passed in. */
export function estimateSweep(inp: EstimateInput): SweepEstimate {
  const cores = inp.cores ?? availableParallelism();
  const parallel = Math.max(1, Math.min(inp.lanes, cores));
  const byUnit: SweepEstimate['byUnit'] = [];
  let seconds = 0;
  let growth = 0;
  let units = 0;
  let calibrated = true;
  for (const [unit, count] of Object.entries(inp.todo) as Array<[UnitName, number]>) {
    if (!count) continue;
    const cal = inp.calibration(unit);
    const fixed = fixedCost(unit);
    const s = ((fixed.seconds + cal.rate * unitWork(unit, inp.shapes, inp.probe, inp.config)) * count) / parallel;
    const lanes = Math.min(inp.lanes, count);
    const concurrent = UNITS[unit].cost.modelPerWorker ? lanes : 1;
    const g = lanes * fixed.bytes + cal.memoryFactor * unitMemory(unit, inp.shapes, inp.probe, inp.config) * concurrent;
    byUnit.push({ unit, units: count, seconds: s, peakBytes: inp.baseRss + g, calibrated: cal.calibrated });
    seconds += s;
    growth = Math.max(growth, g);
    units += count;
    calibrated &&= cal.calibrated;
  }
  const peakBytes = inp.baseRss + growth;
  const fits = inp.available === null || growth <= inp.available;
  const est: SweepEstimate = { units, cached: inp.cached, checkpoints: inp.checkpoints, seconds, peakBytes, residentBytes: inp.baseRss, availableBytes: inp.available, fits, calibrated: units > 0 && calibrated, byUnit, message: '' };
  est.message = estimateMessage(est);
  return est;
}

export function formatBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)} GB`;
  return `${Math.round(b / 2 ** 20)} MB`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function estimateMessage(e: SweepEstimate): string {
  if (e.units === 0) return `nothing to compute: all ${e.cached} units are cached`;
  const head = `${e.units} units on ${e.checkpoints} checkpoint(s)${e.cached ? ` (${e.cached} cached)` : ''}: ~${formatSeconds(e.seconds)}, peak ~${formatBytes(e.peakBytes)}`;
  const basis = e.calibrated ? 'rates calibrated on this machine' : 'default rates until a sweep calibrates this machine';
  const base = e.residentBytes;
  const avail = e.availableBytes === null ? '' : `, ${formatBytes(e.availableBytes)} free beyond the ${formatBytes(base)} in use`;
  if (!e.fits) {
    const worst = [...e.byUnit].sort((a, b) => b.peakBytes - a.peakBytes)[0];
    return `${head}${avail}. This does not fit: ${worst.unit} needs ~${formatBytes(worst.peakBytes - base)} more; use fewer threads, a smaller probe or fewer checkpoints, or force it (${basis})`;
  }
  return `${head}${avail} (${basis})`;
}

// ------------------------------------------------------------------------- after the sweep

export interface KindObservation {
  unit: UnitName;
  /** Units of this kind computed and the wall seconds each took (summed). */
  count: number;
  unitSeconds: number;
  /** Highest resident memory seen while a unit of this kind was running. */
  peakRss: number;
}

/**
 * Replace the calibration of every kind that ran with what was measured: the rate from its units'
 * summed seconds (core-seconds: seconds x cores per lane) less the fixed part, the memory factor
 * from its peak over the starting resident memory less the workers' fixed bytes. Either is kept
 * as it was when the size-dependent part is under half of what was measured (fixed costs would
 * dominate, as on the demo run).
 */
export function updateCalibration(
  store: Store,
  obs: readonly KindObservation[],
  ctx: { shapes: RunShapes; config: ModelConfig | null; probe?: Probe; lanes: number; cores?: number; baseRss: number },
): Array<{ unit: UnitName; rate: number; memoryFactor: number }> {
  const cores = ctx.cores ?? availableParallelism();
  const perLane = Math.max(1, Math.min(ctx.lanes, cores)) / Math.max(1, ctx.lanes);
  const out: Array<{ unit: UnitName; rate: number; memoryFactor: number }> = [];
  for (const o of obs) {
    if (!o.count) continue;
    const prev = loadCalibration(store, o.unit);
    const work = unitWork(o.unit, ctx.shapes, ctx.probe, ctx.config) * o.count;
    const fixed = fixedCost(o.unit);
    // Summed unit seconds x min(lanes, cores) / lanes = the phase's wall time x min(lanes, cores).
    const coreSeconds = o.unitSeconds * perLane;
    const sized = coreSeconds - o.count * fixed.seconds;
    const rate = work > 0 && sized >= 0.5 * coreSeconds ? sized / work : prev.rate;
    const lanes = Math.min(ctx.lanes, o.count);
    const concurrent = UNITS[o.unit].cost.modelPerWorker ? lanes : 1;
    const mem = unitMemory(o.unit, ctx.shapes, ctx.probe, ctx.config) * concurrent;
    const growth = o.peakRss - ctx.baseRss;
    const sizedGrowth = growth - lanes * fixed.bytes;
    const memoryFactor = mem > 0 && sizedGrowth >= 0.5 * growth ? sizedGrowth / mem : prev.memoryFactor;
    store.setCalibration(calibrationKey(o.unit), { rate, memoryFactor, measuredAt: Date.now(), units: o.count });
    out.push({ unit: o.unit, rate, memoryFactor });
  }
  return out;
}
