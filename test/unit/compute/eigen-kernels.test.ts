/**
 * Stage 1's panel factorisation in WebAssembly (main/compute/eigen/kernels.wat `factor`, used by
 * main/compute/eigen/band.ts) against the JavaScript it replaced (reference/factor-panel-before.ts):
 * the same reflectors, taus, T and R bit for bit on random panels (tall, short, m < b, odd and even
 * lengths, zero columns for the tau = 0 branch); and the reflectors' defining identity
 * (I - V T V^T)^T P = [R; 0] checked in plain float64 arithmetic; and reductions that interleave
 * (each awaits onnxruntime between panels) each on its own instance, as if run one by one.
 */
import { describe, expect, it } from 'vitest';
import { symmetricEigenvalues } from '../../../main/compute/eigen';
import { eigenKernels } from '../../../main/compute/eigen/wasm';
import { factorPanel } from './reference/factor-panel-before';

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296 - 0.5;
  };
}

/** Runs the WebAssembly kernel on the m x b panel given row-major; returns its outputs as copies. */
function wasmFactor(rowsMajor: Float64Array, m: number, b: number) {
  const at = { cur: 0, panel: m * b, vt: 2 * m * b, v: 3 * m * b, tau: 3 * m * b + m + b, T: 3 * m * b + m + 2 * b };
  const dots = at.T + b * b;
  const k = eigenKernels(dots + b);
  const mem = new Float64Array(k.memory.buffer);
  mem.set(rowsMajor, at.cur);
  k.factor(m, b, at.cur, at.panel, at.vt, at.v, at.tau, at.T, dots);
  return {
    panel: mem.slice(at.panel, at.panel + m * b),
    vt: mem.slice(at.vt, at.vt + m * b),
    tau: mem.slice(at.tau, at.tau + b),
    T: mem.slice(at.T, at.T + b * b),
  };
}

describe('panel factorisation in WebAssembly', () => {
  for (const [m, b, zeroCols] of [
    [752, 16, []],
    [17, 16, []],
    [9, 16, []],
    [101, 7, [2]],
    [64, 4, [0, 3]],
    [5, 1, []],
  ] as const) {
    it(`equals the JavaScript version bit for bit (m = ${m}, b = ${b}${zeroCols.length ? ', zero columns' : ''})`, () => {
      const rnd = lcg(m * 17 + b);
      const rows = new Float64Array(m * b).map((_, i) => ((zeroCols as readonly number[]).includes(i % b) ? 0 : rnd()));
      const got = wasmFactor(rows, m, b);
      // The reference: its panel column-major, R written into a band store at global index 0.
      const work = {
        panel: new Float64Array(m * b),
        vt: new Float64Array(m * b),
        v: new Float64Array(m + b),
        tauAll: new Float64Array(b),
        T: new Float64Array(b * b),
        dots: new Float64Array(b),
      };
      for (let r = 0; r < m; r++) for (let c = 0; c < b; c++) work.panel[c * m + r] = rows[r * b + c];
      const ld = 2 * b + 1;
      const band = new Float64Array((m + 2 * b) * ld);
      factorPanel(work, m, b, band, ld, 0);
      expect(got.vt).toEqual(work.vt);
      expect(got.tau).toEqual(work.tauAll);
      expect(got.T).toEqual(work.T);
      for (let c = 0; c < b; c++) for (let i = 0; i <= Math.min(c, m - 1); i++) expect(got.panel[c * m + i]).toBe(band[c * ld + (b + i - c)]);
      // (I - V T V^T)^T P = Q^T P has R above the diagonal and zeros below it.
      const V = (r: number, c: number) => got.vt[c * m + r];
      let worst = 0;
      let scale = 0;
      for (let c = 0; c < b; c++) {
        const p = Float64Array.from({ length: m }, (_, r) => rows[r * b + c]);
        for (const x of p) scale = Math.max(scale, Math.abs(x));
        const vtp = Float64Array.from({ length: b }, (_, j) => p.reduce((acc, x, r) => acc + V(r, j) * x, 0));
        const ttv = Float64Array.from({ length: b }, (_, i) => vtp.reduce((acc, x, j) => acc + got.T[j * b + i] * x, 0)); // T^T V^T p
        for (let r = 0; r < m; r++) {
          const q = p[r] - ttv.reduce((acc, x, i) => acc + V(r, i) * x, 0);
          const want = r <= c ? got.panel[c * m + r] : 0;
          worst = Math.max(worst, Math.abs(q - want));
        }
      }
      expect(worst).toBeLessThan(1e-13 * Math.max(scale, 1) * m);
    });
  }
});

describe('interleaved reductions', () => {
  it('give the same eigenvalues together as one by one', async () => {
    const grams = [90, 120, 75].map((n, k) => {
      const rnd = lcg(k + 3);
      const W = Float64Array.from({ length: n * n }, rnd);
      const G = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let r = 0; r < n; r++) G[i * n + j] += W[r * n + i] * W[r * n + j];
      return { G, n };
    });
    const opts = { bandwidth: 4, intraOpThreads: 1 };
    const alone: Float64Array[] = [];
    for (const { G, n } of grams) alone.push(await symmetricEigenvalues(G, n, opts));
    const together = await Promise.all(grams.map(({ G, n }) => symmetricEigenvalues(G, n, opts)));
    expect(together).toEqual(alone);
  });
});
