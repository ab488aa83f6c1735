// The onnxruntime path of SVD directions (main/compute/directions.ts and directions/) against an independent naive
// float64 implementation written here: the pure-JS method the app used before (subspace iteration
// on W W^T with Rayleigh-Ritz and Gram-Schmidt, cyclic Jacobi, the exact OV route through a QR of
// W_O^h) and token lists from every logit, fully sorted. Token lists must be identical (both signs,
// same order) and singular values equal to 1e-10 relative, on small and medium synthetic blocks in
// the GPT-NeoX, GPT-2 and Llama (grouped-query) layouts, on unembeddings full of near-ties below
// float32's resolution, and on rank-deficient and non-finite inputs; and the unit itself
// (main/jobs/units/svd-directions.ts) on the bundled demo run's final checkpoint.
import { describe, expect, it } from 'vitest';
import { blockDirections } from '../../../main/compute/directions';
import { ovLeftSingularVectorsBatch, type HeadSlices } from '../../../main/compute/directions/ov';
import { topLeftSingularVectors } from '../../../main/compute/directions/subspace';
import { prepareUnembedding, tokenLists } from '../../../main/compute/directions/tokens';
import { choleskyUpper, invertUpper } from '../../../main/metrics/linear-algebra';
import type { ComponentDirections } from '../../../main/metrics/svd-directions';
import { gpt2HeadSlices } from '../../../main/architectures/gpt2';
import { gptNeoxHeadSlices } from '../../../main/architectures/gpt-neox';
import { llamaHeadSlices } from '../../../main/architectures/llama';

// ------------------------------------------------------------------ naive reference

function naiveJacobi(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] * m[i * n + i];
      for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [x, y] = [m[k * n + p], m[k * n + q]];
          m[k * n + p] = c * x - s * y;
          m[k * n + q] = s * x + c * y;
        }
        for (let k = 0; k < n; k++) {
          const [x, y] = [m[p * n + k], m[q * n + k]];
          m[p * n + k] = c * x - s * y;
          m[q * n + k] = s * x + c * y;
        }
        for (let k = 0; k < n; k++) {
          const [x, y] = [v[k * n + p], v[k * n + q]];
          v[k * n + p] = c * x - s * y;
          v[k * n + q] = s * x + c * y;
        }
      }
  }
  const order = [...Array(n).keys()].sort((i, j) => m[j * n + j] - m[i * n + i] || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = m[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}

const dotp = (a: Float64Array, b: Float64Array): number => a.reduce((s, x, i) => s + x * b[i], 0);

function naiveHash(len: number, seed: number): Float64Array {
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

/** Modified Gram-Schmidt, twice; returns R (m x m). Vanishing columns become hash vectors. */
function naiveMgs(cols: Float64Array[]): Float64Array {
  const m = cols.length;
  const r = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const col = cols[j];
    const original = Math.sqrt(dotp(col, col));
    for (let pass = 0; pass < 2; pass++)
      for (let i = 0; i < j; i++) {
        const c = dotp(cols[i], col);
        r[i * m + j] += c;
        for (let k = 0; k < col.length; k++) col[k] -= c * cols[i][k];
      }
    let norm = Math.sqrt(dotp(col, col));
    if (!(norm > 1e-13 * original) || norm === 0) {
      const fresh = naiveHash(col.length, j + 1000);
      for (let pass = 0; pass < 2; pass++)
        for (let i = 0; i < j; i++) {
          const c = dotp(cols[i], fresh);
          for (let k = 0; k < fresh.length; k++) fresh[k] -= c * cols[i][k];
        }
      col.set(fresh);
      norm = Math.sqrt(dotp(col, col));
      for (let k = 0; k < col.length; k++) col[k] /= norm;
      continue;
    }
    r[j * m + j] = norm;
    for (let k = 0; k < col.length; k++) col[k] /= norm;
  }
  return r;
}

interface NaiveSvd {
  vectors: Float64Array[];
  values: number[];
}

/** Subspace iteration on W W^T (explicit Gram or W (W^T Q)), Rayleigh-Ritz each step. */
function naiveTopLeft(w: ArrayLike<number>, rows: number, cols: number, k: number, formGram = true): NaiveSvd {
  const want = Math.min(k, rows, cols);
  const m = Math.min(rows, cols, want + 10);
  let c: Float64Array | null = null;
  if (formGram) {
    c = new Float64Array(rows * rows);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < rows; j++) {
        let s = 0;
        for (let t = 0; t < cols; t++) s += w[i * cols + t] * w[j * cols + t];
        c[i * rows + j] = s;
      }
  }
  const apply = (x: Float64Array): Float64Array => {
    const out = new Float64Array(rows);
    if (c) {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let t = 0; t < rows; t++) s += c[r * rows + t] * x[t];
        out[r] = s;
      }
      return out;
    }
    const z = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let t = 0; t < cols; t++) z[t] += x[r] * w[r * cols + t];
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let t = 0; t < cols; t++) s += w[r * cols + t] * z[t];
      out[r] = s;
    }
    return out;
  };
  let q = Array.from({ length: m }, (_, j) => naiveHash(rows, j));
  naiveMgs(q);
  let values: Float64Array = new Float64Array(m);
  let ritz = q;
  for (let it = 0; it < 200; it++) {
    const p = q.map(apply);
    const g = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = i; j < m; j++) g[i * m + j] = g[j * m + i] = 0.5 * (dotp(q[i], p[j]) + dotp(q[j], p[i]));
    const eig = naiveJacobi(g, m);
    values = eig.values;
    ritz = Array.from({ length: m }, () => new Float64Array(rows));
    const y = Array.from({ length: m }, () => new Float64Array(rows));
    for (let j = 0; j < m; j++)
      for (let i = 0; i < m; i++)
        for (let r = 0; r < rows; r++) {
          ritz[j][r] += eig.vectors[i * m + j] * q[i][r];
          y[j][r] += eig.vectors[i * m + j] * p[i][r];
        }
    let residual = 0;
    for (let j = 0; j < want; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += (y[j][r] - values[j] * ritz[j][r]) ** 2;
      residual = Math.max(residual, Math.sqrt(s) / Math.max(values[0], Number.MIN_VALUE));
    }
    if (residual <= 1e-10) break;
    naiveMgs(y);
    q = y;
  }
  return { vectors: ritz.slice(0, want), values: Array.from(values.subarray(0, want), (v) => Math.sqrt(Math.max(0, v))) };
}

/** Exact OV route: A = Q R by Gram-Schmidt, Jacobi on R (B B^T) R^T, u = Q v. */
function naiveOv(s: HeadSlices, d: number, k: number): NaiveSvd {
  const hd = s.headDim;
  const qa = Array.from({ length: hd }, (_, c) => Float64Array.from({ length: d }, (_, r) => s.wO[r * hd + c]));
  const ra = naiveMgs(qa);
  const g = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++)
    for (let j = 0; j < hd; j++) {
      let t = 0;
      for (let c = 0; c < d; c++) t += s.wV[i * d + c] * s.wV[j * d + c];
      g[i * hd + j] = t;
    }
  const sm = new Float64Array(hd * hd);
  for (let i = 0; i < hd; i++)
    for (let j = 0; j < hd; j++) {
      let t = 0;
      for (let a = 0; a < hd; a++) for (let b = 0; b < hd; b++) t += ra[i * hd + a] * g[a * hd + b] * ra[j * hd + b];
      sm[i * hd + j] = t;
    }
  for (let i = 0; i < hd; i++) for (let j = i + 1; j < hd; j++) sm[i * hd + j] = sm[j * hd + i] = 0.5 * (sm[i * hd + j] + sm[j * hd + i]);
  const eig = naiveJacobi(sm, hd);
  const want = Math.min(k, hd);
  const vectors = Array.from({ length: want }, (_, j) => {
    const u = new Float64Array(d);
    for (let i = 0; i < hd; i++) for (let r = 0; r < d; r++) u[r] += eig.vectors[i * hd + j] * qa[i][r];
    return u;
  });
  return { vectors, values: Array.from(eig.values.subarray(0, want), (v) => Math.sqrt(Math.max(0, v))) };
}

/** Every logit in float64, all ids sorted by sign * logit descending, ties to the lower id, NaN dropped. */
function naiveTokens(unembed: ArrayLike<number>, vocab: number, d: number, u: Float64Array, k: number, sign: 1 | -1): number[] {
  const all: [number, number][] = [];
  for (let t = 0; t < vocab; t++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += unembed[t * d + c] * u[c];
    if (s === s) all.push([sign * s, t]);
  }
  all.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  return all.slice(0, k).map((x) => x[1]);
}

// ------------------------------------------------------------------ synthetic weights

function gaussian(n: number, seed: number, scale: number): Float64Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(next() + 1e-300)) * Math.cos(2 * Math.PI * next());
  return out;
}

/** Float32 [rows, cols] noise plus planted rank-one terms s * a b^T (a, b unit), well separated. */
function planted(rows: number, cols: number, seed: number, values: number[], noise = 0.02): Float32Array {
  const w = gaussian(rows * cols, seed, noise);
  values.forEach((s, p) => {
    const a = gaussian(rows, seed * 31 + p + 1, 1);
    const b = gaussian(cols, seed * 37 + p + 1, 1);
    const na = Math.sqrt(dotp(a, a));
    const nb = Math.sqrt(dotp(b, b));
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] += (s * a[r] * b[c]) / (na * nb);
  });
  return Float32Array.from(w);
}

function expectSameLists(fast: ComponentDirections, naive: NaiveSvd, unembed: ArrayLike<number>, vocab: number, d: number, topK = 20): void {
  expect(fast.directions.length).toBe(naive.vectors.length);
  fast.directions.forEach((dir, i) => {
    expect(Math.abs(dir.singularValue - naive.values[i]) / naive.values[0]).toBeLessThan(1e-10);
    expect(dir.top).toEqual(naiveTokens(unembed, vocab, d, naive.vectors[i], topK, 1));
    expect(dir.bottom).toEqual(naiveTokens(unembed, vocab, d, naive.vectors[i], topK, -1));
  });
}

const decode = (id: number): string => `t${id}`;

// ------------------------------------------------------------------ tests

describe('fast SVD directions equal the naive float64 reference', () => {
  for (const size of [
    { name: 'small', d: 48, dff: 192, heads: 4, vocab: 2000 },
    { name: 'medium', d: 192, dff: 768, heads: 6, vocab: 12000 },
  ]) {
    it(`${size.name} GPT-NeoX block (d=${size.d}, d_ff=${size.dff}, ${size.heads} heads, V=${size.vocab}): token lists identical, singular values 1e-10`, async () => {
      const { d, dff, heads, vocab } = size;
      const hd = d / heads;
      const edge = 0.02 * (Math.sqrt(d) + Math.sqrt(dff));
      const w = planted(d, dff, 3, [4, 3.4, 2.9, 2.5, 2.1, 1.8].map((f) => f * edge));
      const qkv = planted(3 * d, d, 5, [1.5, 1.2]);
      const dense = planted(d, d, 7, [1.4]);
      const unembed = Float32Array.from(gaussian(vocab * d, 11, 0.02));
      const un = prepareUnembedding(unembed, vocab, d);
      const slices = Array.from({ length: heads }, (_, h) => ({ head: h, slices: gptNeoxHeadSlices(qkv, dense, d, heads, h) }));
      const comps = await blockDirections({ mlpOut: { w, dff }, heads: slices }, un, decode, { pieceElements: 64 * 1024 });
      expect(comps.map((c) => [c.component, c.head])).toEqual([['mlp.out', null], ...slices.map((s) => ['attn.ov', s.head])]);
      expectSameLists(comps[0], naiveTopLeft(w, d, dff, 30), unembed, vocab, d);
      comps.slice(1).forEach((c, h) => {
        expect(c.directions.length).toBe(Math.min(30, hd));
        expectSameLists(c, naiveOv(slices[h].slices, d, 30), unembed, vocab, d);
      });
      expect(comps[1].directions[0].topTokens).toEqual(comps[1].directions[0].top.map(decode));
    }, 120_000);
  }

  it('implicit operator W (W^T Q) (float32 and float64 weights) equals the naive one', async () => {
    const [d, dff] = [40, 150];
    const w = planted(d, dff, 13, [3, 2.5, 2, 1.6]);
    const naive = naiveTopLeft(w, d, dff, 30, false);
    for (const x of [w, Float64Array.from(w)]) {
      const fast = await topLeftSingularVectors(x, d, dff, 30, { formGram: false });
      fast.singularValues.forEach((s, i) => expect(Math.abs(s - naive.values[i]) / naive.values[0]).toBeLessThan(1e-10));
      fast.vectors.forEach((v, i) => {
        const sign = Math.sign(dotp(v, naive.vectors[i]));
        expect(sign).toBe(1);
        v.forEach((x2, r) => expect(Math.abs(x2 - naive.vectors[i][r])).toBeLessThan(1e-9));
      });
    }
  });

  it('a rank-deficient mlp.out (rank 5 < the 30 + 10 iteration vectors) equals the naive one', async () => {
    const [d, dff] = [48, 100];
    const w = planted(d, dff, 17, [5, 4, 3, 2, 1], 0);
    const fast = await topLeftSingularVectors(w, d, dff, 30);
    const naive = naiveTopLeft(w, d, dff, 30);
    // The 5 defined directions; the rest are numerically zero.
    for (let i = 0; i < 5; i++) {
      expect(Math.abs(fast.singularValues[i] - naive.values[i]) / naive.values[0]).toBeLessThan(1e-10);
      expect(Math.abs(dotp(fast.vectors[i], naive.vectors[i]))).toBeGreaterThan(1 - 1e-10);
    }
    for (let i = 5; i < 30; i++) expect(fast.singularValues[i]).toBeLessThan(1e-6);
  });

  it('GPT-2 (Conv1D layout) and Llama (grouped-query, heads * hd != d) heads equal the naive route', async () => {
    const d = 64;
    const vocab = 3000;
    const unembed = Float32Array.from(gaussian(vocab * d, 19, 0.02));
    const un = prepareUnembedding(unembed, vocab, d);
    // GPT-2: c_attn [d, 3d], c_proj [d, d]; mlp c_proj stored [d_ff, d] (transposed to [d, d_ff] by the unit).
    const cAttn = planted(d, 3 * d, 23, [1.3, 1.1]);
    const cProj = planted(d, d, 29, [1.2]);
    const gpt2 = Array.from({ length: 4 }, (_, h) => ({ head: h, slices: gpt2HeadSlices(cAttn, cProj, d, 4, h) }));
    // Llama: 8 heads of 12 sharing 2 kv heads.
    const [heads, kvHeads, hd] = [8, 2, 12];
    const vProj = planted(kvHeads * hd, d, 31, [1.5]);
    const oProj = planted(d, heads * hd, 37, [1.4, 1.0]);
    const llama = Array.from({ length: heads }, (_, h) => ({ head: h, slices: llamaHeadSlices(vProj, oProj, d, heads, kvHeads, hd, h) }));
    for (const layout of [gpt2, llama]) {
      const comps = await blockDirections({ heads: layout }, un, decode);
      comps.forEach((c, i) => expectSameLists(c, naiveOv(layout[i].slices, d, 30), unembed, vocab, d));
    }
  });

  it('rank-deficient and non-finite heads take the JS route and still equal the naive one', async () => {
    const d = 32;
    const hd = 8;
    const vocab = 1500;
    const unembed = Float32Array.from(gaussian(vocab * d, 41, 0.02));
    const un = prepareUnembedding(unembed, vocab, d);
    const good: HeadSlices = { wO: gaussian(d * hd, 43, 0.1), wV: gaussian(hd * d, 47, 0.1), headDim: hd };
    const repeated: HeadSlices = { wO: Float64Array.from(good.wO), wV: gaussian(hd * d, 53, 0.1), headDim: hd };
    for (let r = 0; r < d; r++) repeated.wO[r * hd + 3] = repeated.wO[r * hd + 1]; // column 3 = column 1
    const svds = await ovLeftSingularVectorsBatch([good, repeated], d, 30);
    [good, repeated].forEach((s, i) => {
      const naive = naiveOv(s, d, 30);
      svds[i].singularValues.forEach((v, j) => expect(Math.abs(v - naive.values[j]) / naive.values[0]).toBeLessThan(1e-10));
    });
    const comps = await blockDirections({ heads: [{ head: 0, slices: good }, { head: 1, slices: repeated }] }, un, decode);
    expectSameLists(comps[0], naiveOv(good, d, 30), unembed, vocab, d);
    // The repeated column leaves rank hd - 1: the last direction is arbitrary, the others are defined.
    const naive = naiveOv(repeated, d, 30);
    comps[1].directions.slice(0, hd - 1).forEach((dir, i) => {
      expect(dir.top).toEqual(naiveTokens(unembed, vocab, d, naive.vectors[i], 20, 1));
      expect(dir.bottom).toEqual(naiveTokens(unembed, vocab, d, naive.vectors[i], 20, -1));
    });
    const broken: HeadSlices = { wO: Float64Array.from(good.wO), wV: good.wV, headDim: hd };
    broken.wO[5] = NaN;
    const [nanHead] = await blockDirections({ heads: [{ head: 0, slices: broken }] }, un, decode);
    nanHead.directions.forEach((dir) => {
      expect(dir.singularValue).toBeNaN();
      expect(dir.top).toEqual([]);
      expect(dir.bottom).toEqual([]);
    });
  });

  it('a non-finite mlp.out has undefined directions: NaN singular values, no tokens', async () => {
    const [d, dff, vocab] = [16, 64, 500];
    const w = planted(d, dff, 59, [2]);
    w[100] = Infinity;
    const un = prepareUnembedding(Float32Array.from(gaussian(vocab * d, 61, 0.02)), vocab, d);
    const [comp] = await blockDirections({ mlpOut: { w, dff } }, un, decode);
    expect(comp.directions.length).toBe(16);
    expect(comp.converged).toBe(false);
    comp.directions.forEach((dir) => {
      expect(dir.singularValue).toBeNaN();
      expect(dir.top).toEqual([]);
      expect(dir.bottom).toEqual([]);
    });
  });
});

describe('token lists: the float32 pass with its error bound is exact', () => {
  /**
   * Unembedding whose top and bottom regions for direction u are clusters of near-equal logits:
   * rows c * u + 1e-9 noise (differences far below float32's resolution of the logits), exact
   * duplicates (ties, broken by the lower id), over N(0, 0.02^2) background rows.
   */
  function nearTies(vocab: number, d: number, u: Float64Array, seed: number): Float64Array {
    const un = gaussian(vocab * d, seed, 0.02);
    const tiny = gaussian(vocab * d, seed + 1, 1e-9);
    for (let t = 0; t < 120; t++) {
      const row = 7 + t * 13;
      const c = t % 2 === 0 ? 0.5 : -0.5;
      for (let j = 0; j < d; j++) un[row * d + j] = c * u[j] + tiny[row * d + j];
    }
    // Exact duplicates of two cluster rows, at higher ids.
    for (const [src, dst] of [[7, vocab - 3], [7 + 2 * 13, vocab - 2], [7 + 13, vocab - 1]] as const) un.copyWithin(dst * d, src * d, (src + 1) * d);
    return un;
  }

  for (const dtype of ['float32', 'float64'] as const) {
    it(`near-ties below float32 resolution and exact ties (${dtype} unembedding) rank as in float64`, async () => {
      const [vocab, d] = [4000, 96];
      const dirs = Array.from({ length: 5 }, (_, j) => {
        const v = gaussian(d, 71 + j, 1);
        const n = Math.sqrt(dotp(v, v));
        return v.map((x) => x / n);
      });
      const raw = nearTies(vocab, d, dirs[0], 73);
      const unembed = dtype === 'float32' ? Float32Array.from(raw) : raw;
      const lists = await tokenLists(dirs, prepareUnembedding(unembed, vocab, d), 20, { pieceElements: 20_000 });
      dirs.forEach((u, j) => {
        expect(lists[j].top).toEqual(naiveTokens(unembed, vocab, d, u, 20, 1));
        expect(lists[j].bottom).toEqual(naiveTokens(unembed, vocab, d, u, 20, -1));
      });
      // The cluster is the top: 60 near-equal logits, of which float64 picks 20.
      expect(lists[0].top.every((id) => (id - 7) % 13 === 0 || id >= vocab - 3)).toBe(true);
    });
  }

  it('NaN and Inf unembedding rows, NaN directions and K larger than the vocabulary follow topKIndices', async () => {
    const [vocab, d] = [300, 24];
    const unembed = Float32Array.from(gaussian(vocab * d, 79, 0.02));
    unembed[5 * d + 3] = NaN;
    unembed[9 * d + 1] = Infinity;
    unembed[11 * d + 2] = -Infinity;
    const u = gaussian(d, 83, 1);
    const nanDir = Float64Array.from(u);
    nanDir[0] = NaN;
    const un = prepareUnembedding(unembed, vocab, d);
    expect(un.badRows).toEqual([9, 11]); // row 5 has NaN: NaN logits, never listed
    const [a, b] = await tokenLists([u, nanDir], un, 20);
    expect(a.top).toEqual(naiveTokens(unembed, vocab, d, u, 20, 1));
    expect(a.bottom).toEqual(naiveTokens(unembed, vocab, d, u, 20, -1));
    expect(b).toEqual({ top: [], bottom: [] });
    const [all] = await tokenLists([u], prepareUnembedding(unembed.subarray(0, 12 * d), 12, d), 20);
    expect(all.top).toEqual(naiveTokens(unembed, 12, d, u, 20, 1));
    expect(all.top.length).toBe(11); // 12 ids, one NaN logit
    const allNan = prepareUnembedding(new Float32Array(vocab * d).fill(NaN), vocab, d);
    expect(allNan.badRows).toEqual([]);
    expect(await tokenLists([u], allNan, 20)).toEqual([{ top: [], bottom: [] }]);
  });
});

describe('small dense kernels', () => {
  it('choleskyUpper and invertUpper: R^T R = A, R R^-1 = I; null for an indefinite matrix', () => {
    const a = [4, 2, 0.4, 2, 5, 1, 0.4, 1, 3];
    const r = choleskyUpper(a, 3)!;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += r[k * 3 + i] * r[k * 3 + j];
        expect(s).toBeCloseTo(a[i * 3 + j], 14);
      }
    const x = invertUpper(r, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += r[i * 3 + k] * x[k * 3 + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 14);
      }
    expect(choleskyUpper([1, 2, 2, 1], 2)).toBeNull();
  });
});

describe('the svd-directions unit on the bundled demo run', () => {
  it('stores, for the final checkpoint, exactly the naive reference directions of every block (mlp.out and each head)', async () => {
    const { scanPaths } = await import('../../../main/layouts/scan');
    const { openCheckpoint } = await import('../../../main/formats');
    const { svdDirectionsUnit, SVD_TENSOR } = await import('../../../main/jobs/units/svd-directions');
    const { join } = await import('node:path');
    const demo = join(__dirname, '..', '..', '..', 'resources', 'demo', 'hub');
    const { runs } = await scanPaths([demo]);
    const run = runs[0];
    const config = run.config!;
    expect(config.family).toBe('gpt_neox');
    const final = run.checkpoints[run.checkpoints.length - 1];
    const task = {
      unit: 'svd-directions' as const,
      run: { id: run.id, family: run.family, config, tokenizerPath: run.tokenizerPath },
      checkpoint: final,
      init: run.checkpoints[0],
      prev: null,
      final,
      provider: 'cpu' as const,
      intraOpThreads: 1,
    };
    const results = await svdDirectionsUnit(task, () => {});
    const stored = (results.arrays[0].data as { directions: { component: string; block: number; head: number | null; index: number; singular_value: number; top: number[]; bottom: number[] }[] }).directions;
    expect(results.arrays[0].tensor).toBe(SVD_TENSOR);
    const src = await openCheckpoint(final.folder);
    try {
      const read = async (name: string): Promise<Float32Array> => Float32Array.from(await src.read(name, 'f32'));
      const d = config.hidden;
      const heads = config.heads;
      const unembed = await read('embed_out.weight');
      const vocab = unembed.length / d;
      let checked = 0;
      for (let b = 0; b < config.layers; b++) {
        const w = await read(`gpt_neox.layers.${b}.mlp.dense_4h_to_h.weight`);
        const qkv = await read(`gpt_neox.layers.${b}.attention.query_key_value.weight`);
        const dense = await read(`gpt_neox.layers.${b}.attention.dense.weight`);
        const refs: [string, number | null, NaiveSvd][] = [['mlp.out', null, naiveTopLeft(w, d, w.length / d, 30)]];
        for (let h = 0; h < heads; h++) refs.push(['attn.ov', h, naiveOv(gptNeoxHeadSlices(qkv, dense, d, heads, h), d, 30)]);
        for (const [component, head, ref] of refs) {
          const mine = stored.filter((x) => x.block === b && x.component === component && x.head === head);
          expect(mine.length).toBe(ref.vectors.length);
          mine.forEach((x, i) => {
            expect(x.index).toBe(i);
            expect(Math.abs(x.singular_value - ref.values[i]) / ref.values[0]).toBeLessThan(1e-10);
            expect(x.top).toEqual(naiveTokens(unembed, vocab, d, ref.vectors[i], 20, 1));
            expect(x.bottom).toEqual(naiveTokens(unembed, vocab, d, ref.vectors[i], 20, -1));
            checked++;
          });
        }
      }
      expect(checked).toBe(stored.length);
    } finally {
      await src.close();
    }
  }, 120_000);
});
