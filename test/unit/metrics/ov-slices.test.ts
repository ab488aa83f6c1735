// Per-head OV circuits of GPT-2 (Conv1D [in, out] storage) and Llama (grouped-query attention):
// the slices' product W_O^h W_V^h must equal the map x -> head h's attention-output contribution
// written out naively from each family's forward definition (value projection, then output
// projection of that head's slice).
import { describe, expect, it } from 'vitest';
import { gpt2HeadSlices } from '../../../main/architectures/gpt2';
import { llamaHeadSlices } from '../../../main/architectures/llama';

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  });
}

function product(wO: Float64Array, wV: Float64Array, d: number, hd: number): Float64Array {
  const m = new Float64Array(d * d);
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) {
    let s = 0;
    for (let k = 0; k < hd; k++) s += wO[r * hd + k] * wV[k * d + c];
    m[r * d + c] = s;
  }
  return m;
}

describe('OV head slices', () => {
  it('GPT-2: equals x -> (x c_attn[:, V_h]) c_proj[rows_h, :]', () => {
    const d = 6, heads = 3, hd = 2;
    const cAttn = random(d * 3 * d, 3);
    const cProj = random(d * d, 5);
    for (let h = 0; h < heads; h++) {
      const { wO, wV, headDim } = gpt2HeadSlices(cAttn, cProj, d, heads, h);
      expect(headDim).toBe(hd);
      const m = product(wO, wV, d, hd);
      for (let j = 0; j < d; j++) {
        // x = e_j: v = row j of c_attn restricted to head h's V columns (Conv1D: y = x W).
        const v = Array.from({ length: hd }, (_, k) => cAttn[j * 3 * d + 2 * d + h * hd + k]);
        for (let r = 0; r < d; r++) {
          let out = 0;
          for (let k = 0; k < hd; k++) out += v[k] * cProj[(h * hd + k) * d + r];
          expect(m[r * d + j]).toBeCloseTo(out, 12);
        }
      }
    }
  });

  it('Llama (GQA): head h reads kv head h / (heads / kvHeads)', () => {
    const d = 8, heads = 4, kvHeads = 2, hd = 2;
    const vProj = random(kvHeads * hd * d, 7);
    const oProj = random(d * heads * hd, 11);
    for (let h = 0; h < heads; h++) {
      const { wO, wV } = llamaHeadSlices(vProj, oProj, d, heads, kvHeads, hd, h);
      const m = product(wO, wV, d, hd);
      const kv = Math.floor(h / (heads / kvHeads));
      for (let j = 0; j < d; j++) {
        const v = Array.from({ length: hd }, (_, k) => vProj[(kv * hd + k) * d + j]); // v = W_v e_j
        for (let r = 0; r < d; r++) {
          let out = 0;
          for (let k = 0; k < hd; k++) out += oProj[r * heads * hd + h * hd + k] * v[k];
          expect(m[r * d + j]).toBeCloseTo(out, 12);
        }
      }
    }
  });

  it('refuses shapes that do not match the config', () => {
    expect(() => gpt2HeadSlices(new Float32Array(10), new Float32Array(36), 6, 3, 0)).toThrow(/c_attn/);
    expect(() => llamaHeadSlices(new Float32Array(32), new Float32Array(64), 8, 3, 2, 2, 0)).toThrow(/kv heads/);
  });
});
