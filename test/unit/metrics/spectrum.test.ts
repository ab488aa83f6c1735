/**
 * Spectral scalars and the WeightWatcher power-law fit against the numpy reference in
 * tools/make_spectrum_expectations.py (fixtures in test/fixtures/spectrum/), plus closed forms.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  eigenvaluesFromSingularValues,
  powerLawAlpha,
  spectralScalars,
  SpectrumError,
} from '../../../main/metrics/spectrum';

interface ReferenceFit {
  alpha: number;
  xmin: number;
  ks: number;
  n_tail: number;
  sigma: number;
}
interface Expectations {
  matrices: {
    name: string;
    singular_values: number[];
    frobenius_sq_from_entries: number;
    scalars: { spectral_norm: number; stable_rank: number | null; effective_rank: number | null; frobenius_sq: number };
    powerlaw: ReferenceFit | null;
  }[];
  eigenvalue_samples: { name: string; eigenvalues: number[]; powerlaw: ReferenceFit | null }[];
}

const expectations = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../fixtures/spectrum/expectations.json', import.meta.url)), 'utf8'),
) as Expectations;

function expectRel(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

function expectFit(actual: ReturnType<typeof powerLawAlpha>, expected: ReferenceFit | null): void {
  if (expected === null) {
    expect(actual).toBeNull();
    return;
  }
  expect(actual).not.toBeNull();
  const fit = actual!;
  expect(fit.xmin).toBe(expected.xmin);
  expect(fit.nTail).toBe(expected.n_tail);
  expectRel(fit.alpha, expected.alpha, 1e-9);
  expectRel(fit.ks, expected.ks, 1e-9);
  expectRel(fit.sigma, expected.sigma, 1e-9);
}

describe('spectralScalars', () => {
  it('matches closed forms for a flat spectrum', () => {
    const r = spectralScalars(new Float64Array([2, 2, 2, 2]));
    expect(r.spectralNorm).toBe(2);
    expect(r.stableRank).toBeCloseTo(4, 14);
    expect(r.effectiveRank).toBeCloseTo(4, 13);
    expect(r.frobeniusSq).toBe(16);
  });

  it('gives rank one for a single non-zero value and NaN for the zero matrix', () => {
    const r = spectralScalars([3, 0, 0]);
    expect(r.stableRank).toBe(1);
    expect(r.effectiveRank).toBe(1);
    const z = spectralScalars([0, 0]);
    expect(z.spectralNorm).toBe(0);
    expect(Number.isNaN(z.stableRank)).toBe(true);
    expect(Number.isNaN(z.effectiveRank)).toBe(true);
  });

  it('uses a given Frobenius norm for the stable rank', () => {
    expect(spectralScalars([2, 1], 8).stableRank).toBe(2);
  });

  it('rejects negative or NaN singular values and empty input', () => {
    expect(() => spectralScalars([1, -1])).toThrow(SpectrumError);
    expect(() => spectralScalars([Number.NaN])).toThrow(SpectrumError);
    expect(() => spectralScalars([])).toThrow(SpectrumError);
  });

  for (const m of expectations.matrices) {
    it(`matches numpy for ${m.name}`, () => {
      const r = spectralScalars(m.singular_values);
      expect(r.spectralNorm).toBe(m.scalars.spectral_norm);
      expectRel(r.stableRank, m.scalars.stable_rank!, 1e-12);
      expectRel(r.effectiveRank, m.scalars.effective_rank!, 1e-12);
      // ||W||_F^2 from the entries equals sum(s^2) up to the SVD's rounding.
      expectRel(spectralScalars(m.singular_values, m.frobenius_sq_from_entries).stableRank, m.scalars.stable_rank!, 1e-12);
    });
  }
});

describe('powerLawAlpha (WeightWatcher method)', () => {
  it('recovers the closed-form MLE when the best xmin is the smallest value', () => {
    // Two values: the only candidate is the smaller one; alpha = 1 + 2 / log(x1/x0).
    const fit = powerLawAlpha([1, Math.E])!;
    expect(fit.xmin).toBe(1);
    expect(fit.alpha).toBeCloseTo(3, 14);
    // KS: fitted CDF at e is 1 - e^-2, empirical (left) CDF there is 1/2; at x0 both are 0.
    expect(fit.ks).toBeCloseTo(Math.abs(1 - Math.exp(-2) - 0.5), 14);
    expect(fit.nTail).toBe(2);
  });

  it('returns null with fewer than two eigenvalues above the threshold', () => {
    expect(powerLawAlpha([5, 1e-6, 0])).toBeNull();
    expect(powerLawAlpha([])).toBeNull();
  });

  it('is invariant to input order', () => {
    const eigs = expectations.eigenvalue_samples[0].eigenvalues;
    const reversed = [...eigs].reverse();
    expect(powerLawAlpha(reversed)).toEqual(powerLawAlpha(eigs));
  });

  for (const sample of expectations.eigenvalue_samples) {
    it(`matches the numpy reference on sample ${sample.name}`, () => {
      expectFit(powerLawAlpha(sample.eigenvalues), sample.powerlaw);
    });
  }

  for (const m of expectations.matrices) {
    it(`matches the numpy reference on the eigenvalues of ${m.name}`, () => {
      expectFit(powerLawAlpha(eigenvaluesFromSingularValues(m.singular_values)), m.powerlaw);
    });
  }
});
