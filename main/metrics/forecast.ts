// Forecasts (DOMAIN.md "What goes beyond the study"): the study's smooth norm curves "might be
// possible to fit ... to predict"; this fits each trajectory with a small family of forms, picks
// the one with the smallest held-out error, and extrapolates it with an uncertainty band.
//
// Forms (s = step; a, b, c enter linearly, the rate parameters are searched):
//   saturating      y = a + b (1 - exp(-s / tau))
//   power law       y = a + b (s + 1)^p                          (p != 0, either sign)
//   rise-and-decay  y = a + b (1 - exp(-s / t1)) + c (1 - exp(-s / t2)),  t1 < t2
// Fitting (hand-written: no npm library does separable nonlinear least squares; the series are
// a few hundred points): for fixed rates the linear coefficients are exact least squares
// (variable projection), the rates come from a log-spaced grid and then a pattern search in log
// space, so the result is deterministic and does not depend on a starting guess.
// Choice: each form is fitted to the first (1 - holdout) of the checkpoints and scored by the
// RMS error on the rest (the later steps, which is what a forecast needs); the winner is refitted
// on everything, except that rise-and-decay must also beat the saturating form it contains by
// BIC on all the points. Band: a 95% prediction interval from the delta method (Jacobian of the fitted
// curve by central differences in every parameter, covariance sigma^2 (J^T J)^-1 with sigma^2 =
// SSE / (n - parameters)), widened by the noise sigma itself.
import { leastSquares } from './changepoints';
import { MetricInputError } from './moments';

export type FormName = 'saturating' | 'power_law' | 'rise_decay';

export interface FittedForm {
  form: FormName;
  /** Linear coefficients then rates: saturating [a, b, tau], power law [a, b, p], rise-and-decay [a, b, c, t1, t2]. */
  params: number[];
  /** Residual RMS on the points it was fitted to. */
  rms: number;
}

export interface ForecastPoint {
  step: number;
  value: number;
  lower: number;
  upper: number;
}

export interface Forecast {
  fit: FittedForm;
  /** Held-out RMS error of every form tried (Infinity when a form could not be fitted). */
  heldOut: Record<FormName, number>;
  /** At every input step, then `extraSteps` evenly spaced steps up to `horizon` x the last step. */
  points: ForecastPoint[];
}

export interface ForecastOptions {
  /** Fraction of the checkpoints (the latest) held out to choose the form. Default 0.2. */
  holdout?: number;
  /** The forecast reaches this multiple of the last step. Default 2. */
  horizon?: number;
  /** Extrapolated points after the last step. Default 16. */
  extraSteps?: number;
  /** Forms to try. Default all three. */
  forms?: FormName[];
  /** Explicit steps to forecast after the last input step, instead of the evenly spaced ones (the back-test's held-out checkpoints). */
  at?: number[];
}

const FORMS: readonly FormName[] = ['saturating', 'power_law', 'rise_decay'];

/** Basis columns (without the constant) for the given rates at steps s. */
function basis(form: FormName, rates: number[], s: Float64Array): Float64Array[] {
  if (form === 'saturating') return [s.map((v) => 1 - Math.exp(-v / rates[0]))];
  if (form === 'power_law') return [s.map((v) => (v + 1) ** rates[0])];
  return [s.map((v) => 1 - Math.exp(-v / rates[0])), s.map((v) => 1 - Math.exp(-v / rates[1]))];
}

function evaluate(form: FormName, params: number[], s: number): number {
  if (form === 'saturating') return params[0] + params[1] * (1 - Math.exp(-s / params[2]));
  if (form === 'power_law') return params[0] + params[1] * (s + 1) ** params[2];
  return params[0] + params[1] * (1 - Math.exp(-s / params[3])) + params[2] * (1 - Math.exp(-s / params[4]));
}

/** Exact linear coefficients for fixed rates; null when the columns are degenerate. */
function project(form: FormName, rates: number[], s: Float64Array, y: Float64Array): { sse: number; params: number[] } | null {
  const cols = [new Float64Array(s.length).fill(1), ...basis(form, rates, s)];
  for (const c of cols) for (const v of c) if (!Number.isFinite(v)) return null;
  const fit = leastSquares(cols, y);
  if (!fit || !Number.isFinite(fit.sse)) return null;
  return { sse: fit.sse, params: [...fit.coef, ...rates] };
}

function logGrid(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => lo * (hi / lo) ** (i / (count - 1)));
}

/** Least-squares fit of one form (grid over the rates, then pattern search in log space). */
export function fitForm(form: FormName, steps: ArrayLike<number>, values: ArrayLike<number>): FittedForm | null {
  const s = Float64Array.from(steps);
  const y = Float64Array.from(values);
  const n = s.length;
  const linear = form === 'rise_decay' ? 3 : 2;
  if (n < linear + (form === 'rise_decay' ? 2 : 1) + 1) return null;
  const positive = [...s].filter((v) => v > 0);
  if (positive.length < 2) return null;
  const sMin = Math.min(...positive);
  const sMax = s[n - 1];
  // Rates are searched as r = log(tau) (or p itself for the power law's exponent).
  const toRates = (r: number[]): number[] => (form === 'power_law' ? r : r.map(Math.exp));
  const valid = (r: number[]): boolean => (form === 'power_law' ? Math.abs(r[0]) > 1e-3 && Math.abs(r[0]) < 4 : form === 'rise_decay' ? r[0] < r[1] - 1e-6 : true);
  const sse = (r: number[]): number => (valid(r) ? (project(form, toRates(r), s, y)?.sse ?? Infinity) : Infinity);
  let starts: number[][];
  const taus = logGrid(sMin / 4, sMax * 20, 48).map(Math.log);
  if (form === 'saturating') starts = taus.map((t) => [t]);
  else if (form === 'power_law') starts = [...logGrid(0.005, 3.5, 40).map((p) => -p), ...logGrid(0.005, 3.5, 40)].map((p) => [p]);
  else {
    const coarse = logGrid(sMin / 4, sMax * 20, 20).map(Math.log);
    starts = coarse.flatMap((a, i) => coarse.slice(i + 1).map((b) => [a, b]));
  }
  let best = starts[0];
  let bestSse = Infinity;
  for (const r of starts) {
    const v = sse(r);
    if (v < bestSse) {
      bestSse = v;
      best = r;
    }
  }
  if (!Number.isFinite(bestSse)) return null;
  // Pattern search: try +-step along each rate, halve the step when nothing improves.
  let step = form === 'power_law' ? 0.1 : 0.3;
  for (let iter = 0; iter < 200 && step > 1e-7; iter++) {
    let improved = false;
    for (let d = 0; d < best.length; d++) {
      for (const sign of [1, -1]) {
        const r = best.slice();
        r[d] += sign * step;
        const v = sse(r);
        if (v < bestSse) {
          bestSse = v;
          best = r;
          improved = true;
        }
      }
    }
    if (!improved) step /= 2;
  }
  const fit = project(form, toRates(best), s, y)!;
  return { form, params: fit.params, rms: Math.sqrt(fit.sse / n) };
}

/** Fits, chooses by held-out error and extrapolates one trajectory (see the file header). */
export function forecast(steps: readonly number[], values: readonly number[], options: ForecastOptions = {}): Forecast | null {
  if (steps.length !== values.length) throw new MetricInputError('forecast.ts', `steps (${steps.length}) and values (${values.length}) differ in length`);
  for (let i = 0; i < steps.length; i++) {
    if (!Number.isFinite(steps[i]) || steps[i] < 0) throw new MetricInputError('forecast.ts', `step ${steps[i]} at ${i} is not a finite step >= 0`);
    if (i > 0 && !(steps[i] > steps[i - 1])) throw new MetricInputError('forecast.ts', `steps must strictly increase (index ${i})`);
  }
  const holdout = options.holdout ?? 0.2;
  const horizon = options.horizon ?? 2;
  const extra = options.extraSteps ?? 16;
  const forms = options.forms ?? [...FORMS];
  const idx = values.map((v, i) => (Number.isFinite(v) ? i : -1)).filter((i) => i >= 0);
  if (idx.length < 6) return null;
  const s = idx.map((i) => steps[i]);
  const y = idx.map((i) => values[i]);
  const nFit = Math.max(4, Math.min(idx.length - 2, Math.round(idx.length * (1 - holdout))));
  const heldOut = { saturating: Infinity, power_law: Infinity, rise_decay: Infinity } as Record<FormName, number>;
  for (const form of forms) {
    const f = fitForm(form, s.slice(0, nFit), y.slice(0, nFit));
    if (!f) continue;
    let e = 0;
    for (let i = nFit; i < s.length; i++) e += (evaluate(form, f.params, s[i]) - y[i]) ** 2;
    heldOut[form] = Math.sqrt(e / (s.length - nFit));
  }
  const ranked = forms.filter((f) => Number.isFinite(heldOut[f])).sort((a, b) => heldOut[a] - heldOut[b] || FORMS.indexOf(a) - FORMS.indexOf(b));
  let fit: FittedForm | null = null;
  for (const form of ranked) if ((fit = fitForm(form, s, y))) break;
  if (!fit) return null;
  // Rise-and-decay nests the saturating form (c = 0): its two extra parameters must also pay
  // for themselves on all the points (BIC), or a few noisy held-out points pick it by chance.
  if (fit.form === 'rise_decay' && forms.includes('saturating')) {
    const sat = fitForm('saturating', s, y);
    const n = s.length;
    if (sat && n * Math.log(Math.max(sat.rms, 1e-300) ** 2 / Math.max(fit.rms, 1e-300) ** 2) < 2 * Math.log(n)) fit = sat;
  }
  const last = s[s.length - 1];
  const outSteps = [...s, ...(options.at ?? Array.from({ length: extra }, (_, i) => last + ((horizon - 1) * last * (i + 1)) / extra))];
  const band = predictionBand(fit, Float64Array.from(s), Float64Array.from(y), outSteps);
  return { fit, heldOut, points: outSteps.map((step, i) => ({ step, value: evaluate(fit.form, fit.params, step), lower: band[i].lower, upper: band[i].upper })) };
}

/** 95% delta-method prediction band of a fitted form at the given steps (file header). */
function predictionBand(fit: FittedForm, s: Float64Array, y: Float64Array, at: number[]): { lower: number; upper: number }[] {
  const p = fit.params.length;
  const n = s.length;
  const f = (params: number[], x: number): number => evaluate(fit.form, params, x);
  const grad = (x: number): number[] => fit.params.map((v, k) => {
    const h = Math.max(Math.abs(v) * 1e-5, 1e-9);
    const up = fit.params.slice();
    const dn = fit.params.slice();
    up[k] = v + h;
    dn[k] = v - h;
    return (f(up, x) - f(dn, x)) / (2 * h);
  });
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (f(fit.params, s[i]) - y[i]) ** 2;
  const sigma2 = sse / Math.max(1, n - p);
  // J^T J and its inverse (Gauss-Jordan with a relative ridge for near-degenerate rates).
  const J = Array.from(s, (x) => grad(x));
  const A = Array.from({ length: p }, (_, a) => Array.from({ length: 2 * p }, (_, b) => (b < p ? J.reduce((acc, row) => acc + row[a] * row[b], 0) : b - p === a ? 1 : 0)));
  for (let a = 0; a < p; a++) A[a][a] += 1e-12 * Math.max(A[a][a], 1e-300);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    [A[c], A[piv]] = [A[piv], A[c]];
    const d = A[c][c];
    if (!(Math.abs(d) > 0)) return at.map((x) => ({ lower: f(fit.params, x), upper: f(fit.params, x) }));
    for (let k = 0; k < 2 * p; k++) A[c][k] /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const m = A[r][c];
      for (let k = 0; k < 2 * p; k++) A[r][k] -= m * A[c][k];
    }
  }
  return at.map((x) => {
    const g = grad(x);
    let v = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) v += g[a] * A[a][p + b] * g[b];
    const half = 1.96 * Math.sqrt(Math.max(0, sigma2 * v) + sigma2);
    const mid = f(fit.params, x);
    return { lower: mid - half, upper: mid + half };
  });
}

export { evaluate as evaluateForm };
