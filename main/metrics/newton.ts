// Damped Newton maximisation of a log-likelihood over a few parameters (main/metrics/fits.ts:
// the logistic and Student-t fits). Hand-written: the systems are 2x2 and 3x3 with box bounds,
// and no npm optimiser offers Levenberg-Marquardt damping with a separate value-only trial.

/** Solves the small symmetric positive definite system A x = b by Cholesky; null if not PD. */
export function solveSpd(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const l: number[][] = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(s > 0)) return null;
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

export interface LikelihoodDerivatives {
  /** Sum of log-likelihoods, gradient and Hessian in the optimiser's coordinates. */
  ll: number;
  g: number[];
  h: number[][];
}

/**
 * Damped Newton (Levenberg-Marquardt on the Hessian diagonal) maximising `evaluate`.
 * `free(theta, g)` says which coordinates may move (bounds); `clamp` projects onto the box.
 * `value`, when given, computes the log-likelihood alone (bit for bit what `evaluate` sums): a
 * trial step is judged on it, and `evaluate(theta, ll)` then adds the derivatives only for steps
 * that are taken. Near the optimum most trials are refused (rounding of a sum over 10^6 terms),
 * so this saves the derivative pass of each refused trial and changes no number.
 */
export function maximise(
  theta0: number[],
  evaluate: (theta: number[], knownLl?: number) => LikelihoodDerivatives,
  clamp: (theta: number[]) => number[],
  free: (theta: number[], g: number[]) => boolean[],
  n: number,
  value?: (theta: number[]) => number,
): { theta: number[]; ll: number } {
  let theta = clamp(theta0);
  let cur = evaluate(theta);
  let damping = 0;
  // Consecutive nearly undamped Newton steps that gained no more than rounding (see below).
  let flat = 0;
  for (let iter = 0; iter < 300; iter++) {
    const mask = free(theta, cur.g);
    const idx = mask.map((f, i) => (f ? i : -1)).filter((i) => i >= 0);
    if (idx.length === 0) break;
    const g = idx.map((i) => cur.g[i]);
    const negH = idx.map((i) => idx.map((j) => -cur.h[i][j]));
    let accepted = false;
    let gain = 0;
    let stepNorm = 0;
    let stepDamping = 0;
    for (let attempt = 0; attempt < 40; attempt++) {
      const a = negH.map((row, r) => row.map((v, c) => (r === c ? v + damping * Math.max(Math.abs(v), 1e-12) : v)));
      const step = solveSpd(a, g);
      if (step === null) {
        damping = damping === 0 ? 1e-6 : damping * 10;
        continue;
      }
      const next = theta.slice();
      idx.forEach((i, k) => (next[i] = next[i] + step[k]));
      const candidate = clamp(next);
      const trialLl = value ? value(candidate) : NaN;
      const trial = value ? null : evaluate(candidate);
      const ll = trial ? trial.ll : trialLl;
      if (Number.isFinite(ll) && ll >= cur.ll - 1e-15 * Math.abs(cur.ll)) {
        gain = ll - cur.ll;
        stepNorm = Math.max(...candidate.map((v, i) => Math.abs(v - theta[i])));
        theta = candidate;
        stepDamping = damping;
        // Newton decrement: a (nearly) undamped step whose predicted gain g.step/2 is at the
        // sum's rounding (<= 1e-13 n, the flat test below) lands on the optimum to rounding
        // (Newton converges quadratically: what is left after it is ~ its square). Stop here,
        // without the derivative pass at the new point nor the three flat steps below that used
        // to confirm it (~half of the Newton passes of the 160m sweep, issue 16 item 6).
        let predicted = 0;
        for (let k = 0; k < idx.length; k++) predicted += g[k] * step[k];
        if (value && damping < 1e-3 && predicted / 2 <= 1e-13 * n && candidate.every((v, i) => v === next[i])) {
          return { theta, ll };
        }
        cur = trial ?? evaluate(candidate, trialLl);
        damping = damping / 10 < 1e-9 ? 0 : damping / 10;
        accepted = true;
        break;
      }
      damping = damping === 0 ? 1e-6 : damping * 10;
    }
    if (!accepted) break;
    if (gain <= 1e-13 * n && stepNorm < 1e-10) break;
    // A likelihood flat to its rounding along one direction (Student-t nu in the thousands:
    // Gaussian-like weights) lets Newton steps of ~1e-5 in log nu be taken and refused at random
    // while the sum changes by ~1e-10: stepNorm never falls below 1e-10 and the loop ran to its
    // 300 iterations (issue 16 item 6; the profile in BENCHMARKS.md). A (nearly) full Newton step
    // that gains no more than rounding means the predicted gain is at rounding too: the optimum
    // is reached to the precision the sum allows. Three such steps in a row end the search.
    flat = stepDamping < 1e-3 && gain <= 1e-13 * n ? flat + 1 : 0;
    if (flat >= 3) break;
  }
  return { theta, ll: cur.ll };
}
