// Embedding correlation (DOMAIN.md): Pearson correlation between rows r0..r1-1 of the input
// embedding [rows, cols] (default tokens 0..255), in float64, plus an ordering of those rows
// that reveals clusters for the heatmap's "reorder" option.
//
// Correlation: each row is centred (two-pass mean) and scaled to unit norm in float64, then
// C[i][j] = <z_i, z_j>, clipped to [-1, 1] like numpy.corrcoef; the diagonal is exactly 1.
// A row that is constant or contains a non-finite value has no defined correlation: its row
// and column are NaN (as numpy gives for a constant row); callers show NaN as "no data".
//
// Cluster order: average-linkage (UPGMA) agglomerative clustering on the distance 1 - C
// (NaN distances count as 1, "uncorrelated"), built with the nearest-neighbour-chain algorithm
// (O(n^2) time and memory, exact for average linkage, ties broken by the lower row index, so the
// result is deterministic). Leaves are ordered by the dendrogram; at each merge the two child
// orders are flipped (4 choices) to put the most similar pair of leaves at the junction, a
// greedy, bottom-up version of optimal leaf ordering that keeps neighbouring clusters related.
// Hand-written because no npm package does this on a plain Float64Array without heavy deps.
import { MetricInputError, type NumericArray } from './moments';

/** Pearson correlation matrix of rows r0..r1-1, row-major, (r1-r0)^2 entries. */
export function embeddingCorrelation(
  embed: NumericArray,
  rows: number,
  cols: number,
  r0 = 0,
  r1 = 256,
): Float64Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || embed.length !== rows * cols) {
    throw new MetricInputError('embedding.ts', `embedding has ${embed.length} values, not ${rows} x ${cols}`);
  }
  if (!Number.isInteger(r0) || !Number.isInteger(r1) || r0 < 0 || r1 > rows || r0 >= r1) {
    throw new MetricInputError('embedding.ts', `row range [${r0}, ${r1}) is not inside [0, ${rows})`);
  }
  const n = r1 - r0;
  const z = new Float64Array(n * cols);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const base = (r0 + i) * cols;
    let sum = 0;
    let finite = true;
    for (let c = 0; c < cols; c++) {
      const v = embed[base + c];
      if (v - v !== 0) finite = false;
      sum += v;
    }
    if (!finite) continue;
    let mean = sum / cols;
    let s1 = 0;
    for (let c = 0; c < cols; c++) s1 += embed[base + c] - mean;
    mean += s1 / cols;
    let ss = 0;
    const out = i * cols;
    for (let c = 0; c < cols; c++) {
      const d = embed[base + c] - mean;
      z[out + c] = d;
      ss += d * d;
    }
    if (!(ss > 0)) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let c = 0; c < cols; c++) z[out + c] *= inv;
    valid[i] = 1;
  }
  const corr = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    if (!valid[i]) {
      for (let j = 0; j < n; j++) corr[i * n + j] = corr[j * n + i] = NaN;
      continue;
    }
    corr[i * n + i] = 1;
    const zi = i * cols;
    for (let j = i + 1; j < n; j++) {
      if (!valid[j]) continue;
      const zj = j * cols;
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += z[zi + c] * z[zj + c];
      const v = dot > 1 ? 1 : dot < -1 ? -1 : dot;
      corr[i * n + j] = v;
      corr[j * n + i] = v;
    }
  }
  return corr;
}

export interface LinkageMerge {
  /** Leaves (row indices within the matrix) of the two merged clusters. */
  left: number[];
  right: number[];
  /** Average-linkage distance (mean of 1 - C over the cross pairs) at which they merge. */
  height: number;
}

export interface Linkage {
  merges: LinkageMerge[];
  order: number[];
}

/** Average-linkage clustering of an n x n correlation matrix (see the file header). */
export function averageLinkage(matrix: ArrayLike<number>, n: number): Linkage {
  if (!Number.isInteger(n) || n < 0 || matrix.length !== n * n) {
    throw new MetricInputError('embedding.ts', `matrix has ${matrix.length} values, not ${n} x ${n}`);
  }
  const leafDist = (a: number, b: number): number => {
    const c = matrix[a * n + b];
    return c === c ? 1 - c : 1;
  };
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = i === j ? 0 : leafDist(i, j);
  const size = new Array<number>(n).fill(1);
  const active = new Uint8Array(n).fill(1);
  const orders: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const merges: LinkageMerge[] = [];
  let remaining = n;
  const chain: number[] = [];
  while (remaining > 1) {
    if (chain.length === 0) {
      let first = 0;
      while (!active[first]) first++;
      chain.push(first);
    }
    const a = chain[chain.length - 1];
    const prev = chain.length >= 2 ? chain[chain.length - 2] : -1;
    // Nearest active neighbour; ties prefer the previous chain element, then the lower index.
    let best = prev;
    let bestD = prev >= 0 ? d[a * n + prev] : Infinity;
    for (let k = 0; k < n; k++) {
      if (!active[k] || k === a) continue;
      const v = d[a * n + k];
      if (v < bestD) {
        bestD = v;
        best = k;
      }
    }
    if (best !== prev) {
      chain.push(best);
      continue;
    }
    chain.pop();
    chain.pop();
    const keep = Math.min(a, best);
    const gone = Math.max(a, best);
    const ni = size[keep];
    const nj = size[gone];
    for (let k = 0; k < n; k++) {
      if (!active[k] || k === keep || k === gone) continue;
      const v = (ni * d[keep * n + k] + nj * d[gone * n + k]) / (ni + nj);
      d[keep * n + k] = v;
      d[k * n + keep] = v;
    }
    merges.push({ left: orders[keep].slice(), right: orders[gone].slice(), height: bestD });
    orders[keep] = joinOrders(orders[keep], orders[gone], leafDist);
    size[keep] = ni + nj;
    active[gone] = 0;
    remaining--;
  }
  let root = 0;
  while (root < n && !active[root]) root++;
  return { merges, order: n === 0 ? [] : orders[root] };
}

/** Concatenates two leaf orders, flipping either to make the junction pair most similar. */
function joinOrders(a: number[], b: number[], dist: (x: number, y: number) => number): number[] {
  const aFirst = a[0];
  const aLast = a[a.length - 1];
  const bFirst = b[0];
  const bLast = b[b.length - 1];
  const options: [number, boolean, boolean][] = [
    [dist(aLast, bFirst), false, false],
    [dist(aLast, bLast), false, true],
    [dist(aFirst, bFirst), true, false],
    [dist(aFirst, bLast), true, true],
  ];
  let best = options[0];
  for (const o of options) if (o[0] < best[0]) best = o;
  const left = best[1] ? a.slice().reverse() : a;
  const right = best[2] ? b.slice().reverse() : b;
  return left.concat(right);
}

/** A permutation of 0..n-1 that puts clustered rows next to each other (see the header). */
export function clusterOrder(matrix: ArrayLike<number>, n: number): number[] {
  return averageLinkage(matrix, n).order;
}
