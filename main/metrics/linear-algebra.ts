// Small dense linear algebra on Float64Array (row-major) for SVD directions
// (main/metrics/svd-directions.ts, main/compute/directions/). Hand-written because no JS
// linear-algebra package gives a symmetric eigensolver with vectors on Float64Array.
// - symmetricEigen: cyclic Jacobi (small m x m and hd x hd problems).
// - orthonormalise: modified Gram-Schmidt, twice; vanishing columns are replaced by deterministic
//   hash vectors (rank-deficient matrices), hashVector: the deterministic start of the iteration.
// - choleskyUpper, invertUpper: the Cholesky QR of main/compute/directions/subspace.ts and ov.ts.

/**
 * Eigen-decomposition of a symmetric n x n matrix (row-major) by cyclic Jacobi; descending.
 * Rotation rule, sweep order and stopping test are the classic cyclic ones; the matrix is kept
 * exactly symmetric, so each rotation reads rows p and q (contiguous) once and writes rows and
 * columns p, q, and the eigenvector matrix is stored transposed so its update is contiguous too
 * (faster in V8 than updating columns, rows and vectors in three strided passes: BENCHMARKS.md,
 * "Measurements behind design choices").
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const avg = 0.5 * (m[i * n + j] + m[j * n + i]);
      m[i * n + j] = avg;
      m[j * n + i] = avg;
    }
  // vt: row j = eigenvector j (the transpose of the usual column layout).
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      const rp = p * n;
      for (let q = p + 1; q < n; q++) {
        const rq = q * n;
        const apq = m[rp + q];
        if (apq === 0) continue;
        const app = m[rp + p];
        const aqq = m[rq + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // Off-block entries: J^T M J changes rows/columns p and q only (three ranges of k, no
        // branch in the loop).
        rotateOffBlock(m, n, p, q, c, s, 0, p);
        rotateOffBlock(m, n, p, q, c, s, p + 1, q);
        rotateOffBlock(m, n, p, q, c, s, q + 1, n);
        // The 2 x 2 block (column rotation, then row rotation, as J^T (M J)).
        const pp1 = c * app - s * apq;
        const pq1 = s * app + c * apq;
        const qp1 = c * apq - s * aqq;
        const qq1 = s * apq + c * aqq;
        m[rp + p] = c * pp1 - s * qp1;
        m[rq + q] = s * pq1 + c * qq1;
        const offPq = 0.5 * (c * pq1 - s * qq1 + (s * pp1 + c * qp1));
        m[rp + q] = offPq;
        m[rq + p] = offPq;
        for (let k = 0; k < n; k++) {
          const vkp = vt[rp + k];
          const vkq = vt[rq + k];
          vt[rp + k] = c * vkp - s * vkq;
          vt[rq + k] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => m[j * n + j] - m[i * n + i] || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = vt[src * n + k];
  });
  return { values, vectors };
}

/** Rows p, q and columns p, q of a symmetric matrix under a Jacobi rotation, for k in [from, to). */
function rotateOffBlock(m: Float64Array, n: number, p: number, q: number, c: number, s: number, from: number, to: number): void {
  const rp = p * n;
  const rq = q * n;
  for (let k = from; k < to; k++) {
    const mpk = m[rp + k];
    const mqk = m[rq + k];
    const np = c * mpk - s * mqk;
    const nq = s * mpk + c * mqk;
    m[rp + k] = np;
    m[rq + k] = nq;
    m[k * n + p] = np;
    m[k * n + q] = nq;
  }
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function hashVector(len: number, seed: number): Float64Array {
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    let h = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(seed + 1, 0x85ebca6b)) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b);
    h ^= h >>> 16;
    out[i] = (h >>> 0) / 4294967296 - 0.5;
  }
  return out;
}

/**
 * Orthonormalises columns in place (modified Gram-Schmidt, two passes). Returns R's diagonal
 * and full upper triangle (row-major m x m). Columns that vanish are replaced by deterministic
 * vectors orthogonal to the others (their R entries are 0).
 */
export function orthonormalise(cols: Float64Array[]): Float64Array {
  const m = cols.length;
  const r = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const col = cols[j];
    const original = Math.sqrt(dot(col, col));
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const c = dot(cols[i], col);
        r[i * m + j] += c;
        const qi = cols[i];
        for (let k = 0; k < col.length; k++) col[k] -= c * qi[k];
      }
    }
    let norm = Math.sqrt(dot(col, col));
    if (!(norm > 1e-13 * original) || norm === 0) {
      // Rank deficient: any unit vector orthogonal to the previous ones will do.
      r[j * m + j] = 0;
      const fresh = hashVector(col.length, j + 1000);
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i < j; i++) {
          const c = dot(cols[i], fresh);
          const qi = cols[i];
          for (let k = 0; k < fresh.length; k++) fresh[k] -= c * qi[k];
        }
      }
      col.set(fresh);
      norm = Math.sqrt(dot(col, col));
      for (let k = 0; k < col.length; k++) col[k] /= norm;
      continue;
    }
    r[j * m + j] = norm;
    for (let k = 0; k < col.length; k++) col[k] /= norm;
  }
  return r;
}

/**
 * Upper-triangular R with R^T R = A for a symmetric positive definite n x n A (row-major), or null
 * when a pivot is not positive and finite (A singular, indefinite or not finite).
 */
export function choleskyUpper(a: ArrayLike<number>, n: number): Float64Array | null {
  const r = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j];
    for (let k = 0; k < j; k++) s -= r[k * n + j] * r[k * n + j];
    if (!(s > 0) || !Number.isFinite(s)) return null;
    const rjj = Math.sqrt(s);
    r[j * n + j] = rjj;
    for (let i = j + 1; i < n; i++) {
      let t = a[j * n + i];
      for (let k = 0; k < j; k++) t -= r[k * n + j] * r[k * n + i];
      r[j * n + i] = t / rjj;
    }
  }
  return r;
}

/** Inverse of an upper-triangular n x n matrix with nonzero diagonal (row-major; upper result). */
export function invertUpper(r: ArrayLike<number>, n: number): Float64Array {
  const x = new Float64Array(n * n);
  // Column j of X solves R x = e_j by back substitution (x is zero below row j).
  for (let j = 0; j < n; j++) {
    x[j * n + j] = 1 / r[j * n + j];
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r[i * n + k] * x[k * n + j];
      x[i * n + j] = -s / r[i * n + i];
    }
  }
  return x;
}
