// Format-blind mutations of a byte string: byte and bit flips, truncation, insertion and deletion
// of runs, duplicated chunks, and integers overwritten with boundary values at any offset. Each
// returns a new array (the seed is never modified).
import type { Rng } from './rng';

/** Boundary values written as unsigned little-endian integers of 1, 2, 4 or 8 bytes. */
export const BOUNDARY_U64: readonly bigint[] = [
  0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n,
  0xffffffffn, 0x100000000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Write `value` (taken modulo 2^(8*width)) little-endian at `offset`, clipped to the array. */
export function writeUintLE(bytes: Uint8Array, offset: number, width: number, value: bigint): void {
  let v = BigInt.asUintN(width * 8, value);
  for (let i = 0; i < width; i++) {
    if (offset + i >= 0 && offset + i < bytes.length) bytes[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** A boundary value, sometimes nudged by +-1 or replaced by one relative to `near` (a length). */
export function boundaryValue(rng: Rng, near?: number): bigint {
  if (near !== undefined && rng.chance(0.3)) return BigInt(Math.max(0, near + rng.range(-2, 2)));
  const v = rng.pick(BOUNDARY_U64);
  return rng.chance(0.2) ? v + BigInt(rng.range(-1, 1)) : v;
}

type ByteMutation = (rng: Rng, input: Uint8Array) => Uint8Array;

const flipByte: ByteMutation = (rng, input) => {
  const out = input.slice();
  if (out.length > 0) out[rng.int(out.length)] = rng.u32() & 0xff;
  return out;
};

const flipBit: ByteMutation = (rng, input) => {
  const out = input.slice();
  if (out.length > 0) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
};

const truncate: ByteMutation = (rng, input) => input.slice(0, rng.int(input.length + 1));

const insertRun: ByteMutation = (rng, input) => {
  const at = rng.int(input.length + 1);
  const length = rng.chance(0.9) ? rng.range(1, 64) : rng.range(65, 4096);
  let run: Uint8Array;
  const kind = rng.int(3);
  if (kind === 0) run = rng.bytes(length);
  else if (kind === 1) run = new Uint8Array(length).fill(rng.pick([0, 0xff, 0x20, 0x7b, 0x5b, 0x28, rng.u32() & 0xff]));
  else {
    const from = rng.int(input.length + 1);
    run = input.slice(from, from + length);
  }
  return concat(input.subarray(0, at), run, input.subarray(at));
};

const deleteRun: ByteMutation = (rng, input) => {
  if (input.length === 0) return input.slice();
  const at = rng.int(input.length);
  const length = rng.chance(0.9) ? rng.range(1, 16) : rng.range(17, 1024);
  return concat(input.subarray(0, at), input.subarray(Math.min(input.length, at + length)));
};

const duplicateChunk: ByteMutation = (rng, input) => {
  const from = rng.int(input.length + 1);
  const chunk = input.slice(from, from + rng.range(1, 256));
  const at = rng.int(input.length + 1);
  return concat(input.subarray(0, at), chunk, input.subarray(at));
};

const overwriteInteger: ByteMutation = (rng, input) => {
  const out = input.slice();
  const width = rng.pick([1, 2, 4, 8]);
  writeUintLE(out, rng.int(Math.max(1, out.length)), width, boundaryValue(rng, out.length));
  return out;
};

const BYTE_MUTATIONS: readonly ByteMutation[] = [
  flipByte, flipByte, flipBit, flipBit, truncate, insertRun, deleteRun, duplicateChunk, overwriteInteger, overwriteInteger,
];

/** One to a few format-blind mutations stacked on `input`. */
export function mutateBytes(rng: Rng, input: Uint8Array): Uint8Array {
  let out = input;
  const n = rng.geometric(6);
  for (let i = 0; i < n; i++) out = rng.pick(BYTE_MUTATIONS)(rng, out);
  return out;
}

/** Format-blind mutations confined to [start, end) of `input` (e.g. one header, one entry). */
export function mutateRegion(rng: Rng, input: Uint8Array, start: number, end: number): Uint8Array {
  const s = Math.max(0, Math.min(start, input.length));
  const e = Math.max(s, Math.min(end, input.length));
  return concat(input.subarray(0, s), mutateBytes(rng, input.slice(s, e)), input.subarray(e));
}
