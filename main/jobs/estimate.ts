// The estimate shown before a sweep starts (time and peak memory), and the calibration that
// makes it this machine's: after every sweep the measured times and peaks replace the rates and
// memory factors of the units that ran (kept in the cache's `calibration` table).
//
// Hand-written because the model is the project's own: per unit kind, a WORK measure and a MEMORY
// measure taken from the run's shapes (headers only, no tensor read):
//   unit           work per checkpoint                     memory measure
//   weights, histogram, fits   parameter elements          largest tensor as float32
//   spectra        sum over matrices of r*c*min(r,c)        largest matrix as float32 + its float64 Gram
//   embedding      embedding elements                       embedding as float32
//   svd-directions sum of r*c*min(r,c) + unembedding x layers   largest tensor as float32
//   activations, gradients   parameters x probe tokens      one block's weights as float32 + the
//                            residual stream saved per block (layers + 1) x tokens x hidden +
//                            one logits piece (main/compute/forward/streamed.ts runs the model block
//                            by block and reads the unembedding in row pieces of <= 4M logits)
// time = units x (fixed seconds + rate[kind] x work) / min(lanes, cores)   (rate: core-seconds per
//        unit of work; the fixed part is opening files, starting a session)
// peak = resident memory now + max over kinds of (lanes x fixed bytes + factor[kind] x memory
//        measure x (lanes for the model units, whose workers each hold a model; the weight units
//        share one large-tensor slot, main/jobs/units/large-tensor.ts))
// The fixed parts (measured on the demo run, whose tensors are too small to matter) stay
// constants; the calibration updates rate and factor only from sweeps where the size-dependent
// part dominates what was measured, so a sweep of a tiny run cannot teach a 1000x factor.
// Default rates and factors come from BENCHMARKS.md's measurements on a 2-core EPYC; the first
// sweep of each kind on a machine replaces them. The memory the sweep may take is what the OS
// says is available (MemAvailable, or a cgroup limit where one is set) on top of what this
// process already holds.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, freemem, hostname } from 'node:os';
import type { SweepEstimate } from '../../common/api';
import type { ModelConfig, TensorRole } from '../../common/domain';
import type { Store } from '../store/store';
import { shortHash, type UnitName } from './plan';

/** Probe shape used when none is given (the defaults of main/jobs/units/model.ts; a test keeps them equal). */
export const ESTIMATE_PROBE_BATCH = 8;
export const ESTIMATE_PROBE_LEN = 128;

export interface ShapeEntry {
  shape: number[];
  role: Pick<TensorRole, 'component' | 'kind'>;
}

/** What the model needs of a run's shapes. */
export interface RunShapes {
  params: number;
  largest: number;
  /** Largest float32 matrix + float64 Gram bytes over 2-D tensors. */
  spectraBytes: number;
  gramWork: number;
  embed: number;
  unembed: number;
  layers: number;
  vocab: number;
}

export function summariseShapes(entries: readonly ShapeEntry[], config: ModelConfig | null): RunShapes {
  const s: RunShapes = { params: 0, largest: 0, spectraBytes: 0, gramWork: 0, embed: 0, unembed: 0, layers: config?.layers ?? 0, vocab: config?.vocabSize ?? 0 };
  for (const e of entries) {
    if (e.role.kind === 'buffer') continue;
    const n = e.shape.reduce((a, b) => a * b, 1);
    s.params += n;
    s.largest = Math.max(s.largest, n);
    if (e.shape.length === 2 && e.shape[0]! >= 2 && e.shape[1]! >= 2) {
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

export interface Probe {
  batch?: number;
  seqLen?: number;
}

/** B x L of the probe batch, capped by the model's positions as main/jobs/units/model.ts probeShape does. */
function probeTokens(probe: Probe, config: ModelConfig | null): number {
  const len = probe.seqLen ?? ESTIMATE_PROBE_LEN;
  return (probe.batch ?? ESTIMATE_PROBE_BATCH) * (config ? Math.min(len, config.maxPositions || ESTIMATE_PROBE_LEN) : len);
}

/** Work of one unit on one checkpoint (units of the table in the header). */
export function unitWork(unit: UnitName, s: RunShapes, probe: Probe = {}, config: ModelConfig | null = null): number {
  const tokens = probeTokens(probe, config);
  switch (unit) {
    case 'weights':
    case 'histogram':
    case 'fits':
      return s.params;
    case 'spectra':
      return s.gramWork;
    case 'embedding':
      return s.embed;
    case 'svd-directions':
      return s.gramWork + s.unembed * Math.max(1, s.layers);
    case 'activations':
    case 'gradients':
      return s.params * tokens;
    case 'head-spectra':
      // Gram products of every head's Q, K, V [hd, d] and of their shuffled copies: 6 d^2 hd per block.
      return config ? 6 * config.hidden * config.hidden * config.headDim * Math.max(1, s.layers) : s.gramWork;
  }
}

/** Bytes the unit's memory factor multiplies. */
export function unitMemory(unit: UnitName, s: RunShapes, probe: Probe = {}, config: ModelConfig | null = null): number {
  const tokens = probeTokens(probe, config);
  switch (unit) {
    case 'weights':
    case 'histogram':
    case 'fits':
    case 'svd-directions':
    case 'head-spectra':
      return s.largest * 4;
    case 'spectra':
      return s.spectraBytes;
    case 'embedding':
      return s.embed * 4;
    case 'activations':
    case 'gradients':
      return streamedModelBytes(s, tokens, config);
  }
}

/** Elements of one logits piece: main/compute/forward/streamed.ts's default bound (4M). */
export const LOGITS_PIECE_ELEMENTS = 4 << 20;

/**
 * Bytes a block-streamed model run holds beyond the process's baseline, for one worker: the weights
 * of one block (the non-embedding parameters spread over the layers), the residual stream kept at
 * each block boundary for the backward's recomputation, and one piece of logits.
 */
export function streamedModelBytes(s: RunShapes, tokens: number, config: ModelConfig | null): number {
  const layers = Math.max(1, s.layers);
  const blockParams = Math.max(0, s.params - s.embed - (s.unembed === s.embed && config?.tiedEmbeddings ? 0 : s.unembed)) / layers;
  const hidden = config?.hidden ?? (s.vocab > 0 && s.embed > 0 ? s.embed / s.vocab : 0);
  const residual = (layers + 1) * tokens * hidden;
  const logits = Math.min(tokens * Math.max(1, s.vocab), LOGITS_PIECE_ELEMENTS);
  return (blockParams + residual + logits) * 4;
}

export interface KindCalibration {
  /** Core-seconds per unit of work. */
  rate: number;
  /** Peak growth over the resident memory at the start, per byte of the memory measure. */
  memoryFactor: number;
}

/**
 * Defaults from BENCHMARKS.md (2-core EPYC): the weight sweep (50 s for 20 x 70.4M elements at 2
 * threads), the 160m sweep of issue 16 (34 s, 3 checkpoints), the Gram products (750 GFLOP in
 * ~15 s on 2 cores), forward/backward (0.38 / 1.16 s for 27M parameters x 1024 tokens), SVD
 * directions (36 s per 410m checkpoint); peaks 382 MB (largest 98 MB), 1258 MB (5120 x 20480),
 * 414 / 611 MB for the block-streamed 160m model runs (a measure of 86 MB: factors 3 and 5.5 leave
 * ~200 MB for the process and onnxruntime).
 */
export const DEFAULT_CALIBRATION: Record<UnitName, KindCalibration> = {
  weights: { rate: 5e-8, memoryFactor: 2.5 },
  histogram: { rate: 2e-8, memoryFactor: 2 },
  fits: { rate: 3e-8, memoryFactor: 4 },
  spectra: { rate: 8e-11, memoryFactor: 2 },
  embedding: { rate: 1e-8, memoryFactor: 3 },
  'svd-directions': { rate: 1.7e-10, memoryFactor: 3 },
  activations: { rate: 3e-11, memoryFactor: 3 },
  gradients: { rate: 9e-11, memoryFactor: 5.5 },
  // Small Gram products: the spectra rate; a block's attention weights as float32 plus float64 slices.
  'head-spectra': { rate: 8e-11, memoryFactor: 3 },
};

/** The calibration key of this machine: a cache copied to another machine starts from defaults. */
export function machineKey(): string {
  return shortHash({ host: hostname(), cpu: cpus()[0]?.model ?? '', cores: availableParallelism() });
}

/**
 * Version of each kind's memory measure: a calibration stored under an older measure (the model
 * units' whole-graph one, before block streaming) means nothing under the new one and is ignored.
 */
const MEASURE_VERSION: Partial<Record<UnitName, number>> = { activations: 2, gradients: 2 };

/** The calibration table's key of a kind on this machine. */
export function calibrationKey(unit: UnitName): string {
  const v = MEASURE_VERSION[unit];
  return `${machineKey()}:${unit}${v ? `@${v}` : ''}`;
}

export function loadCalibration(store: Store, unit: UnitName): (KindCalibration & { calibrated: boolean }) {
  const row = store.getCalibration<Partial<KindCalibration>>(calibrationKey(unit));
  const d = DEFAULT_CALIBRATION[unit];
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return {
    rate: ok(row?.rate) ? row!.rate : d.rate,
    memoryFactor: ok(row?.memoryFactor) ? row!.memoryFactor : d.memoryFactor,
    calibrated: ok(row?.rate) && ok(row?.memoryFactor),
  };
}

/** "8G", "512M", "1.5GB", "1000000" -> bytes (NaN when unreadable). */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) return NaN;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
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

const MODEL_UNITS: ReadonlySet<UnitName> = new Set(['activations', 'gradients']);
const ORT_UNITS: ReadonlySet<UnitName> = new Set(['spectra', 'svd-directions', 'activations', 'gradients']);

/** Per-unit fixed seconds and per-worker fixed bytes (a worker thread; onnxruntime's library and session). */
export function fixedCost(unit: UnitName): { seconds: number; bytes: number } {
  return ORT_UNITS.has(unit) ? { seconds: 0.2, bytes: 45 * 2 ** 20 } : { seconds: 0.1, bytes: 35 * 2 ** 20 };
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
    const concurrent = MODEL_UNITS.has(unit) ? lanes : 1;
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
    const worst = [...e.byUnit].sort((a, b) => b.peakBytes - a.peakBytes)[0]!;
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
    const concurrent = MODEL_UNITS.has(o.unit) ? lanes : 1;
    const mem = unitMemory(o.unit, ctx.shapes, ctx.probe, ctx.config) * concurrent;
    const growth = o.peakRss - ctx.baseRss;
    const sizedGrowth = growth - lanes * fixed.bytes;
    const memoryFactor = mem > 0 && sizedGrowth >= 0.5 * growth ? sizedGrowth / mem : prev.memoryFactor;
    store.setCalibration(calibrationKey(o.unit), { rate, memoryFactor, measuredAt: Date.now(), units: o.count });
    out.push({ unit: o.unit, rate, memoryFactor });
  }
  return out;
}
