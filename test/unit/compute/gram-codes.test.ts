/**
 * Gram matrices of float16 weights handed to onnxruntime as raw codes (main/compute/gram.ts: a
 * Uint16Array W or chunk is cast to float64 inside the graph) against the same weights decoded to
 * float32 by an independent decoder here: identical bits for wide, tall, square, chunked and
 * block-split products, subnormals, signed zeros and the float16 extremes included; and the
 * spectra unit (main/jobs/units/spectra.ts) on a real F16/BF16 safetensors checkpoint, whose
 * float16 tensors it reads as codes: every spectrum equal to the decoded path's, a non-finite
 * tensor skipped with a warning.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gram, gramOfRows, singularValues } from '../../../main/compute/gram';
import { runSpectraUnit } from './spectra-task';
import { decodeHalfCode, halfSafetensors } from '../readers/half-codes';


/** Pseudo-random finite float16 codes (LCG) with every exponent, subnormals and signed zeros. */
function randomCodes(count: number, seed: number): Uint16Array {
  let state = seed >>> 0;
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    let code = state >>> 16;
    if (((code >> 10) & 0x1f) === 0x1f) code &= 0xfbff; // no Inf/NaN: exponent 30 instead
    out[i] = code;
  }
  out[0] = 0x8000; // -0
  out[1] = 0x0001; // smallest subnormal
  out[2] = 0x7bff; // 65504
  return out;
}

const decoded = (codes: Uint16Array) => Float32Array.from(codes, (c) => decodeHalfCode(c, 'F16'));

describe('gram of float16 codes', () => {
  for (const [rows, cols, chunkElements] of [
    [9, 300, 9 * 64], // wide, column chunks gathered
    [300, 9, 9 * 64], // tall, row chunks
    [40, 40, undefined],
    [260, 700, 260 * 100], // wide, order >= 256: split into blocks
    [700, 260, 260 * 100], // tall, blocks, transposed chunks
  ] as const) {
    it(`equals the decoded float32 weight's Gram bit for bit (${rows} x ${cols})`, async () => {
      // Scaled codes: exponents up to 2^3 keep every Gram entry finite (no overflow to compare).
      const codes = randomCodes(rows * cols, rows * 7 + cols).map((c) => (((c >> 10) & 0x1f) > 18 ? c & 0x83ff : c));
      const opts = { intraOpThreads: 1, chunkElements };
      const fromCodes = await gram(codes, rows, cols, opts);
      expect(fromCodes).toEqual(await gram(decoded(codes), rows, cols, opts));
      if (rows > cols) {
        const streamed = await gramOfRows(rows, cols, async (r0, k) => codes.slice(r0 * cols, (r0 + k) * cols), { ...opts, codes: true });
        expect(streamed).toEqual(fromCodes);
      }
    });
  }

  it('refuses chunks of the wrong kind', async () => {
    const codes = randomCodes(60 * 5, 1);
    await expect(gramOfRows(60, 5, async (r0, k) => decoded(codes.slice(r0 * 5, (r0 + k) * 5)), { codes: true })).rejects.toThrow(/expected float16 codes/);
    await expect(gramOfRows(60, 5, async (r0, k) => codes.slice(r0 * 5, (r0 + k) * 5))).rejects.toThrow(/expected float32/);
  });
});


describe('spectra unit on float16 and bfloat16 weights', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-spectra-codes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads float16 as codes with the decoded path spectra, and skips a non-finite tensor', async () => {
    const folder = join(dir, 'step_0');
    mkdirSync(folder);
    const small = (codes: Uint16Array) => codes.map((c) => (c & 0x83ff) | 0x3000); // |w| in [2^-3, 2^-2)
    const embed = small(randomCodes(300 * 40, 11)); // tall: streamed by codes
    const down = small(randomCodes(40 * 120, 12)); // wide: read whole as codes
    const out = small(randomCodes(300 * 40, 13));
    out[11111] = 0x7c00; // +Inf in a tall tensor
    const bf = small(randomCodes(30 * 50, 14)); // BF16: the decoded float32 path
    writeFileSync(
      join(folder, 'model.safetensors'),
      halfSafetensors({
        'gpt_neox.embed_in.weight': { dtype: 'F16', shape: [300, 40], codes: embed },
        'gpt_neox.layers.0.mlp.dense_4h_to_h.weight': { dtype: 'F16', shape: [40, 120], codes: down },
        'gpt_neox.layers.0.mlp.dense_h_to_4h.weight': { dtype: 'BF16', shape: [30, 50], codes: bf },
        'embed_out.weight': { dtype: 'F16', shape: [300, 40], codes: out },
      }),
    );
    const { spectrum, warnings } = await runSpectraUnit(folder, 'F16');
    expect(spectrum('gpt_neox.embed_in.weight')).toEqual(await singularValues(decoded(embed), 300, 40, { intraOpThreads: 1 }));
    expect(spectrum('gpt_neox.layers.0.mlp.dense_4h_to_h.weight')).toEqual(await singularValues(decoded(down), 40, 120, { intraOpThreads: 1 }));
    const bfloat = Float32Array.from(bf, (c) => new Float32Array(new Uint32Array([c << 16]).buffer)[0]);
    expect(spectrum('gpt_neox.layers.0.mlp.dense_h_to_4h.weight')).toEqual(await singularValues(bfloat, 30, 50, { intraOpThreads: 1 }));
    expect(spectrum('embed_out.weight')).toBeUndefined();
    expect(warnings).toEqual(['embed_out.weight: non-finite values, spectrum skipped']);
  });
});
