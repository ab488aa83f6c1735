// Change points (DOMAIN.md "What goes beyond the study"): the checkpoints where a metric's
// trajectory over training changes regime, so every plot can mark them and a run's regime
// timeline can count how many trajectories change together. Replaces an earlier detector whose
// binary segmentation compared a line with a hinge under an unknown-variance BIC: on a smooth
// noise-free curve every extra knot lowers the residual by orders of magnitude, so it shredded
// smooth curves into knots that are not there.
//
// Method (deterministic; hand-written because no npm library does segmented regression on
// non-uniform x with a robust noise scale; the series are at most a few hundred points):
// 1. x = log10(step + 1): training curves are piecewise smooth in log-step, and Pythia-like
//    schedules (0, 1, 2, 4, ..., 512, then uniform) are evenly spread there. Non-finite values
//    are skipped; indices still refer to the caller's arrays. Steps must strictly increase.
// 2. Noise scale sigma: every interior point is predicted by linear interpolation of its two
//    neighbours; the residual, divided by its own standard deviation factor
//    sqrt(1 + wl^2 + wr^2), is sigma times unit noise on any locally straight curve. sigma =
//    1.4826 x median |residual| (robust: a few kinks do not inflate it), floored at
//    `noiseFloor` x (max y - min y) so that a noise-free smooth curve is not held to 1e-16.
// 3. PELT (Killick, Fearnhead & Eckley 2012, optimal partitioning with pruning) over segments
//    that share their boundary checkpoint (a kink sits on one checkpoint and belongs to both
//    pieces); each segment costs the residual sum of squares of its least-squares line over
//    sigma^2, each change point costs `penalty` x ln(n) (BIC-like, default 4: position,
//    slope and intercept, plus one for the error of the robust sigma). Segments hold at least
//    `minSegment` points (default 3).
// 4. Location: each change point moves to the checkpoint where a continuous hinge (two lines
//    meeting at x_k) fits best between its neighbouring change points (PELT's pieces are not
//    joined, so its boundary can sit a few checkpoints off a kink).
// 5. Smoothness test: a smooth bend is not a change of regime. Each change point is re-checked
//    on the points between its neighbours and within `window` decades of it: the hinge must
//    beat the straight line by penalty x ln(m) (in units of sigma^2) AND beat a cubic in x (the
//    smooth alternative, one parameter more) by the same margin. A change point failing either
//    is dropped, its neighbours are re-located, and the test repeats until nothing changes.
//    Measured on 200 noisy seeds each (test/unit/metrics/changepoints.test.ts): saturating,
//    power-law and square-root curves get none, planted kinks are found within one checkpoint.
// Strength: |slope after - slope before| (per decade of steps, from the hinge fit) times the
// series' span in decades over its range: about 1 when a curve turns from flat to a full-range
// rise, scale-free so that trajectories of different metrics add up in a regime timeline.
import { MetricInputError } from './moments';

export interface ChangePoint {
  /** Index into the caller's steps/values arrays. */
  index: number;
  step: number;
  /** See the file header: slope change in units of the series' range per its log-step span. */
  strength: number;
  /** Slopes of the hinge fit on either side, in value units per decade of (step + 1). */
  slopeBefore: number;
  slopeAfter: number;
}

export interface ChangePointOptions {
  /** Cost of one change point in units of ln(n) (larger = fewer change points). Default 4. */
  penalty?: number;
  /** Floor of the noise scale as a fraction of the series' range. Default 0.005. */
  noiseFloor?: number;
  /** Minimum points per segment, the shared boundary included (at least 3). Default 3. */
  minSegment?: number;
  /** Decades of log-step on each side of a candidate used by the smoothness test. Default 1. */
  window?: number;
}

/** Prefix sums for O(1) straight-line residuals over any index range. */
class LineCosts {
  private readonly s: Float64Array[];
  constructor(x: Float64Array, y: Float64Array) {
    const n = x.length;
    this.s = Array.from({ length: 5 }, () => new Float64Array(n + 1));
    const [sx, sy, sxx, sxy, syy] = this.s as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      const yi = y[i];
      sx[i + 1] = sx[i] + xi;
      sy[i + 1] = sy[i] + yi;
      sxx[i + 1] = sxx[i] + xi * xi;
      sxy[i + 1] = sxy[i] + xi * yi;
      syy[i + 1] = syy[i] + yi * yi;
    }
  }
  /** Residual sum of squares of the least-squares line through points a..b inclusive. */
  sse(a: number, b: number): number {
    const m = b - a + 1;
    const d = (k: number): number => this.s[k][b + 1] - this.s[k][a];
    const sx = d(0);
    const sy = d(1);
    const cxx = d(2) - (sx * sx) / m;
    const cxy = d(3) - (sx * sy) / m;
    const cyy = d(4) - (sy * sy) / m;
    return Math.max(0, cyy - (cxx > 0 ? (cxy * cxy) / cxx : 0));
  }
}

/** Least squares of y on the given columns: residual sum of squares and coefficients. */
export function leastSquares(cols: Float64Array[], y: Float64Array): { sse: number; coef: number[] } | null {
  const p = cols.length;
  const n = y.length;
  const a = Array.from({ length: p }, (_, i) => Array.from({ length: p + 1 }, (_, j) => {
    const ci = cols[i];
    const cj = j < p ? cols[j] : y;
    let s = 0;
    for (let t = 0; t < n; t++) s += ci[t] * cj[t];
    return s;
  }));
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (!(Math.abs(a[piv][col]) > 1e-300)) return null;
    [a[col], a[piv]] = [a[piv], a[col]];
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c <= p; c++) a[r][c] -= f * a[col][c];
    }
  }
  const coef = a.map((row, i) => row[p] / row[i]);
  let sse = 0;
  for (let t = 0; t < n; t++) {
    let fit = 0;
    for (let i = 0; i < p; i++) fit += coef[i] * cols[i][t];
    sse += (y[t] - fit) ** 2;
  }
  return { sse, coef };
}

/** Robust noise scale of y over x (file header, step 2); 0 when fewer than 3 points. */
export function robustNoiseScale(x: Float64Array, y: Float64Array): number {
  const z: number[] = [];
  for (let i = 1; i + 1 < x.length; i++) {
    const h = x[i + 1] - x[i - 1];
    const wl = (x[i + 1] - x[i]) / h;
    const wr = (x[i] - x[i - 1]) / h;
    z.push(Math.abs(y[i] - wl * y[i - 1] - wr * y[i + 1]) / Math.sqrt(1 + wl * wl + wr * wr));
  }
  if (z.length === 0) return 0;
  z.sort((a, b) => a - b);
  const mid = z.length >> 1;
  const median = z.length % 2 ? z[mid] : (z[mid - 1] + z[mid]) / 2;
  return 1.4826 * median;
}

interface LocalFit {
  sseLine: number;
  sseHinge: number;
  sseCubic: number;
  slopeBefore: number;
  slopeAfter: number;
}

function localFit(x: Float64Array, y: Float64Array, a: number, k: number, b: number): LocalFit | null {
  const m = b - a + 1;
  const xs = x.subarray(a, b + 1);
  const ys = y.subarray(a, b + 1);
  const xk = x[k];
  // Centred and scaled columns keep the normal equations well conditioned.
  let mx = 0;
  for (const v of xs) mx += v;
  mx /= m;
  const span = Math.max(xs[m - 1] - xs[0], 1e-12);
  const ones = new Float64Array(m).fill(1);
  const xc = xs.map((v) => (v - mx) / span);
  const hinge = xs.map((v) => Math.max(0, v - xk) / span);
  const quad = xc.map((v) => v * v);
  const line = leastSquares([ones, xc], ys);
  const h = leastSquares([ones, xc, hinge], ys);
  const cubic = leastSquares([ones, xc, quad, xc.map((v) => v * v * v)], ys);
  if (!line || !h || !cubic) return null;
  return {
    sseLine: line.sse,
    sseHinge: h.sse,
    sseCubic: cubic.sse,
    slopeBefore: h.coef[1] / span,
    slopeAfter: (h.coef[1] + h.coef[2]) / span,
  };
}

/** Checkpoints where the trajectory (steps, values) changes regime (see the file header). */
export function changePoints(steps: readonly number[], values: readonly number[], options: ChangePointOptions = {}): ChangePoint[] {
  if (steps.length !== values.length) {
    throw new MetricInputError('changepoints.ts', `steps (${steps.length}) and values (${values.length}) differ in length`);
  }
  for (let i = 0; i < steps.length; i++) {
    if (!Number.isFinite(steps[i]) || steps[i] < 0) throw new MetricInputError('changepoints.ts', `step ${steps[i]} at ${i} is not a finite step >= 0`);
    if (i > 0 && !(steps[i] > steps[i - 1])) throw new MetricInputError('changepoints.ts', `steps must strictly increase (index ${i})`);
  }
  const penalty = options.penalty ?? 4;
  const noiseFloor = options.noiseFloor ?? 0.005;
  const minSegment = Math.max(3, options.minSegment ?? 3);
  const window = options.window ?? 1;
  const keep: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) keep.push(i);
  const n = keep.length;
  if (n < 2 * minSegment - 1) return [];
  const x = Float64Array.from(keep, (i) => Math.log10(steps[i] + 1));
  const y = Float64Array.from(keep, (i) => values[i]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of y) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo;
  if (!(range > 0)) return [];
  const sigma = Math.max(robustNoiseScale(x, y), noiseFloor * range);
  const s2 = sigma * sigma;
  const beta = penalty * Math.log(n);
  const costs = new LineCosts(x, y);

  // PELT over boundary-sharing segments: F[t] = min_s F[s] + sse(s..t)/s2 + beta, F[0] = -beta.
  const F = new Float64Array(n).fill(Infinity);
  const prev = new Int32Array(n).fill(-1);
  F[0] = -beta;
  let candidates: number[] = [0];
  for (let t = minSegment - 1; t < n; t++) {
    let best = Infinity;
    let arg = -1;
    const values: number[] = [];
    for (const s of candidates) {
      if (t - s + 1 < minSegment) {
        values.push(-Infinity);
        continue;
      }
      const v = F[s] + costs.sse(s, t) / s2 + beta;
      values.push(v);
      if (v < best) {
        best = v;
        arg = s;
      }
    }
    F[t] = best;
    prev[t] = arg;
    // Pruning: a start that is already worse than the optimum by more than beta never wins later.
    candidates = candidates.filter((_, j) => values[j] - beta <= best);
    if (Number.isFinite(best)) candidates.push(t);
  }
  const knots: number[] = [];
  for (let t = prev[n - 1]; t > 0; t = prev[t]) knots.unshift(t);

  // Smoothness and significance test, repeated until stable (file header, step 4).
  const test = (j: number): LocalFit | null => {
    const k = knots[j];
    let a = j > 0 ? knots[j - 1] : 0;
    let b = j + 1 < knots.length ? knots[j + 1] : n - 1;
    while (a < k - minSegment + 1 && x[k] - x[a] > window) a++;
    while (b > k + minSegment - 1 && x[b] - x[k] > window) b--;
    if (k - a + 1 < minSegment || b - k + 1 < minSegment) return null;
    const fit = localFit(x, y, a, k, b);
    if (!fit) return null;
    const m = b - a + 1;
    const significant = (fit.sseLine - fit.sseHinge) / s2 > penalty * Math.log(m);
    const kinkNotBend = (fit.sseCubic - fit.sseHinge) / s2 > penalty * Math.log(m);
    return significant && kinkNotBend ? fit : null;
  };
  /** Residual sum of squares of the continuous hinge at k over points a..b (no allocation: refine calls it O(n^2) times). */
  const hingeSse = (a: number, k: number, b: number): number => {
    const xk = x[k];
    const x0 = x[a];
    let s11 = 0, s12 = 0, s13 = 0, s22 = 0, s23 = 0, s33 = 0, t1 = 0, t2 = 0, t3 = 0, syy = 0;
    for (let i = a; i <= b; i++) {
      const u = x[i] - x0;
      const h = Math.max(0, x[i] - xk);
      const v = y[i] - y[k];
      s11 += 1; s12 += u; s13 += h; s22 += u * u; s23 += u * h; s33 += h * h;
      t1 += v; t2 += u * v; t3 += h * v; syy += v * v;
    }
    // Solve the 3x3 normal equations by Cramer's rule; SSE = syy - coef . t.
    const det = s11 * (s22 * s33 - s23 * s23) - s12 * (s12 * s33 - s23 * s13) + s13 * (s12 * s23 - s22 * s13);
    if (!(Math.abs(det) > 1e-300)) return Infinity;
    const c1 = (t1 * (s22 * s33 - s23 * s23) - s12 * (t2 * s33 - s23 * t3) + s13 * (t2 * s23 - s22 * t3)) / det;
    const c2 = (s11 * (t2 * s33 - s23 * t3) - t1 * (s12 * s33 - s23 * s13) + s13 * (s12 * t3 - t2 * s13)) / det;
    const c3 = (s11 * (s22 * t3 - t2 * s23) - s12 * (s12 * t3 - t2 * s13) + t1 * (s12 * s23 - s22 * s13)) / det;
    return syy - c1 * t1 - c2 * t2 - c3 * t3;
  };
  /** Moves knot j to the checkpoint where a continuous hinge fits best between its neighbours. */
  const refine = (j: number): boolean => {
    const a = j > 0 ? knots[j - 1] : 0;
    const b = j + 1 < knots.length ? knots[j + 1] : n - 1;
    let best = knots[j];
    let bestSse = Infinity;
    for (let k = a + minSegment - 1; k <= b - minSegment + 1; k++) {
      const sse = hingeSse(a, k, b);
      if (sse < bestSse) {
        bestSse = sse;
        best = k;
      }
    }
    const moved = best !== knots[j];
    knots[j] = best;
    return moved;
  };
  for (let round = 0; round < 20; round++) {
    let moved = false;
    for (let j = 0; j < knots.length; j++) moved = refine(j) || moved;
    if (!moved) break;
  }
  for (let changed = true; changed;) {
    changed = false;
    for (let j = 0; j < knots.length; j++) {
      if (test(j) === null) {
        knots.splice(j, 1);
        if (j > 0) refine(j - 1);
        if (j < knots.length) refine(j);
        changed = true;
        break;
      }
    }
  }
  const spanX = x[n - 1] - x[0];
  return knots.map((k, j) => {
    const fit = test(j)!;
    const index = keep[k];
    return {
      index,
      step: steps[index],
      strength: (Math.abs(fit.slopeAfter - fit.slopeBefore) * spanX) / range,
      slopeBefore: fit.slopeBefore,
      slopeAfter: fit.slopeAfter,
    };
  });
}

export interface RegimeEntry {
  step: number;
  /** Trajectories with a change point at this step. */
  count: number;
  /** count over the number of trajectories examined. */
  fraction: number;
  /** Sum of their strengths. */
  strength: number;
}

/**
 * A run's regime timeline: the change points of many trajectories (every tensor x metric) pooled
 * per checkpoint step, so that steps where many trajectories change together stand out. `total`
 * is the number of trajectories examined (those without change points count too). Ascending by step.
 */
export function regimeTimeline(changes: readonly { step: number; strength: number }[], total: number): RegimeEntry[] {
  if (!(total > 0)) return [];
  const byStep = new Map<number, RegimeEntry>();
  for (const c of changes) {
    let e = byStep.get(c.step);
    if (!e) byStep.set(c.step, (e = { step: c.step, count: 0, fraction: 0, strength: 0 }));
    e.count++;
    e.strength += c.strength;
  }
  return [...byStep.values()].map((e) => ({ ...e, fraction: e.count / total })).sort((a, b) => a.step - b.step);
}
