import { describe, expect, it } from 'vitest';
import { fitForm, forecast, evaluateForm } from '../../../main/metrics/forecast';
import { MetricInputError } from '../../../main/metrics/moments';
import { DEMO_STEPS, PYTHIA_STEPS, smooth } from './trajectories';

describe('fitForm', () => {
  it('recovers the parameters of noise-free curves of each form', () => {
    const s = PYTHIA_STEPS;
    const sat = fitForm('saturating', s, s.map((v) => 3 + 2 * (1 - Math.exp(-v / 20_000))))!;
    expect(sat.params[0]).toBeCloseTo(3, 5);
    expect(sat.params[1]).toBeCloseTo(2, 5);
    expect(sat.params[2] / 20_000).toBeCloseTo(1, 5);
    const pow = fitForm('power_law', s, s.map((v) => 1.5 + 4 * (v + 1) ** -0.35))!;
    expect(pow.params[0]).toBeCloseTo(1.5, 4);
    expect(pow.params[1]).toBeCloseTo(4, 4);
    expect(pow.params[2]).toBeCloseTo(-0.35, 4);
    const rd = fitForm('rise_decay', s, s.map((v) => 1 + 3 * (1 - Math.exp(-v / 500)) - 2 * (1 - Math.exp(-v / 40_000))))!;
    expect(rd.rms).toBeLessThan(1e-5);
    expect(evaluateForm('rise_decay', rd.params, 286_000)).toBeCloseTo(1 + 3 - 2 * (1 - Math.exp(-286_000 / 40_000)), 3);
  });
});

describe('forecast', () => {
  for (const [name, steps] of [['demo', DEMO_STEPS], ['Pythia', PYTHIA_STEPS]] as const) {
    it(`${name}: a saturating norm predicts its value at twice the last step within 3%, truth inside the band`, () => {
      const last = steps[steps.length - 1];
      const truth = (s: number): number => 12 - 7 * Math.exp(-s / (0.5 * last));
      let worst = 0;
      for (let seed = 1; seed <= 20; seed++) {
        const y = smooth(steps, truth, 0.03, seed);
        const f = forecast(steps, y)!;
        const end = f.points[f.points.length - 1];
        expect(end.step).toBe(2 * last);
        const rel = Math.abs(end.value - truth(2 * last)) / truth(2 * last);
        worst = Math.max(worst, rel);
        expect(rel).toBeLessThan(0.03);
        expect(end.lower).toBeLessThanOrEqual(truth(2 * last));
        expect(end.upper).toBeGreaterThanOrEqual(truth(2 * last));
      }
      expect(worst).toBeLessThan(0.03);
    });
  }

  it('chooses the form that generated the data by held-out error', () => {
    const s = PYTHIA_STEPS;
    const pick = (f: (v: number) => number): string => forecast(s, smooth(s, f, 0.002, 5))!.fit.form;
    expect(pick((v) => 2 + 5 * (v + 1) ** -0.5)).toBe('power_law');
    expect(pick((v) => 3 + 2 * (1 - Math.exp(-v / 30_000)))).toBe('saturating');
    expect(pick((v) => 1 + 3 * (1 - Math.exp(-v / 3000)) - 2.5 * (1 - Math.exp(-v / 60_000)))).toBe('rise_decay');
  });

  it('the band widens beyond the last checkpoint and every point is ordered lower <= value <= upper', () => {
    const s = DEMO_STEPS;
    const f = forecast(s, smooth(s, (v) => 5 - 3 * Math.exp(-v / 1000), 0.02, 2))!;
    for (const p of f.points) {
      expect(p.lower).toBeLessThanOrEqual(p.value);
      expect(p.upper).toBeGreaterThanOrEqual(p.value);
    }
    const width = (p: { lower: number; upper: number }): number => p.upper - p.lower;
    const atLast = f.points[s.length - 1];
    expect(width(f.points[f.points.length - 1])).toBeGreaterThan(width(atLast));
    expect(f.points).toHaveLength(s.length + 16);
  });

  it('returns null for too few points and rejects bad input', () => {
    expect(forecast([0, 1, 2], [1, 2, 3])).toBeNull();
    expect(() => forecast([0, 2, 1, 3, 4, 5], [1, 2, 3, 4, 5, 6])).toThrow(MetricInputError);
    expect(() => forecast([0, 1], [1])).toThrow(MetricInputError);
  });
});
