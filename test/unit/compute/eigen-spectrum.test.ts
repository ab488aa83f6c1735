/**
 * Full singular value spectra (gram.ts + eigen.ts) of the fixture matrices against numpy/torch
 * float64 SVD values (tools/make_spectrum_expectations.py), and the Gram matrix against a naive
 * float64 product.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gram, GramError, singularValues } from '../../../main/compute/gram';
import { eigenvaluesFromSingularValues, powerLawAlpha } from '../../../main/metrics/spectrum';

interface MatrixExpectation {
  name: string;
  file: string;
  rows: number;
  cols: number;
  singular_values: number[];
  powerlaw: { alpha: number; xmin: number; ks: number; n_tail: number } | null;
}
const fixtureDir = new URL('../../fixtures/spectrum/', import.meta.url);
const expectations = JSON.parse(readFileSync(fileURLToPath(new URL('expectations.json', fixtureDir)), 'utf8')) as {
  matrices: MatrixExpectation[];
};

function loadMatrix(m: MatrixExpectation): Float32Array {
  const bytes = readFileSync(fileURLToPath(new URL(m.file, fixtureDir)));
  const copy = new Uint8Array(bytes); // aligned copy
  return new Float32Array(copy.buffer, 0, m.rows * m.cols);
}

function naiveGram(W: Float32Array, rows: number, cols: number): Float64Array {
  const wide = rows <= cols;
  const n = wide ? rows : cols;
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (wide) for (let k = 0; k < cols; k++) s += W[i * cols + k] * W[j * cols + k];
      else for (let k = 0; k < rows; k++) s += W[k * cols + i] * W[k * cols + j];
      G[i * n + j] = s;
    }
  }
  return G;
}

describe('gram', () => {
  for (const m of expectations.matrices.filter((x) => x.rows * x.cols <= 60_000)) {
    it(`matches a naive float64 product for ${m.name}, whole and chunked`, async () => {
      const W = loadMatrix(m);
      const expected = naiveGram(W, m.rows, m.cols);
      const scale = Math.max(...expected.map(Math.abs));
      for (const chunkElements of [undefined, 7 * Math.min(m.rows, m.cols)]) {
        const G = await gram(W, m.rows, m.cols, { chunkElements, intraOpThreads: 1 });
        expect(G.length).toBe(expected.length);
        let worst = 0;
        for (let i = 0; i < G.length; i++) worst = Math.max(worst, Math.abs(G[i] - expected[i]));
        expect(worst / scale).toBeLessThan(1e-13);
      }
      // float64 input takes the graph without the Cast.
      const G64 = await gram(Float64Array.from(W), m.rows, m.cols, { intraOpThreads: 1 });
      for (let i = 0; i < G64.length; i += 97) expect(Math.abs(G64[i] - expected[i])).toBeLessThan(1e-13 * scale);
    });
  }

  for (const [rows, cols] of [
    [257, 301],
    [301, 258],
  ] as const) {
    it(`splits orders >= 256 into blocks correctly (${rows} x ${cols}, chunked)`, async () => {
      let state = 12345;
      const W = new Float32Array(rows * cols).map(() => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return state / 4294967296 - 0.5;
      });
      const expected = naiveGram(W, rows, cols);
      const G = await gram(W, rows, cols, { chunkElements: 257 * 77, intraOpThreads: 1 });
      let worst = 0;
      for (let i = 0; i < G.length; i++) worst = Math.max(worst, Math.abs(G[i] - expected[i]));
      expect(worst).toBeLessThan(1e-11);
    });
  }

  it('rejects inconsistent shapes', async () => {
    await expect(gram(new Float32Array(6), 2, 4)).rejects.toThrow(GramError);
    await expect(gram(new Float32Array(0), 0, 4)).rejects.toThrow(GramError);
  });
});

describe('singularValues', () => {
  for (const m of expectations.matrices) {
    it(`matches numpy/torch svdvals for ${m.name} (${m.rows} x ${m.cols})`, async () => {
      const W = loadMatrix(m);
      // Small chunks and a narrow band exercise chunking and several band-reduction panels.
      const s = await singularValues(W, m.rows, m.cols, { intraOpThreads: 1, chunkElements: 20_000, bandwidth: 8 });
      const expected = m.singular_values;
      expect(s.length).toBe(expected.length);
      const sMax = expected[0];
      let worst = 0;
      for (let i = 0; i < s.length; i++) worst = Math.max(worst, Math.abs(s[i] - expected[i]));
      // Gram route: abs error ~ eps s_max^2 / s_i; well-conditioned spectra are far better.
      expect(worst).toBeLessThanOrEqual(1e-7 * sMax);
      if (!m.name.startsWith('rank10')) expect(worst).toBeLessThanOrEqual(1e-9 * sMax);
      for (let i = 1; i < s.length; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
    });

    if (m.powerlaw && !m.name.startsWith('rank10')) {
      it(`gives the reference power-law fit from our own spectrum of ${m.name}`, async () => {
        const s = await singularValues(loadMatrix(m), m.rows, m.cols, { intraOpThreads: 1 });
        const fit = powerLawAlpha(eigenvaluesFromSingularValues(s))!;
        expect(fit.xmin / m.powerlaw!.xmin - 1).toBeLessThan(1e-8);
        expect(fit.nTail).toBe(m.powerlaw!.n_tail);
        expect(Math.abs(fit.alpha / m.powerlaw!.alpha - 1)).toBeLessThan(1e-6);
      });
    }
  }
});
