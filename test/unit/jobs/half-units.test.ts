// The weights, fits and histogram units on float16/bfloat16 checkpoints (streamed raw codes and
// their census, main/jobs/units/codes.ts) give the results the decoded path gives on float32
// copies of the same values: histograms, distances and fits bit for bit, moments and the QQ
// frames' standardisation to rounding. The tensors include one above the fit sample (10^6) and the
// streaming piece (2^20), NaN/+-Inf, +-0 and subnormals, and a reference of another dtype.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckpointInfo } from '../../../common/domain';
import { weightsUnit } from '../../../main/jobs/units/weights';
import { fitsUnit } from '../../../main/jobs/units/fits';
import { histogramUnit } from '../../../main/jobs/units/histogram';
import type { UnitTask } from '../../../main/jobs/units/types';
import type { UnitResults } from '../../../main/store/store';
import { codeValues } from '../../../main/metrics/code-census';

type Half = 'F16' | 'BF16';
interface Spec {
  name: string;
  dtype: Half;
  shape: number[];
}

const SPECS: Spec[] = [
  { name: 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight', dtype: 'F16', shape: [1100, 1000] },
  { name: 'gpt_neox.layers.0.attention.dense.weight', dtype: 'BF16', shape: [64, 48] },
  { name: 'gpt_neox.layers.0.input_layernorm.weight', dtype: 'F16', shape: [48] },
  { name: 'gpt_neox.layers.0.input_layernorm.bias', dtype: 'F16', shape: [5] },
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Gaussian-ish weight codes (a sum of uniforms rounded to the nearest code by bisection on the value table). */
function weightCodes(dtype: Half, n: number, seed: number, scale: number): Uint16Array {
  const values = codeValues(dtype);
  const positives = Array.from({ length: dtype === 'F16' ? 0x7c00 : 0x7f80 }, (_, c) => c);
  const r = rng(seed);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const v = scale * (r() + r() + r() - 1.5);
    let lo = 0;
    let hi = positives.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (values[mid] <= Math.abs(v)) lo = mid;
      else hi = mid - 1;
    }
    out[i] = v < 0 ? lo | 0x8000 : lo;
  }
  return out;
}

const SPECIALS: Record<Half, number[]> = {
  F16: [0x7e00, 0x7c00, 0xfc00, 0x8000, 0x0000, 0x0001, 0x83ff],
  BF16: [0x7fc0, 0x7f80, 0xff80, 0x8000, 0x0000, 0x0001, 0x807f],
};

function safetensors(tensors: Array<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }>): Buffer {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  out.write(json, 8, 'latin1');
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'atlas-half-units-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Checkpoint `step` as float16/bfloat16 codes and as float32 copies of the same values; the init's BF16 tensor is float32 in both. */
function writeCheckpoint(step: number): { half: string; f32: string } {
  const half: Array<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }> = [];
  const f32: typeof half = [];
  SPECS.forEach((spec, k) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const codes = weightCodes(spec.dtype, n, 1000 * step + k, 0.05 * (1 + step / 10));
    if (k < 2) SPECIALS[spec.dtype].forEach((c, i) => (codes[37 + 101 * i + step] = c));
    const values = Float32Array.from(codes, (c) => codeValues(spec.dtype)[c]);
    const asF32 = { name: spec.name, dtype: 'F32', shape: spec.shape, bytes: new Uint8Array(values.buffer) };
    half.push(step === 0 && spec.dtype === 'BF16' ? asF32 : { name: spec.name, dtype: spec.dtype, shape: spec.shape, bytes: new Uint8Array(codes.buffer) });
    f32.push(asF32);
  });
  const dirs = { half: join(root, `half-${step}`), f32: join(root, `f32-${step}`) };
  mkdirSync(dirs.half);
  mkdirSync(dirs.f32);
  writeFileSync(join(dirs.half, 'model.safetensors'), safetensors(half));
  writeFileSync(join(dirs.f32, 'model.safetensors'), safetensors(f32));
  return dirs;
}

const steps = [0, 100, 200].map(writeCheckpoint);

function checkpoint(folder: string, step: number): CheckpointInfo {
  return { id: `step${step}`, label: `step ${step}`, step, folder, weightFiles: [], format: 'safetensors', dtype: 'F16', fingerprint: `fp-${folder}`, missing: false, warnings: [] } as unknown as CheckpointInfo;
}

function task(unit: string, kind: 'half' | 'f32', params?: UnitTask['params']): UnitTask {
  const [init, prev, current] = steps.map((s, i) => checkpoint(s[kind], i * 100));
  return {
    unit,
    run: { id: 'half', family: 'gpt_neox', config: null, tokenizerPath: null },
    checkpoint: current, init, prev, final: current, provider: 'cpu', intraOpThreads: 1,
    ...(params ? { params } : {}),
  } as UnitTask;
}

function relDiff(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null || b === null) return Infinity;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

function scalarsOf(r: UnitResults): Map<string, number | null> {
  return new Map(r.scalars.map((s) => [`${s.tensor} ${s.metric}`, s.value]));
}

describe('weights, fits and histogram units on float16/bfloat16 codes', () => {
  it('weights: distances and extremes bit for bit, moments to rounding', async () => {
    const half = await weightsUnit(task('weights', 'half'), () => {});
    const f32 = await weightsUnit(task('weights', 'f32'), () => {});
    const a = scalarsOf(half);
    const b = scalarsOf(f32);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    expect(a.size).toBe(SPECS.length * 14);
    for (const [key, want] of b) {
      const metric = key.split(' ')[1];
      if (['mean', 'std', 'skewness', 'excess_kurtosis', 'frobenius_norm'].includes(metric)) expect(relDiff(a.get(key) ?? null, want), key).toBeLessThan(1e-12);
      else expect(a.get(key), key).toBe(want);
    }
    expect(half.info).toEqual(f32.info);
    expect(b.get(`${SPECS[0].name} nonfinite_count`)).toBe(3);
  });

  it('weights of the checkpoint after the init (its previous one): compared once, the same results', async () => {
    const second = (kind: 'half' | 'f32'): UnitTask => {
      const t = task('weights', kind);
      return { ...t, checkpoint: checkpoint(steps[1][kind], 100), prev: t.init };
    };
    const half = scalarsOf(await weightsUnit(second('half'), () => {}));
    const f32 = scalarsOf(await weightsUnit(second('f32'), () => {}));
    for (const s of SPECS) {
      expect(half.get(`${s.name} dist_to_prev`)).toBe(half.get(`${s.name} dist_to_init`));
      expect(half.get(`${s.name} dist_to_prev`)).toBe(f32.get(`${s.name} dist_to_prev`));
      expect(half.get(`${s.name} update_per_step`)).toBe(f32.get(`${s.name} update_per_step`));
      expect(half.get(`${s.name} cos_to_init`)).toBe(f32.get(`${s.name} cos_to_init`));
    }
  });

  it('histogram: the same counts', async () => {
    const ranges: Record<string, { lo: number; hi: number; bins: number }> = {};
    for (const [i, s] of SPECS.entries()) ranges[s.name] = { lo: -0.06 + i * 0.001, hi: 0.07, bins: 50 + i };
    const params = { histogramRanges: ranges, histogramEdgesHash: 'h' };
    const half = await histogramUnit(task('histogram', 'half', params), () => {});
    const f32 = await histogramUnit(task('histogram', 'f32', params), () => {});
    expect(half.arrays.length).toBe(SPECS.length);
    expect(half).toEqual(f32);
  });

  it('fits: the same fits (sampled tensors included), QQ frames to rounding', async () => {
    const half = await fitsUnit(task('fits', 'half'), () => {});
    const f32 = await fitsUnit(task('fits', 'f32'), () => {});
    expect(half.scalars).toEqual(f32.scalars);
    // The 5-element bias has too few values to fit (fewer than 8).
    expect(half.scalars.length).toBe((SPECS.length - 1) * 8);
    expect(half.arrays.length).toBe(f32.arrays.length);
    for (const [k, frame] of half.arrays.entries()) {
      const want = f32.arrays[k].data as Record<string, unknown>;
      const got = frame.data as Record<string, unknown>;
      expect(got.probabilities).toEqual(want.probabilities);
      expect([got.count, got.approximate]).toEqual([want.count, want.approximate]);
      for (const field of ['empirical', 'gaussian', 'logistic', 'studentT'] as const) {
        (want[field] as number[]).forEach((v, i) => expect(Math.abs((got[field] as number[])[i] - v), `${frame.tensor} ${field}`).toBeLessThan(1e-11 * Math.max(1, Math.abs(v))));
      }
      expect(relDiff(got.std as number, want.std as number)).toBeLessThan(1e-12);
    }
  });
});
