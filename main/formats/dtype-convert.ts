// Exact upcasting of raw little-endian tensor bytes to Float32Array / Float64Array, shared by the
// safetensors and torch-zip readers. Hand-written because the conversions (IEEE half with
// subnormals, bfloat16 as the upper half of float32, 64-bit integers) are a few lines each and
// must be bit-exact against torch's `.float()` / `.double()`.
import type { DType } from '../../common/domain';

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Float32Array | null = null;

/** IEEE 754 binary16 -> number, exact (every half is representable in float32). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** All 65536 halves precomputed once: conversion becomes one table lookup per element. */
function getHalfTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToNumber(h);
  }
  return halfTable;
}

type FloatArray = Float32Array | Float64Array;

/** Largest element count read into one typed array (V8 allows 2^32 - 1; memory runs out first). */
export const MAX_ARRAY_ELEMENTS = 2 ** 32 - 1;

/**
 * Convert `count` elements of `dtype` stored little-endian in `bytes` (whose byteOffset must be a
 * multiple of the item size) to a float array of the requested precision.
 */
export function decodeElements(bytes: Uint8Array, dtype: DType, count: number, precision: 'f32' | 'f64'): FloatArray {
  const out: FloatArray = precision === 'f64' ? new Float64Array(count) : new Float32Array(count);
  decodeInto(bytes, dtype, count, out, 0);
  return out;
}

/** Elements per step of the BF16 -> float64 conversion (a small reused scratch, no garbage). */
const BF16_STEP = 1 << 14;
let bf16Scratch: Uint32Array | null = null;

/**
 * Like decodeElements, but into `out[at .. at + count)`: large tensors are decoded piece by piece
 * into their final array with no intermediate arrays, so reading creates no garbage.
 */
export function decodeInto(bytes: Uint8Array, dtype: DType, count: number, out: FloatArray, at: number): void {
  if (!hostIsLittleEndian) throw new Error('big-endian hosts are not supported by the tensor decoders');
  if (at < 0 || at + count > out.length) throw new RangeError(`decodeInto: ${count} elements at ${at} do not fit an array of ${out.length}`);
  const buf = bytes.buffer;
  const off = bytes.byteOffset;
  const dst = out.subarray(at, at + count);
  switch (dtype) {
    case 'F32': dst.set(new Float32Array(buf, off, count)); break;
    case 'F64': dst.set(new Float64Array(buf, off, count)); break; // f32 output rounds to nearest, as torch does
    case 'F16': {
      const src = new Uint16Array(buf, off, count);
      const table = getHalfTable();
      for (let i = 0; i < count; i++) dst[i] = table[src[i]];
      break;
    }
    case 'BF16': {
      const src = new Uint16Array(buf, off, count);
      if (dst instanceof Float32Array) {
        // bfloat16 is the upper half of a float32: write the bits straight into the output.
        const bits = new Uint32Array(dst.buffer, dst.byteOffset, count);
        for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
      } else {
        bf16Scratch ??= new Uint32Array(BF16_STEP);
        const wide = new Float32Array(bf16Scratch.buffer);
        for (let s = 0; s < count; s += BF16_STEP) {
          const n = Math.min(BF16_STEP, count - s);
          for (let i = 0; i < n; i++) bf16Scratch[i] = src[s + i] << 16;
          dst.set(wide.subarray(0, n), s);
        }
      }
      break;
    }
    case 'BOOL': {
      const src = new Uint8Array(buf, off, count);
      for (let i = 0; i < count; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      break;
    }
    case 'U8': dst.set(new Uint8Array(buf, off, count)); break;
    case 'I8': dst.set(new Int8Array(buf, off, count)); break;
    case 'I16': dst.set(new Int16Array(buf, off, count)); break;
    case 'U16': dst.set(new Uint16Array(buf, off, count)); break;
    case 'I32': dst.set(new Int32Array(buf, off, count)); break;
    case 'U32': dst.set(new Uint32Array(buf, off, count)); break;
    case 'I64': {
      const src = new BigInt64Array(buf, off, count);
      for (let i = 0; i < count; i++) dst[i] = Number(src[i]);
      break;
    }
    case 'U64': {
      const src = new BigUint64Array(buf, off, count);
      for (let i = 0; i < count; i++) dst[i] = Number(src[i]);
      break;
    }
    default: {
      const never: never = dtype;
      throw new Error(`unhandled dtype ${String(never)}`);
    }
  }
}

/** Element count of a shape; null when it is not a safe integer (overflow). */
export function checkedNumel(shape: readonly number[]): number | null {
  let n = 1n;
  for (const d of shape) n *= BigInt(d);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}
