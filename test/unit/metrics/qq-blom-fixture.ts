// Loads test/fixtures/metrics/qq-blom.json, written by tools/make_qq_blom_expectations.py:
// per array, the probabilities its n values support and numpy's type-9 quantiles there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BlomCase {
  file: string;
  dtype: 'f32' | 'f64';
  n: number;
  probabilities: number[];
  empirical: number[];
  normalPpf: number[];
}

const DIR = join(__dirname, '..', '..', 'fixtures', 'metrics');

export const blom = JSON.parse(readFileSync(join(DIR, 'qq-blom.json'), 'utf8')) as Record<string, BlomCase>;

export function loadBlomArray(name: string): Float32Array | Float64Array {
  const c = blom[name];
  if (!c) throw new Error(`${name} not in qq-blom.json`);
  const buf = readFileSync(join(DIR, c.file));
  const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return c.dtype === 'f32' ? new Float32Array(bytes) : new Float64Array(bytes);
}
