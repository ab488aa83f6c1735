// Encoding of array results (histograms, spectra, correlation matrices, QQ points) for the cache
// and for the API. Large numeric arrays travel as base64 of little-endian Float32/Float64 bytes
// ({"$f32": "..."} / {"$f64": "..."}) instead of JSON number lists: a 256 x 256 correlation
// frame is 350 KB instead of ~1.2 MB, and decoding is a copy, not a parse. Everything else is
// plain JSON. Both main and renderer use these two functions, so a frame reads the same everywhere.

type Encoded = { $f32: string } | { $f64: string };

function toBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  if (typeof Buffer !== 'undefined') {
    const buf = Buffer.from(b64, 'base64');
    // copy into a fresh, aligned buffer so typed views over it are valid
    return new Uint8Array(buf);
  }
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** JSON text of a frame; Float32Array / Float64Array become base64 blocks. */
export function encodeFrame(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Float32Array) return { $f32: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    if (v instanceof Float64Array) return { $f64: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    return v;
  });
}

/** Inverse of encodeFrame's base64 blocks on an already parsed JSON value. */
export function decodeFrame<T = unknown>(value: unknown): T {
  return revive(value) as T;
}

function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof (o as Partial<Encoded> & { $f32?: unknown }).$f32 === 'string') {
      const bytes = fromBase64(o.$f32 as string);
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    }
    if (typeof (o as { $f64?: unknown }).$f64 === 'string') {
      const bytes = fromBase64(o.$f64 as string);
      return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    }
    // Keys may come from files (tensor names): defined as own properties, so "__proto__" stays a
    // key instead of replacing the prototype.
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) Object.defineProperty(out, k, { value: revive(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}
