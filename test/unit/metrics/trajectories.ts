// Synthetic training trajectories with known answers, shared by the change-point and forecast tests.

/** Pythia's checkpoint steps: 0, 1, 2, 4, ..., 512, then every 1000 up to 143000 (154 in all). */
export const PYTHIA_STEPS = [0, ...Array.from({ length: 10 }, (_, i) => 2 ** i), ...Array.from({ length: 143 }, (_, i) => (i + 1) * 1000)];
/** The demo run's steps: 0, 1, 2, 4, ..., 512, then every 100 from 600 to 2600 (32 in all). */
export const DEMO_STEPS = [0, ...Array.from({ length: 10 }, (_, i) => 2 ** i), ...Array.from({ length: 21 }, (_, i) => 600 + 100 * i)];

/** Seeded standard normal generator (mulberry32 + Box-Muller): reproducible noise. */
export function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = Math.max(uniform(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** Continuous piecewise-linear function of log10(step + 1) with kinks at the given steps, plus N(0, sd^2) noise. */
export function piecewise(steps: readonly number[], kinks: number[], slopes: number[], sd: number, seed = 1): number[] {
  const g = gaussian(seed);
  return steps.map((s) => {
    const x = Math.log10(s + 1);
    let y = 1 + slopes[0] * x;
    kinks.forEach((k, j) => {
      const xk = Math.log10(k + 1);
      if (x > xk) y += (slopes[j + 1] - slopes[j]) * (x - xk);
    });
    return y + sd * g();
  });
}

/** Smooth curves of step with optional multiplicative-free additive noise. */
export function smooth(steps: readonly number[], f: (s: number) => number, sd: number, seed = 1): number[] {
  const g = gaussian(seed);
  return steps.map((s) => f(s) + sd * g());
}
