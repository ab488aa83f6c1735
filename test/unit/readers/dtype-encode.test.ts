// main/formats/dtype-encode.ts round-trips through the readers' decoder (dtype-convert.ts): every
// one of the 65536 half and bfloat16 bit patterns encodes back to itself from its decoded value,
// and float64 values round to the nearest representable half / bfloat16 (ties to even).
import { describe, expect, it } from 'vitest';
import { decodeElements, halfToNumber } from '../../../main/formats/dtype-convert';
import { encodeElements, floatToBf16Bits, floatToHalfBits } from '../../../main/formats/dtype-encode';

const bf16ToNumber = (b: number): number => new Float32Array(new Uint32Array([b << 16]).buffer)[0];

describe('dtype encoding', () => {
  it('every half and bfloat16 pattern survives decode -> encode (NaNs stay NaN)', () => {
    for (let h = 0; h < 65536; h++) {
      const v = halfToNumber(h);
      if (Number.isNaN(v)) expect(Number.isNaN(halfToNumber(floatToHalfBits(v)))).toBe(true);
      else expect(floatToHalfBits(v)).toBe(h);
      const b = bf16ToNumber(h);
      if (Number.isNaN(b)) expect(Number.isNaN(bf16ToNumber(floatToBf16Bits(b)))).toBe(true);
      else expect(floatToBf16Bits(b)).toBe(h);
    }
  });

  it('rounds to nearest, ties to even; overflow to infinity; tiny to zero', () => {
    expect(halfToNumber(floatToHalfBits(1 + 2 ** -11))).toBe(1); // tie -> even mantissa (1.0)
    expect(halfToNumber(floatToHalfBits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie -> even (up)
    expect(halfToNumber(floatToHalfBits(1 + 2 ** -11 + 2 ** -20))).toBe(1 + 2 ** -10);
    expect(halfToNumber(floatToHalfBits(70000))).toBe(Infinity);
    expect(halfToNumber(floatToHalfBits(-1e-9))).toBe(-0);
    expect(halfToNumber(floatToHalfBits(3 * 2 ** -25))).toBe(2 * 2 ** -24); // subnormal tie -> even
    expect(bf16ToNumber(floatToBf16Bits(1 + 2 ** -8))).toBe(1);
    expect(bf16ToNumber(floatToBf16Bits(1 + 3 * 2 ** -8))).toBe(1 + 2 ** -6);
  });

  it('decodes back what it encodes for every dtype', () => {
    const floats = [0, 1, -2, 3.5, -0.25, 100, 7];
    for (const dtype of ['F64', 'F32', 'F16', 'BF16'] as const) expect(Array.from(decodeElements(encodeElements(floats, dtype), dtype, 7, 'f64'))).toEqual(floats);
    const ints = [0, 1, -2, 3, -100, 100, 7];
    for (const dtype of ['I64', 'I32', 'I16', 'I8'] as const) expect(Array.from(decodeElements(encodeElements(ints, dtype), dtype, 7, 'f64'))).toEqual(ints);
    expect(Array.from(decodeElements(encodeElements([2.4, 2.6], 'U8'), 'U8', 2, 'f64'))).toEqual([2, 3]);
    expect(Array.from(decodeElements(encodeElements([0, 1, 1], 'BOOL'), 'BOOL', 3, 'f64'))).toEqual([0, 1, 1]);
  });
});
