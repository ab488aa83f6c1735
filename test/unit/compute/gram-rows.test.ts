/**
 * Gram matrices and spectra of tall weights read chunk by chunk (main/compute/gram.ts gramOfRows,
 * used by the spectra unit for embeddings so it never holds them whole): the same sums in the same
 * order as gram() on the whole weight (identical bits), a naive float64 product, a reader that stops;
 * and the spectra unit (main/jobs/units/spectra.ts) on a real safetensors checkpoint, streamed
 * tall matrices against the whole-tensor path, a non-finite one skipped with a warning.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gram, gramChunkLength, gramIsFinite, gramOfRows, singularValues, singularValuesIfFinite } from '../../../main/compute/gram';
import { writeSafetensors } from '../../../main/formats/safetensors-write';
import { runSpectraUnit } from './spectra-task';

function lcgMatrix(rows: number, cols: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return new Float32Array(rows * cols).map(() => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296 - 0.5;
  });
}

const rowsOf = (W: Float32Array, cols: number, seen?: number[]) => async (row0: number, k: number) => {
  seen?.push(row0, k);
  return W.slice(row0 * cols, (row0 + k) * cols); // a copy, as a reader into its own buffer gives
};

describe('gramOfRows', () => {
  for (const [rows, cols] of [
    [301, 258],
    [97, 13],
  ] as const) {
    it(`equals gram() bit for bit and a naive float64 product (${rows} x ${cols}, chunked)`, async () => {
      const W = lcgMatrix(rows, cols, rows + cols);
      const opts = { chunkElements: 40 * cols, intraOpThreads: 1 };
      const seen: number[] = [];
      const streamed = await gramOfRows(rows, cols, rowsOf(W, cols, seen), opts);
      const whole = await gram(W, rows, cols, opts);
      expect(streamed).toEqual(whole);
      // Chunks of gramChunkLength rows, in order, covering every row once.
      const len = gramChunkLength(rows, cols, opts);
      expect(len).toBe(40);
      for (let i = 0; i < seen.length; i += 2) expect([seen[i], seen[i + 1]]).toEqual([(i / 2) * len, Math.min(len, rows - (i / 2) * len)]);
      expect(seen[seen.length - 2] + seen[seen.length - 1]).toBe(rows);
      let worst = 0;
      for (let i = 0; i < cols; i++) {
        for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let r = 0; r < rows; r++) s += W[r * cols + i] * W[r * cols + j];
          worst = Math.max(worst, Math.abs((streamed as Float64Array)[i * cols + j] - s));
        }
      }
      expect(worst).toBeLessThan(1e-11);
    });
  }

  it('returns null when the reader stops, and refuses wide weights', async () => {
    const W = lcgMatrix(60, 5, 3);
    const stopAt20 = async (row0: number, k: number) => (row0 >= 20 ? null : W.slice(row0 * 5, (row0 + k) * 5));
    expect(await gramOfRows(60, 5, stopAt20, { chunkElements: 50 })).toBeNull();
    await expect(gramOfRows(5, 60, rowsOf(W, 60))).rejects.toThrow(/tall weight/);
  });
});

describe('spectra unit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-spectra-rows-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams tall matrices with the same singular values as the whole-tensor path, and skips a non-finite one', async () => {
    const folder = join(dir, 'step_0');
    mkdirSync(folder);
    const embed = lcgMatrix(300, 40, 1); // tall: streamed
    const down = lcgMatrix(40, 120, 2); // wide: read whole
    const out = lcgMatrix(300, 40, 3);
    out[11111] = Number.NaN; // tall, non-finite (row 277)
    writeSafetensors(join(folder, 'model.safetensors'), {
      'gpt_neox.embed_in.weight': { dtype: 'F32', shape: [300, 40], data: embed },
      'gpt_neox.layers.0.mlp.dense_4h_to_h.weight': { dtype: 'F32', shape: [40, 120], data: down },
      'embed_out.weight': { dtype: 'F32', shape: [300, 40], data: out },
    });
    const { spectrum, warnings } = await runSpectraUnit(folder, 'F32');
    expect(spectrum('gpt_neox.embed_in.weight')).toEqual(await singularValues(embed, 300, 40, { intraOpThreads: 1 }));
    expect(spectrum('gpt_neox.layers.0.mlp.dense_4h_to_h.weight')).toEqual(await singularValues(down, 40, 120, { intraOpThreads: 1 }));
    expect(spectrum('embed_out.weight')).toBeUndefined();
    expect(warnings).toEqual(['embed_out.weight: non-finite values, spectrum skipped']);
  });
});

describe('non-finite weights found on the Gram diagonal (gramIsFinite)', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(`a ${bad} anywhere in a wide, square or tall weight gives null, a finite one its singular values`, async () => {
      for (const [rows, cols] of [
        [7, 31],
        [12, 12],
        [45, 9],
      ] as const) {
        const W = lcgMatrix(rows, cols, rows * cols);
        const good = await singularValuesIfFinite(W, rows, cols, { intraOpThreads: 1 });
        expect(good).toEqual(await singularValues(W, rows, cols, { intraOpThreads: 1 }));
        for (const at of [0, (rows * cols) >> 1, rows * cols - 1]) {
          const V = W.slice();
          V[at] = bad;
          expect(await singularValuesIfFinite(V, rows, cols, { intraOpThreads: 1 })).toBeNull();
          const n = Math.min(rows, cols);
          expect(gramIsFinite(await gram(V, rows, cols, { intraOpThreads: 1 }), n)).toBe(false);
          // The throwing entry point still refuses it, as before.
          await expect(singularValues(V, rows, cols, { intraOpThreads: 1 })).rejects.toThrow(/matrix entry/);
        }
      }
    });
  }

  it('float32 extremes square and sum to finite float64 (no false alarm)', async () => {
    const W = new Float32Array(64 * 4).fill(3.4e38);
    expect(gramIsFinite(await gram(W, 4, 64, { intraOpThreads: 1 }), 4)).toBe(true);
  });
});
