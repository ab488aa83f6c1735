// Bit-identical twin of `synthetic()` in tools/make_metric_expectations.py: large test tensors
// generated from a counter hash (murmur3 fmix32) with integer ops and exactly rounded float64
// + - * /, so numpy and this file produce the same bits without storing the arrays.

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashUniform(i: number, seed: number): number {
  const h = fmix32((i + Math.imul(seed, 0x9e3779b9)) >>> 0);
  return (h + 0.5) / 4294967296;
}

export function synthetic(n: number, seed: number, offset: number, scale: number, dtype: 'f32' | 'f64'): Float32Array | Float64Array {
  const out = dtype === 'f32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = hashUniform(i, seed);
    s = s + hashUniform(i, seed + 1);
    s = s + hashUniform(i, seed + 2);
    s = s + hashUniform(i, seed + 3);
    s = s - 2.0;
    out[i] = offset + scale * s;
  }
  return out;
}
