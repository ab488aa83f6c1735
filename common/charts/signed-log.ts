// Activation and gradient histograms are stored on sign-symmetric log bins (main/metrics/
// log-histogram.ts: a central bin [-m, m], then a fixed number of bins per decade on each side),
// because their values span many decades. Drawn as they are, the x axis is a signed-log axis: it
// must say so and tick at decades (±1e-3, 0, ...), not at uneven bin centres, or a zero-centred
// distribution reads as two humps. The linear view spreads each log bin's count uniformly over
// the linear bins it overlaps, on a symmetric range that holds almost all of the values.
import type { HistogramFrame } from './frames';

/** Sign-symmetric edges whose outer bins are far wider than the inner ones. */
export function isSignedLogEdges(edges: readonly number[]): boolean {
  const n = edges.length;
  if (n < 6) return false;
  for (let i = 0; i < n; i++) if (Math.abs(edges[i] + edges[n - 1 - i]) > 1e-9 * Math.abs(edges[i])) return false;
  const inner = edges[n / 2 + 1] - edges[n / 2];
  const outer = edges[n - 1] - edges[n - 2];
  return n % 2 === 0 && outer > 100 * inner;
}

function signedPower(x: number): string {
  const k = Math.round(Math.log10(Math.abs(x)));
  return `${x < 0 ? '−' : ''}1e${k}`;
}

/**
 * Tick labels of a signed-log histogram's category axis (category 0 = underflow, i + 1 = bin i,
 * n + 1 = overflow): "0" at the central bin and ±1e<k> at the bins that start at a decade, every
 * `every`-th decade when there are many.
 */
export function signedLogTicks(edges: readonly number[], maxPerSide = 8): Map<number, string> {
  const ticks = new Map<number, string>();
  const n = edges.length;
  const centre = n / 2 - 1; // bin [-m, m]
  ticks.set(centre + 1, '0');
  const decades: number[] = [];
  for (let i = n / 2; i < n - 1; i++) {
    const k = Math.log10(edges[i]);
    if (Math.abs(k - Math.round(k)) < 1e-6) decades.push(i);
  }
  const every = Math.max(1, Math.ceil(decades.length / maxPerSide));
  decades.forEach((i, j) => {
    if (j % every !== 0) return;
    ticks.set(i + 1, signedPower(edges[i])); // bin i starts at +10^k
    const mirror = n - 1 - i; // edge -10^k ends bin mirror - 1
    ticks.set(mirror - 1 + 1, signedPower(edges[mirror]));
  });
  return ticks;
}

/** Smallest decade magnitude m with at least `mass` of the in-range count inside [-m, m]. */
export function linearRange(frames: ReadonlyArray<HistogramFrame | null>, mass = 0.995): number {
  let m = 0;
  for (const f of frames) {
    if (!f) continue;
    const n = f.edges.length;
    const total = f.counts.reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    // Grow symmetric pairs of bins outwards from the centre until `mass` is covered.
    let inside = f.counts[n / 2 - 1] ?? 0;
    let k = 0;
    while (inside < mass * total && n / 2 + k < n - 1) {
      inside += (f.counts[n / 2 + k] ?? 0) + (f.counts[n / 2 - 2 - k] ?? 0);
      k++;
    }
    const edge = f.edges[Math.min(n - 1, n / 2 + k)];
    m = Math.max(m, 10 ** Math.ceil(Math.log10(edge) - 1e-9));
  }
  return m > 0 ? m : 1;
}

/**
 * The frame on `bins` linear bins over [-range, range]: each log bin's count spread uniformly
 * over the linear bins it overlaps; what lies beyond goes to underflow/overflow. Total preserved.
 */
export function toLinearBins(frame: HistogramFrame, range: number, bins = 100): HistogramFrame {
  const edges = Array.from({ length: bins + 1 }, (_, i) => -range + (2 * range * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  let underflow = frame.underflow;
  let overflow = frame.overflow;
  const width = (2 * range) / bins;
  frame.counts.forEach((c, i) => {
    if (c === 0) return;
    const a = frame.edges[i];
    const b = frame.edges[i + 1];
    const len = b - a;
    if (b <= -range) return void (underflow += c);
    if (a >= range) return void (overflow += c);
    if (a < -range) underflow += (c * (-range - a)) / len;
    if (b > range) overflow += (c * (b - range)) / len;
    const lo = Math.max(a, -range);
    const hi = Math.min(b, range);
    const first = Math.min(bins - 1, Math.floor((lo + range) / width));
    const last = Math.min(bins - 1, Math.floor((hi + range) / width - 1e-12));
    for (let j = first; j <= last; j++) {
      const overlap = Math.min(hi, edges[j + 1]) - Math.max(lo, edges[j]);
      if (overlap > 0) counts[j] += (c * overlap) / len;
    }
  });
  return { edges, counts, underflow, overflow };
}

/** The x axis name of a signed-log histogram. */
export function signedLogAxisName(name: string): string {
  return `${name}, signed log scale: decades either side of 0`;
}

