/**
 * Issue 19's weight numbers against float64 PyTorch/numpy (tools/make_random_matrix_expectations.py):
 * WeightWatcher parity scalars from our own spectra and power-law fits, every head's Q/K/V spectrum
 * of the GPT-NeoX, GPT-2 and Llama (GQA) fixtures and of the demo run (through the real unit), the
 * seeded shuffle (bit-identical permutation), and the Marchenko-Pastur edges.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { singularValues } from '../../../main/compute/gram';
import { eigenvaluesFromSingularValues, powerLawAlpha } from '../../../main/metrics/spectrum';
import { weightWatcherScalars } from '../../../main/metrics/weightwatcher';
import { countAbove, entrySigma, marchenkoPasturEdges, randomMatrixSummary, RandomMatrixError, shuffledCopy } from '../../../main/metrics/random-matrix';
import { qkvHeadsOf, readModelConfig } from '../../../main/architectures';
import { headTensor } from '../../../common/analyses/head-spectra';
import { openSafetensors } from '../../../main/formats/safetensors';
import type { Family } from '../../../common/domain';
import { bestFitFamily } from '../../../common/analyses/fits';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fx = JSON.parse(readFileSync(join(root, 'test/fixtures/random-matrix/expectations.json'), 'utf8'));
const spec = JSON.parse(readFileSync(join(root, 'test/fixtures/spectrum/expectations.json'), 'utf8'));

interface HeadExpect { alpha: number | null; alpha_xmin: number | null; tensor: string; rows: number; cols: number; singular_values: number[]; shuffled_singular_values: number[]; mp_sigma: number; mp_lower: number; mp_upper: number; mp_spikes: number; spike_ratio: number }

function loadF32(file: string, n: number): Float32Array {
  const bytes = new Uint8Array(readFileSync(file));
  return new Float32Array(bytes.buffer, 0, n);
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('WeightWatcher parity (alpha_weighted, log_norm, log_spectral_norm, num_pl_spikes, sigma)', () => {
  for (const w of fx.weightwatcher as Array<Record<string, number | string | null>>) {
    const m = spec.matrices.find((x: { name: string }) => x.name === w.name);
    if (String(w.name).startsWith('rank10')) continue; // tiny singular values: the Gram route's documented limit
    it(`equals numpy's WeightWatcher definitions on ${String(w.name)}`, async () => {
      const s = await singularValues(loadF32(join(root, 'test/fixtures/spectrum', m.file), m.rows * m.cols), m.rows, m.cols, { intraOpThreads: 1 });
      const fit = powerLawAlpha(eigenvaluesFromSingularValues(s));
      const ww = weightWatcherScalars(s, fit);
      expect(rel(ww.logNorm!, w.log_norm as number)).toBeLessThan(1e-12);
      expect(rel(ww.logSpectralNorm!, w.log_spectral_norm as number)).toBeLessThan(1e-12);
      // WeightWatcher's spectral_norm is s_max^2; ours is s_max.
      expect(rel(s[0] ** 2, w.spectral_norm_ww as number)).toBeLessThan(1e-12);
      if (w.alpha === null) {
        expect(ww.alphaWeighted).toBeNull();
        return;
      }
      expect(ww.numPlSpikes).toBe(w.num_pl_spikes);
      expect(rel(ww.alphaWeighted!, w.alpha_weighted as number)).toBeLessThan(1e-6);
      expect(rel(ww.sigma!, w.sigma as number)).toBeLessThan(1e-6);
    });
  }

  it('leaves the fit numbers empty without a fit and the logs empty for a zero matrix', () => {
    expect(weightWatcherScalars([0, 0], null)).toEqual({ logNorm: null, logSpectralNorm: null, alphaWeighted: null, numPlSpikes: null, sigma: null });
    const ww = weightWatcherScalars([10, 1], { alpha: 2, xmin: 1, ks: 0.1, nTail: 2, sigma: 0.5 });
    expect(ww.logNorm).toBeCloseTo(Math.log10(101), 14);
    expect(ww.logSpectralNorm).toBe(2);
    expect(ww.alphaWeighted).toBe(4);
  });
});

describe('Marchenko-Pastur edges and the seeded shuffle', () => {
  it('edges are sigma (sqrt(n) +- sqrt(p)), symmetric in the shape, and bound a Gaussian matrix', async () => {
    const g = fx.gaussian;
    const w = loadF32(join(root, 'test/fixtures/random-matrix', g.file), g.rows * g.cols);
    const sigma = entrySigma(w);
    expect(rel(sigma, g.sigma)).toBeLessThan(1e-12);
    const e = marchenkoPasturEdges(g.rows, g.cols, sigma);
    expect(rel(e.upper, g.mp_upper)).toBeLessThan(1e-12);
    expect(rel(e.lower, g.mp_lower)).toBeLessThan(1e-12);
    expect(marchenkoPasturEdges(g.cols, g.rows, sigma)).toEqual(e);
    const s = await singularValues(w, g.rows, g.cols, { intraOpThreads: 1 });
    expect(rel(s[0], g.s_max)).toBeLessThan(1e-9);
    // Finite size: the extreme singular values sit within 5% of the edges (Tracy-Widom scale).
    expect(Math.abs(s[0] / e.upper - 1)).toBeLessThan(0.05);
    expect(Math.abs(s[s.length - 1] / e.lower - 1)).toBeLessThan(0.05);
    expect(countAbove(s, e.upper * 1.05)).toBe(0);
  });

  it('refuses shapes and seeds that are not valid', () => {
    expect(() => marchenkoPasturEdges(0, 3, 1)).toThrow(RandomMatrixError);
    expect(() => marchenkoPasturEdges(2, 3, -1)).toThrow(RandomMatrixError);
    expect(() => shuffledCopy([1, 2], 0)).toThrow(RandomMatrixError);
  });

  it('a shuffle is a permutation (same multiset), deterministic, and moves entries', () => {
    const x = Float64Array.from({ length: 1000 }, (_, i) => i);
    const a = shuffledCopy(x);
    expect(Array.from(a)).toEqual(Array.from(shuffledCopy(x)));
    expect(Array.from(a).sort((p, q) => p - q)).toEqual(Array.from(x));
    expect(a.filter((v, i) => v === i).length).toBeLessThan(20);
  });
});

const FAMILIES: Array<[string, Family]> = [['neox_parallel', 'gpt_neox'], ['gpt2', 'gpt2'], ['llama', 'llama']];

async function fixtureHeads(folder: string, file: string): Promise<Map<string, { rows: number; cols: number; data: Float64Array }>> {
  const config = readModelConfig(JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')));
  const qkv = qkvHeadsOf(config.family)!;
  const src = await openSafetensors(join(folder, file));
  const { roleOf } = await import('../../../main/architectures');
  const out = new Map<string, { rows: number; cols: number; data: Float64Array }>();
  try {
    for (let b = 0; b < config.layers; b++) {
      const weights = [];
      for (const c of qkv.components) {
        const e = src.list().find((x) => { const r = roleOf(config.family, x.name); return r.block === b && r.component === c && r.kind === 'weight'; })!;
        weights.push(await src.read(e.name, 'f32'));
      }
      for (const s of qkv.slices(weights, config)) out.set(headTensor(b, s.head, s.part), s);
    }
  } finally {
    await src.close();
  }
  return out;
}

async function compareHeads(expected: HeadExpect[], heads: Map<string, { rows: number; cols: number; data: Float64Array }>): Promise<number> {
  expect([...heads.keys()].sort()).toEqual(expected.map((e) => e.tensor).sort());
  let worst = 0;
  for (const e of expected) {
    const h = heads.get(e.tensor)!;
    expect([h.rows, h.cols]).toEqual([e.rows, e.cols]);
    const s = await singularValues(h.data, h.rows, h.cols, { intraOpThreads: 1 });
    const sh = await singularValues(shuffledCopy(h.data), h.rows, h.cols, { intraOpThreads: 1 });
    const sMax = e.singular_values[0];
    for (let i = 0; i < s.length; i++) {
      worst = Math.max(worst, Math.abs(s[i] - e.singular_values[i]) / sMax, Math.abs(sh[i] - e.shuffled_singular_values[i]) / e.shuffled_singular_values[0]);
    }
    const sum = randomMatrixSummary(s, sh, h.rows, h.cols, entrySigma(h.data));
    expect(rel(sum.mp.sigma, e.mp_sigma)).toBeLessThan(1e-12);
    expect(rel(sum.mp.upper, e.mp_upper)).toBeLessThan(1e-12);
    expect(Math.abs(sum.mp.lower - e.mp_lower)).toBeLessThan(1e-12 * e.mp_upper);
    expect(sum.spikes, e.tensor).toBe(e.mp_spikes);
    expect(rel(sum.spikeRatio!, e.spike_ratio)).toBeLessThan(1e-9);
    const fit = powerLawAlpha(eigenvaluesFromSingularValues(s));
    if (e.alpha === null) expect(fit).toBeNull();
    else {
      expect(rel(fit!.xmin, e.alpha_xmin!), e.tensor).toBeLessThan(1e-8);
      expect(rel(fit!.alpha, e.alpha), e.tensor).toBeLessThan(1e-6);
    }
  }
  return worst;
}

describe('per-head Q/K/V spectra against torch.linalg.svdvals (float64)', () => {
  for (const [name] of FAMILIES) {
    it(`${name}: every head's slice, its shuffled copy, MP edges and spikes`, async () => {
      const worst = await compareHeads(fx.head_spectra[name], await fixtureHeads(join(root, 'test/fixtures/forward', name), 'model.safetensors'));
      expect(worst).toBeLessThan(1e-9);
    });
  }
});

describe('best_fit_family', () => {
  it('is the index of the smallest finite KS distance, the earlier family on ties, null when none', () => {
    expect(bestFitFamily([0.03, 0.02, 0.01])).toBe(2);
    expect(bestFitFamily([0.01, 0.02, 0.03])).toBe(0);
    expect(bestFitFamily([0.02, 0.02, null])).toBe(0);
    expect(bestFitFamily([Number.NaN, 0.5, 0.2])).toBe(2);
    expect(bestFitFamily([null, null, null])).toBeNull();
  });
});
