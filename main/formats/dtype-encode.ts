// The inverse of dtype-convert.ts for the one writer that stores model dtypes (`init-dist
// --write-checkpoint`, main/export/init-checkpoint.ts): float64 values -> little-endian bytes of
// a safetensors dtype, rounding to nearest-even as torch's `.to(dtype)` does (f16 via float32:
// a value is first rounded to float32, then to half, which is what torch does for a float32
// tensor; integers by Math.round). Hand-written: Node has no Float16Array yet and no npm package
// encodes bfloat16; it is a few lines each and dtype-convert.ts reads back exactly what is written
// (test/unit/readers/dtype-encode.test.ts).
import type { DType } from '../../common/domain';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bits -> IEEE binary16 bits, round to nearest even, overflow to Inf, NaN kept. */
export function floatToHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** float32 bits -> bfloat16 bits (upper half), round to nearest even, NaN kept quiet. */
export function floatToBf16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export const ENCODABLE: ReadonlySet<DType> = new Set<DType>(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL']);

/** Little-endian bytes of `values` stored as `dtype` (see ENCODABLE). */
export function encodeElements(values: ArrayLike<number>, dtype: DType): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case 'F64': return new Uint8Array(Float64Array.from(values).buffer);
    case 'F32': return new Uint8Array(Float32Array.from(values).buffer);
    case 'F16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = floatToHalfBits(values[i]);
      return new Uint8Array(out.buffer);
    }
    case 'BF16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = floatToBf16Bits(values[i]);
      return new Uint8Array(out.buffer);
    }
    case 'I64': return new Uint8Array(BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.round(values[i]))).buffer);
    case 'I32': return new Uint8Array(Int32Array.from({ length: n }, (_, i) => Math.round(values[i])).buffer);
    case 'I16': return new Uint8Array(Int16Array.from({ length: n }, (_, i) => Math.round(values[i])).buffer);
    case 'I8': return new Uint8Array(Int8Array.from({ length: n }, (_, i) => Math.round(values[i])).buffer);
    case 'U8': return Uint8Array.from({ length: n }, (_, i) => Math.round(values[i]));
    case 'BOOL': return Uint8Array.from({ length: n }, (_, i) => (values[i] ? 1 : 0));
    default: throw new Error(`no encoder for dtype ${dtype}`);
  }
}
