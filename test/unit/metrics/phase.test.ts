import { describe, expect, it } from 'vitest';
import { phaseChanges } from '../../../main/metrics/phase';
import { MetricInputError } from '../../../main/metrics/moments';

// Pythia's checkpoint steps: 0, 1, 2, 4, ..., 512, then every 1000 up to 143000 (154 in all).
const PYTHIA_STEPS = [0, ...Array.from({ length: 10 }, (_, i) => 2 ** i), ...Array.from({ length: 143 }, (_, i) => (i + 1) * 1000)];

/** Deterministic zero-mean noise in [-amp, amp]. */
function noise(i: number, amp: number): number {
  let h = Math.imul(i + 17, 0x9e3779b1) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return amp * (2 * ((h >>> 0) / 4294967296) - 1);
}

/** Continuous piecewise-linear function of log10(step + 1) with kinks at the given steps. */
function piecewise(steps: number[], kinks: number[], slopes: number[], amp: number): number[] {
  return steps.map((s, i) => {
    const x = Math.log10(s + 1);
    let y = 1 + slopes[0]! * x;
    kinks.forEach((k, j) => {
      const xk = Math.log10(k + 1);
      if (x > xk) y += (slopes[j + 1]! - slopes[j]!) * (x - xk);
    });
    return y + noise(i, amp);
  });
}

describe('phaseChanges', () => {
  it('finds one planted kink exactly (noise-free and with 0.2% noise)', () => {
    const kinkStep = 20_000;
    const kinkIndex = PYTHIA_STEPS.indexOf(kinkStep);
    for (const amp of [0, 0.002]) {
      const y = piecewise(PYTHIA_STEPS, [kinkStep], [0.1, 2.0], amp);
      const changes = phaseChanges(PYTHIA_STEPS, y);
      expect(changes.length).toBe(1);
      expect(changes[0]!.index).toBe(kinkIndex);
      expect(changes[0]!.step).toBe(kinkStep);
      expect(changes[0]!.score).toBeGreaterThan(0);
      expect(changes[0]!.slopeBefore).toBeCloseTo(0.1, 1);
      expect(changes[0]!.slopeAfter).toBeCloseTo(2.0, 1);
    }
  });

  it('finds two planted kinks, in index order', () => {
    const y = piecewise(PYTHIA_STEPS, [64, 30_000], [0.05, 1.5, -0.8], 0.001);
    const changes = phaseChanges(PYTHIA_STEPS, y);
    expect(changes.map((c) => c.step)).toEqual([64, 30_000]);
  });

  it('flags nothing on a straight line in log-step with noise, or on a constant', () => {
    expect(phaseChanges(PYTHIA_STEPS, piecewise(PYTHIA_STEPS, [], [0.7], 0.01))).toEqual([]);
    expect(phaseChanges(PYTHIA_STEPS, PYTHIA_STEPS.map(() => 3))).toEqual([]);
    expect(phaseChanges([0, 1, 2], [1, 5, 1])).toEqual([]);
  });

  it('skips non-finite values but reports indices into the caller arrays', () => {
    const y = piecewise(PYTHIA_STEPS, [20_000], [0.1, 2.0], 0);
    const kinkIndex = PYTHIA_STEPS.indexOf(20_000);
    y[3] = NaN;
    y[100] = Infinity;
    const changes = phaseChanges(PYTHIA_STEPS, y);
    expect(changes.map((c) => c.index)).toEqual([kinkIndex]);
  });

  it('is deterministic and rejects bad input', () => {
    const y = piecewise(PYTHIA_STEPS, [64, 30_000], [0.05, 1.5, -0.8], 0.003);
    expect(phaseChanges(PYTHIA_STEPS, y)).toEqual(phaseChanges(PYTHIA_STEPS, y));
    expect(() => phaseChanges([0, 2, 1], [1, 2, 3])).toThrow(MetricInputError);
    expect(() => phaseChanges([0, 1], [1])).toThrow(MetricInputError);
  });
});
