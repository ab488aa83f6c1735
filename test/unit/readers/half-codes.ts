// Test helper (not a test): 16-bit float codes for the tests of the raw-code paths (readers'
// readCodes, the code census, Gram products of codes). An independent decoder written from the
// definitions (IEEE binary16: sign, 5-bit exponent, 10-bit fraction; bfloat16: the upper half of
// a float32), not main/formats/dtype-convert.ts, and a safetensors file of tensors given by codes
// through the one hand writer of the tests (make-big-hub.ts safetensorsBytes).
import { safetensorsBytes, type TinyTensor } from './make-big-hub';

export type HalfCodesDType = 'F16' | 'BF16';

/** IEEE binary16 or bfloat16 bits -> number. */
export function decodeHalfCode(code: number, dtype: HalfCodesDType): number {
  if (dtype === 'BF16') {
    const view = new DataView(new ArrayBuffer(4));
    view.setUint32(0, code * 65536);
    return view.getFloat32(0);
  }
  const sign = code >= 0x8000 ? -1 : 1;
  const e = Math.floor(code / 1024) % 32;
  const f = code % 1024;
  if (e === 31) return f ? NaN : sign * Infinity;
  return e === 0 ? sign * f * Math.pow(2, -24) : sign * (1024 + f) * Math.pow(2, e - 25);
}

/** A safetensors file of 16-bit float tensors given by their codes (little-endian). */
export function halfSafetensors(tensors: Record<string, { dtype: HalfCodesDType; shape: number[]; codes: Uint16Array }>): Uint8Array {
  const tiny: Record<string, TinyTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const data = new Uint8Array(2 * t.codes.length);
    const view = new DataView(data.buffer);
    t.codes.forEach((c, i) => view.setUint16(2 * i, c, true));
    tiny[name] = { dtype: t.dtype, shape: t.shape, data };
  }
  return safetensorsBytes(tiny);
}
