// Phase changes (DOMAIN.md "What goes beyond the study"): flag the checkpoints where a metric's
// trajectory over training changes regime, so every plot can mark them.
//
// Method (deterministic, no randomness, no tuning per metric):
// - x = log10(step + 1) (training curves are piecewise smooth in log-step: the study's
//   "checkpoint 20-40" regime change is a kink there), y = the metric; non-finite points are
//   skipped (indices still refer to the caller's arrays). Steps must strictly increase.
// - A segment [lo, hi] is fitted by one straight line (SSE0) and by every continuous
//   two-piece line with its knot at an interior checkpoint k (hinge regression
//   y = a + b x + c max(0, x - x_k); SSE1(k)), at least `minSegment` (default 3) points
//   on each side counting the knot. The best knot is the smallest SSE1 (ties: earlier k).
// - The split is kept when both hold:
//     BIC gain  n ln(SSE0 / SSE1) - penalty ln n > 0     (penalty default 3: the knot position
//               and the slope change, plus one for caution; n = points in the segment)
//     misfit    sqrt(SSE0 / n) > minRelativeRms * (max y - min y over the whole series)
//               (default 0.01: a segment a single line already fits to 1% of the curve's range
//               is one regime, however curved; this keeps smooth curves from being shredded).
//   SSE1 is floored at 1e-12 of the segment's total sum of squares so exact piecewise data
//   give a large finite score.
// - Kept splits recurse on [lo, k] and [k, hi] (binary segmentation, the knot shared); then
//   every knot is re-fitted between its neighbouring knots (moved or dropped) until stable,
//   which repairs knots that binary segmentation first put between two true kinks.
// Result: one entry per change point, ascending by index, with `score` = the BIC gain (larger =
// sharper change) and the fitted slopes (per decade of steps) on either side.
import { MetricInputError } from './moments';

export interface PhaseChange {
  /** Index into the caller's steps/values arrays. */
  index: number;
  step: number;
  /** BIC gain of the split (see the file header); > 0. */
  score: number;
  /** Slopes of the two fitted pieces, in value units per decade of (step + 1). */
  slopeBefore: number;
  slopeAfter: number;
}

export interface PhaseOptions {
  penalty?: number;
  minRelativeRms?: number;
  minSegment?: number;
}

interface HingeFit {
  sse: number;
  slopeBefore: number;
  slopeAfter: number;
}

/** Least squares of y on the given columns (normal equations, tiny dense Gaussian elimination). */
function leastSquaresSse(cols: Float64Array[], y: Float64Array): { sse: number; coef: number[] } | null {
  const p = cols.length;
  const n = y.length;
  const a = Array.from({ length: p }, (_, i) => Array.from({ length: p + 1 }, (_, j) => {
    const ci = cols[i]!;
    const cj = j < p ? cols[j]! : y;
    let s = 0;
    for (let t = 0; t < n; t++) s += ci[t]! * cj[t]!;
    return s;
  }));
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    if (!(Math.abs(a[piv]![col]!) > 1e-300)) return null;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let c = col; c <= p; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  const coef = a.map((row, i) => row[p]! / row[i]!);
  let sse = 0;
  for (let t = 0; t < n; t++) {
    let fit = 0;
    for (let i = 0; i < p; i++) fit += coef[i]! * cols[i]![t]!;
    const r = y[t]! - fit;
    sse += r * r;
  }
  return { sse, coef };
}

function lineSse(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  return Math.max(0, syy - (sxx > 0 ? (sxy * sxy) / sxx : 0));
}

function hingeFit(x: Float64Array, y: Float64Array, knot: number): HingeFit | null {
  const n = x.length;
  let mx = 0;
  for (let i = 0; i < n; i++) mx += x[i]!;
  mx /= n;
  const ones = new Float64Array(n).fill(1);
  const xc = x.map((v) => v - mx);
  const h = x.map((v) => Math.max(0, v - knot));
  const fit = leastSquaresSse([ones, xc, h], y);
  if (fit === null) return null;
  return { sse: Math.max(0, fit.sse), slopeBefore: fit.coef[1]!, slopeAfter: fit.coef[1]! + fit.coef[2]! };
}

/** Checkpoints where the trajectory (steps, values) changes regime (see the file header). */
export function phaseChanges(steps: readonly number[], values: readonly number[], options: PhaseOptions = {}): PhaseChange[] {
  if (steps.length !== values.length) {
    throw new MetricInputError('phase.ts', `steps (${steps.length}) and values (${values.length}) differ in length`);
  }
  for (let i = 0; i < steps.length; i++) {
    if (!Number.isFinite(steps[i]!) || steps[i]! < 0) throw new MetricInputError('phase.ts', `step ${steps[i]} at ${i} is not a finite step >= 0`);
    if (i > 0 && !(steps[i]! > steps[i - 1]!)) throw new MetricInputError('phase.ts', `steps must strictly increase (index ${i})`);
  }
  const penalty = options.penalty ?? 3;
  const minRelativeRms = options.minRelativeRms ?? 0.01;
  const minSegment = Math.max(2, options.minSegment ?? 3);
  const keep: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) keep.push(i);
  const n = keep.length;
  if (n < 2 * minSegment - 1) return [];
  const xs = Float64Array.from(keep, (i) => Math.log10(steps[i]! + 1));
  const ys = Float64Array.from(keep, (i) => values[i]!);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of ys) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  if (!(range > 0)) return [];
  /** Best knot in the segment [a, b] of xs/ys and its BIC gain, or null when no split is kept. */
  const bestSplit = (a: number, b: number): { k: number; score: number; fit: HingeFit } | null => {
    const m = b - a + 1;
    if (m < 2 * minSegment - 1) return null;
    const x = xs.subarray(a, b + 1);
    const y = ys.subarray(a, b + 1);
    const sse0 = lineSse(x, y);
    if (!(Math.sqrt(sse0 / m) > minRelativeRms * range)) return null;
    let my = 0;
    for (const v of y) my += v;
    my /= m;
    let sst = 0;
    for (const v of y) sst += (v - my) ** 2;
    let best: { k: number; fit: HingeFit } | null = null;
    for (let k = minSegment - 1; k <= m - minSegment; k++) {
      const fit = hingeFit(x, y, x[k]!);
      if (fit && (best === null || fit.sse < best.fit.sse)) best = { k, fit };
    }
    if (best === null) return null;
    const sse1 = Math.max(best.fit.sse, 1e-12 * sst, 1e-300);
    const score = m * Math.log(sse0 / sse1) - penalty * Math.log(m);
    return score > 0 ? { k: a + best.k, score, fit: best.fit } : null;
  };
  // Binary segmentation (explicit stack): positions in xs/ys of the accepted knots.
  const knots: number[] = [];
  const stack: [number, number][] = [[0, n - 1]];
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    const split = bestSplit(a, b);
    if (split === null) continue;
    knots.push(split.k);
    stack.push([split.k, b], [a, split.k]);
  }
  knots.sort((p, q) => p - q);
  // Refinement: binary segmentation can place a knot between two true kinks before finding
  // them; re-fit every knot between its final neighbours, moving it or dropping it when the
  // split is no longer kept, until nothing changes.
  for (let round = 0; round < 4 * n; round++) {
    let changed = false;
    for (let j = 0; j < knots.length; j++) {
      const a = j > 0 ? knots[j - 1]! : 0;
      const b = j + 1 < knots.length ? knots[j + 1]! : n - 1;
      const split = bestSplit(a, b);
      if (split === null) {
        knots.splice(j, 1);
        changed = true;
        break;
      }
      if (split.k !== knots[j]) {
        knots[j] = split.k;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const found: PhaseChange[] = [];
  knots.forEach((k, j) => {
    const split = bestSplit(j > 0 ? knots[j - 1]! : 0, j + 1 < knots.length ? knots[j + 1]! : n - 1);
    // Only reachable if refinement hit its round limit without settling: report kept knots only.
    if (split === null) return;
    const index = keep[k]!;
    found.push({ index, step: steps[index]!, score: split.score, slopeBefore: split.fit.slopeBefore, slopeAfter: split.fit.slopeAfter });
  });
  return found.sort((p, q) => p.index - q.index);
}
