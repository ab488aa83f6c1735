// Test helper: loads the expected values that tools/make_reader_fixtures.py wrote from torch
// (`F.expected.json` manifest + `F.expected.f64` raw little-endian float64) and compares a
// reader's output with them bit for bit (NaN equals NaN, -0 differs from +0).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'readers');

export interface ExpectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  values: Float64Array;
}

export function loadExpected(fileBase: string): ExpectedTensor[] {
  const manifest = JSON.parse(readFileSync(`${fileBase}.expected.json`, 'utf8')) as {
    tensors: { name: string; dtype: string; shape: number[]; offset: number; count: number }[];
  };
  const raw = readFileSync(`${fileBase}.expected.f64`);
  const all = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return manifest.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, values: all.slice(t.offset, t.offset + t.count) }));
}

/** Exact equality, element by element, with Object.is semantics (NaN == NaN, +0 != -0). */
export function expectExactlyEqual(actual: Float32Array | Float64Array, expected: ArrayLike<number>, label: string): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`${label}[${i}]: got ${actual[i]}, torch has ${expected[i]}`);
    }
  }
}

/** torch's `.float()` of the stored values: float64 expected values rounded to float32. */
export function toF32(values: Float64Array): Float32Array {
  return Float32Array.from(values);
}
