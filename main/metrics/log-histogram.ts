// Sign-symmetric logarithmic bin edges for activation and gradient histograms. Their bins must be
// identical for every checkpoint (frames comparable) and known before the first forward pass, and
// residual streams span many orders of magnitude (the study's outliers reach 100-1000x the bulk),
// so the edges are fixed a priori rather than derived from a pass over the run: magnitudes from
// `minMag` to `maxMag`, `perDecade` bins per decade on each side of zero, one central bin
// [-minMag, minMag], and under/overflow beyond +-maxMag. Every run shares them, so runs compare too.

export function logSymmetricEdges(minMag: number, maxMag: number, perDecade: number): Float64Array {
  if (!(minMag > 0 && maxMag > minMag && Number.isInteger(perDecade) && perDecade > 0)) {
    throw new RangeError(`log-symmetric edges need 0 < minMag < maxMag and an integer perDecade > 0`);
  }
  const decades = Math.log10(maxMag / minMag);
  const n = Math.round(decades * perDecade);
  const positive: number[] = [];
  for (let i = 0; i <= n; i++) positive.push(minMag * Math.pow(10, (i * decades) / n));
  const edges = new Float64Array(2 * positive.length);
  for (let i = 0; i < positive.length; i++) {
    edges[positive.length - 1 - i] = -positive[i];
    edges[positive.length + i] = positive[i];
  }
  return edges;
}

/** Residual stream / MLP activations: 1e-4 .. 1e5, 10 bins per decade. */
export const ACTIVATION_EDGES = logSymmetricEdges(1e-4, 1e5, 10);
/** Gradients are many orders smaller: 1e-12 .. 1e2, 6 bins per decade. */
export const GRADIENT_EDGES = logSymmetricEdges(1e-12, 1e2, 6);
