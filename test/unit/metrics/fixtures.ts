// Loads the fixtures written by tools/make_metric_expectations.py: raw little-endian arrays and
// expected.json (reference values from numpy/scipy/torch). Test-side only (uses node:fs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, '..', '..', 'fixtures', 'metrics');

interface ArrayEntry {
  file: string;
  dtype: 'f32' | 'f64';
  shape: number[];
}

export type Json = any;

const manifest = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  arrays: Record<string, ArrayEntry>;
  expected: Record<string, Json>;
};

export const expected = manifest.expected;

export function loadArray(name: string): Float32Array | Float64Array {
  const entry = manifest.arrays[name];
  if (!entry) throw new Error(`fixture array ${name} not in expected.json`);
  const buf = readFileSync(join(DIR, entry.file));
  const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return entry.dtype === 'f32' ? new Float32Array(bytes) : new Float64Array(bytes);
}

export function arrayShape(name: string): number[] {
  const entry = manifest.arrays[name];
  if (!entry) throw new Error(`fixture array ${name} not in expected.json`);
  return entry.shape;
}

/** |actual - expected| <= rel * |expected| (+ abs), with a readable failure. */
export function expectClose(actual: number | null, want: number | null, rel: number, abs = 0, what = ''): void {
  if (want === null || actual === null) {
    if (want !== actual) throw new Error(`${what}: expected ${want}, got ${actual}`);
    return;
  }
  const tol = rel * Math.abs(want) + abs;
  if (!(Math.abs(actual - want) <= tol)) {
    throw new Error(`${what}: expected ${want}, got ${actual} (diff ${Math.abs(actual - want)}, tol ${tol})`);
  }
}
