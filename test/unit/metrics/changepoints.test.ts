import { describe, expect, it } from 'vitest';
import { changePoints, regimeTimeline, robustNoiseScale } from '../../../main/metrics/changepoints';
import { MetricInputError } from '../../../main/metrics/moments';
import { DEMO_STEPS, PYTHIA_STEPS, gaussian, piecewise, smooth } from './trajectories';

const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);
const SCHEDULES = [['Pythia (154 checkpoints)', PYTHIA_STEPS], ['demo (32 checkpoints)', DEMO_STEPS]] as const;

describe('changePoints', () => {
  for (const [name, steps] of SCHEDULES) {
    const kinkIndex = Math.floor(steps.length * 0.6);
    const kink = steps[kinkIndex];

    it(`${name}: one planted kink is found within one checkpoint, noise-free and on 200 noisy seeds`, () => {
      const exact = changePoints(steps, piecewise(steps, [kink], [0.1, 1.5], 0));
      expect(exact.map((c) => c.index)).toEqual([kinkIndex]);
      expect(exact[0].slopeBefore).toBeCloseTo(0.1, 6);
      expect(exact[0].slopeAfter).toBeCloseTo(1.5, 6);
      let misses = 0;
      for (const seed of SEEDS) {
        const c = changePoints(steps, piecewise(steps, [kink], [0.1, 1.5], 0.005, seed));
        if (c.length !== 1 || Math.abs(c[0].index - kinkIndex) > 1) misses++;
      }
      expect(misses).toBe(0);
    });

    it(`${name}: two planted kinks (an early one in the log-spaced steps) are found within one checkpoint`, () => {
      let misses = 0;
      for (const seed of SEEDS.slice(0, 100)) {
        const c = changePoints(steps, piecewise(steps, [steps[8], kink], [0.05, 1.0, -0.5], 0.005, seed));
        if (c.length !== 2 || Math.abs(c[0].index - 8) > 1 || Math.abs(c[1].index - kinkIndex) > 1) misses++;
      }
      expect(misses).toBe(0);
    });

    it(`${name}: nothing on straight noisy lines, flat noisy lines or constants`, () => {
      const flagged = SEEDS.slice(0, 50).flatMap((seed) => [
        ...changePoints(steps, piecewise(steps, [], [0.7], 0.02, seed)),
        ...changePoints(steps, piecewise(steps, [], [0], 0.02, seed)),
      ]);
      expect(flagged).toEqual([]);
      expect(changePoints(steps, steps.map(() => 3))).toEqual([]);
    });

    it(`${name}: nothing on smooth curves (saturating, power law, square root), noise-free or noisy`, () => {
      const last = steps[steps.length - 1];
      const curves: ((s: number) => number)[] = [
        (s) => 1 + 2 * (1 - Math.exp(-s / (last / 5))),
        (s) => 3 * (s + 10) ** -0.3,
        (s) => 1 + Math.sqrt(s / last),
      ];
      for (const f of curves) {
        expect(changePoints(steps, smooth(steps, f, 0))).toEqual([]);
        const flagged = SEEDS.slice(0, 100).flatMap((seed) => changePoints(steps, smooth(steps, f, 0.01, seed)));
        expect(flagged).toEqual([]);
      }
    });
  }

  it('the penalty is tunable: a weak kink appears only under a small enough penalty', () => {
    const kinkIndex = 100;
    const y = piecewise(PYTHIA_STEPS, [PYTHIA_STEPS[kinkIndex]], [0.5, 1.2], 0.01, 7);
    expect(changePoints(PYTHIA_STEPS, y, { penalty: 40 })).toEqual([]);
    const found = changePoints(PYTHIA_STEPS, y, { penalty: 3 });
    expect(found).toHaveLength(1);
    expect(Math.abs(found[0].index - kinkIndex)).toBeLessThanOrEqual(1);
  });

  it('strength is the slope change in units of range per log-step span', () => {
    const steps = PYTHIA_STEPS;
    const y = piecewise(steps, [steps[92]], [0, 2], 0);
    const [c] = changePoints(steps, y);
    const span = Math.log10(steps[steps.length - 1] + 1);
    const range = Math.max(...y) - Math.min(...y);
    expect(c.strength).toBeCloseTo((2 * span) / range, 9);
    // Scale-free: multiplying the metric by 1000 leaves strengths unchanged.
    expect(changePoints(steps, y.map((v) => 1000 * v))[0].strength).toBeCloseTo(c.strength, 9);
  });

  it('skips non-finite values but reports indices into the caller arrays', () => {
    const y = piecewise(PYTHIA_STEPS, [20_000], [0.1, 2.0], 0);
    y[3] = NaN;
    y[100] = Infinity;
    expect(changePoints(PYTHIA_STEPS, y).map((c) => c.index)).toEqual([PYTHIA_STEPS.indexOf(20_000)]);
  });

  it('rejects bad input and returns nothing for too-short series', () => {
    expect(() => changePoints([0, 2, 1], [1, 2, 3])).toThrow(MetricInputError);
    expect(() => changePoints([0, 1], [1])).toThrow(MetricInputError);
    expect(() => changePoints([-1, 1], [1, 2])).toThrow(MetricInputError);
    expect(changePoints([0, 1, 2, 3], [1, 5, 1, 5])).toEqual([]);
  });
});

describe('robustNoiseScale', () => {
  it('recovers the noise sd on a straight line with log-spaced x (within 10% on 2000 points)', () => {
    const g = gaussian(3);
    const x = Float64Array.from({ length: 2000 }, (_, i) => Math.log10(i + 1));
    const y = x.map((v) => 2 + 3 * v + 0.05 * g());
    expect(robustNoiseScale(x, y)).toBeGreaterThan(0.045);
    expect(robustNoiseScale(x, y)).toBeLessThan(0.055);
  });
});

describe('regimeTimeline', () => {
  it('pools change points per step, counting trajectories and summing strengths', () => {
    const t = regimeTimeline([{ step: 64, strength: 1 }, { step: 2000, strength: 0.5 }, { step: 64, strength: 2 }], 4);
    expect(t).toEqual([
      { step: 64, count: 2, fraction: 0.5, strength: 3 },
      { step: 2000, count: 1, fraction: 0.25, strength: 0.5 },
    ]);
    expect(regimeTimeline([], 0)).toEqual([]);
  });
});
