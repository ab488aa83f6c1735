// The sweep estimate's model (main/jobs/estimate.ts) on closed forms: Pythia-160m's shapes give its
// published parameter count and the 750 GFLOP of float64 Gram products for 3 checkpoints;
// a calibration stored in a real SQLite cache from one measured sweep makes the estimate of the
// same sweep reproduce what was measured (time and peak); the refusal rule and the byte parser.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../../main/store/store';
import {
  DEFAULT_CALIBRATION,
  availableMemory,
  estimateSweep,
  fixedCost,
  loadCalibration,
  parseBytes,
  summariseShapes,
  unitMemory,
  unitWork,
  updateCalibration,
  type ShapeEntry,
} from '../../../main/jobs/estimate';
import { ESTIMATE_PROBE_BATCH, ESTIMATE_PROBE_LEN, LOGITS_PIECE_ELEMENTS } from '../../../main/jobs/cost';
import { DEFAULT_PROBE_BATCH, DEFAULT_PROBE_LEN } from '../../../main/jobs/units/model';
import type { UnitName } from '../../../main/jobs/plan';
import type { ModelConfig } from '../../../common/domain';

const dir = mkdtempSync(join(tmpdir(), 'atlas-estimate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pythia-160m (GPT-NeoX, d 768, 12 layers, vocabulary 50304, untied). */
function pythia160m(): ShapeEntry[] {
  const d = 768;
  const V = 50304;
  const w = (shape: number[], component: string): ShapeEntry => ({ shape, role: { component: component as never, kind: shape.length === 2 ? 'weight' : 'bias' } });
  const out = [w([V, d], 'embed'), w([V, d], 'unembed'), w([d], 'ln.final'), w([d], 'ln.final')];
  for (let i = 0; i < 12; i++) {
    out.push(w([d], 'ln.attn'), w([d], 'ln.attn'), w([d], 'ln.mlp'), w([d], 'ln.mlp'));
    out.push(w([3 * d, d], 'attn.qkv'), w([3 * d], 'attn.qkv'), w([d, d], 'attn.out'), w([d], 'attn.out'));
    out.push(w([4 * d, d], 'mlp.in'), w([4 * d], 'mlp.in'), w([d, 4 * d], 'mlp.out'), w([d], 'mlp.out'));
  }
  out.push({ shape: [2048, 2048], role: { component: 'other', kind: 'buffer' } });
  return out;
}

describe('shapes -> work and memory measures', () => {
  const s = summariseShapes(pythia160m(), null);

  it('Pythia-160m: 162,322,944 parameters (buffers left out), largest tensor the 50304 x 768 embedding', () => {
    expect(s.params).toBe(162_322_944);
    expect(s.largest).toBe(50304 * 768);
    expect(s.embed).toBe(50304 * 768);
    expect(s.unembed).toBe(50304 * 768);
  });

  it('Gram work: 2 x sum r*c*min(r,c) x 3 checkpoints = the issue\'s ~750 GFLOP', () => {
    const d = 768;
    const perLayer = 3 * d * d * d + d * d * d + 2 * 4 * d * d * d;
    expect(s.gramWork).toBe(12 * perLayer + 2 * 50304 * d * d);
    expect((2 * 3 * s.gramWork) / 1e9).toBeCloseTo(747.4, 1);
    expect(s.spectraBytes).toBe(50304 * 768 * 4 + 768 * 768 * 8);
  });

  it('model units: parameters x probe tokens; memory: one block, the saved residual streams, one logits piece', () => {
    expect(unitWork('gradients', s, { batch: 4, seqLen: 256 })).toBe(162_322_944 * 1024);
    // Pythia-160m: 12 blocks of 7,087,872 parameters (qkv 3d^2+3d, out d^2+d, mlp 8d^2+5d, 2 LNs 4d);
    // 13 residual streams of 1024 x 768; a logits piece capped at 4M elements (1024 x 50304 is more).
    const block = 3 * 768 * 768 + 3 * 768 + 768 * 768 + 768 + 8 * 768 * 768 + 4 * 768 + 768 + 4 * 768;
    expect(block).toBe(7_087_872);
    expect(s.params - 2 * 50304 * 768 - 2 * 768).toBe(12 * block);
    const config = { hidden: 768, maxPositions: 2048, tiedEmbeddings: false } as ModelConfig;
    const bytes = unitMemory('activations', { ...s, vocab: 50304, layers: 12 }, { batch: 4, seqLen: 256 }, config);
    // (final LayerNorm's 2 x 768 counted with the blocks: 1536 / 12 = 128 per block)
    expect(bytes).toBeCloseTo((block + 128 + 13 * 1024 * 768 + LOGITS_PIECE_ELEMENTS) * 4, 6);
    // A tied unembedding is the embedding: not subtracted twice.
    const tied = unitMemory('gradients', { ...s, vocab: 50304, layers: 12, unembed: s.embed }, { batch: 4, seqLen: 256 }, { ...config, tiedEmbeddings: true });
    expect(tied).toBeCloseTo(((s.params - s.embed) / 12 + 13 * 1024 * 768 + LOGITS_PIECE_ELEMENTS) * 4, 6);
    // The default probe is the model unit's own.
    expect([ESTIMATE_PROBE_BATCH, ESTIMATE_PROBE_LEN]).toEqual([DEFAULT_PROBE_BATCH, DEFAULT_PROBE_LEN]);
  });
});

describe('calibration in the cache', () => {
  const shapes = summariseShapes(pythia160m(), null);
  const MB = 2 ** 20;

  it('without calibration the defaults are used and said to be defaults', () => {
    const store = new Store(join(dir, 'fresh.sqlite'));
    const cal = loadCalibration(store, 'spectra');
    expect(cal).toEqual({ ...DEFAULT_CALIBRATION.spectra, calibrated: false });
    const e = estimateSweep({ todo: { spectra: 3 }, cached: 0, checkpoints: 3, shapes, config: null, lanes: 2, cores: 2, baseRss: 200 * MB, available: 20e9, calibration: (u) => loadCalibration(store, u) });
    // 3 x (0.2 s + 8e-11 x 125.1e9) / 2 lanes.
    expect(e.seconds).toBeCloseTo((3 * (0.2 + 8e-11 * shapes.gramWork)) / 2, 9);
    expect(e.peakBytes).toBe(200 * MB + 2 * 45 * MB + 2 * shapes.spectraBytes);
    expect(e.calibrated).toBe(false);
    expect(e.message).toContain('default rates');
    store.close();
  });

  it('one measured sweep stored, the same sweep is estimated as measured (time and peak)', () => {
    const path = join(dir, 'cal.sqlite');
    let store = new Store(path);
    const baseRss = 180 * MB;
    // Measured: 3 weights units of 9.5 s each on 2 lanes, peak 650 MB; 3 spectra units of 11 s, peak 900 MB.
    const ctx = { shapes, config: null, lanes: 2, cores: 2, baseRss };
    const stored = updateCalibration(store, [
      { unit: 'weights', count: 3, unitSeconds: 28.5, peakRss: 650 * MB },
      { unit: 'spectra', count: 3, unitSeconds: 33, peakRss: 900 * MB },
    ], ctx);
    expect(stored[0].rate).toBeCloseTo((28.5 - 3 * 0.1) / (3 * shapes.params), 20);
    expect(stored[0].memoryFactor).toBeCloseTo((650 * MB - baseRss - 2 * 35 * MB) / (shapes.largest * 4), 12);
    store.close();
    store = new Store(path);
    const cal = (u: UnitName) => loadCalibration(store, u);
    for (const [unit, wall, peak] of [['weights', 28.5 / 2, 650 * MB], ['spectra', 33 / 2, 900 * MB]] as const) {
      const e = estimateSweep({ todo: { [unit]: 3 }, cached: 0, checkpoints: 3, shapes, config: null, lanes: 2, cores: 2, baseRss, available: 20e9, calibration: cal });
      expect(e.seconds).toBeCloseTo(wall, 9);
      expect(e.peakBytes).toBeCloseTo(peak, 3);
      expect(e.calibrated).toBe(true);
    }
    store.close();
  });

  it('a sweep dominated by fixed costs (a tiny run) leaves rate and factor as they were', () => {
    const store = new Store(join(dir, 'tiny.sqlite'));
    const tiny = summariseShapes([{ shape: [48, 48], role: { component: 'mlp.in', kind: 'weight' } }], null);
    const [u] = updateCalibration(store, [{ unit: 'weights', count: 10, unitSeconds: 1.2, peakRss: 250 * MB }], { shapes: tiny, config: null, lanes: 2, cores: 2, baseRss: 200 * MB });
    expect(u).toEqual({ unit: 'weights', rate: DEFAULT_CALIBRATION.weights.rate, memoryFactor: DEFAULT_CALIBRATION.weights.memoryFactor });
    expect(fixedCost('weights').seconds * 10).toBeGreaterThan(1.2 / 2);
    store.close();
  });
});

describe('fitting in memory', () => {
  const shapes = summariseShapes(pythia160m(), null);

  it('the peak growth is compared with what is free; the message names the unit and its need', () => {
    const config = { hidden: 768, maxPositions: 2048, tiedEmbeddings: false } as ModelConfig;
    const e = estimateSweep({ todo: { weights: 3, gradients: 3 }, cached: 0, checkpoints: 3, shapes: { ...shapes, vocab: 50304, layers: 12 }, config, lanes: 1, cores: 2, baseRss: 100 * 2 ** 20, available: 256 * 2 ** 20, calibration: (u) => ({ ...DEFAULT_CALIBRATION[u], calibrated: false }) });
    // Block-streamed gradients: one block (7,087,872 + 128 parameters), 13 residual streams of
    // 8 x 128 tokens x 768, one 4M-element logits piece; factor 5.5; 45 MB per worker.
    const gradGrowth = 45 * 2 ** 20 + 5.5 * (7_087_872 + 128 + 13 * ESTIMATE_PROBE_BATCH * ESTIMATE_PROBE_LEN * 768 + LOGITS_PIECE_ELEMENTS) * 4;
    expect(e.peakBytes).toBeCloseTo(100 * 2 ** 20 + gradGrowth, 3);
    expect(e.fits).toBe(gradGrowth <= 256 * 2 ** 20);
    expect(e.fits).toBe(false);
    expect(e.message).toContain(`This does not fit: gradients needs ~${Math.round(gradGrowth / 2 ** 20)} MB more`);
  });

  it('ATLAS_MAX_MEMORY caps what is available; sizes parse with binary suffixes', () => {
    expect(parseBytes('8G')).toBe(8 * 2 ** 30);
    expect(parseBytes('512 MiB')).toBe(512 * 2 ** 20);
    expect(parseBytes('1.5GB')).toBe(1.5 * 2 ** 30);
    expect(parseBytes('lots')).toBeNaN();
    expect(availableMemory({ ATLAS_MAX_MEMORY: '3M' })).toBe(3 * 2 ** 20);
    const free = availableMemory({});
    expect(free === null || free > 0).toBe(true);
  });
});
