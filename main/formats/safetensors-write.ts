// Writing a safetensors file (the one format this project writes; used by `init-dist`). The
// layout is the reference's: 8-byte little-endian header length, a JSON header mapping each
// tensor to {dtype, shape, data_offsets} plus an optional `__metadata__` of string -> string,
// padded with spaces to a multiple of 8 so the data buffer is aligned, then the tensors' bytes
// back to back in header order. Hand-written: the npm packages for safetensors read only, and
// this is 30 lines; main/formats/safetensors.ts reads what it writes (test/integration/init-dist.test.ts).
import { writeFileSync } from 'node:fs';

export interface OutTensor {
  dtype: 'F64' | 'F32' | 'I64';
  shape: number[];
  data: Float64Array | Float32Array | BigInt64Array;
}

export function safetensorsFileBytes(tensors: Record<string, OutTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) throw new Error(`safetensors writer: ${name} has ${t.data.length} elements for shape [${t.shape}]`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const padded = Math.ceil(jsonBytes.length / 8) * 8;
  json += ' '.repeat(padded - jsonBytes.length);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + padded;
  // Typed arrays are little-endian on every platform Node runs this project on (x64, arm64).
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export function writeSafetensors(path: string, tensors: Record<string, OutTensor>, metadata: Record<string, string> = {}): void {
  writeFileSync(path, safetensorsFileBytes(tensors, metadata));
}
