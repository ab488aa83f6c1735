// Exact order statistics of the finite values of a Float32 array by radix selection, without a
// copy: the QQ frame's 278 order statistics of a 38.6M-element embedding (main/metrics/qq.ts).
//
// Why: the multi-quickselect of main/metrics/select.ts needs a copy of the tensor to rearrange
// (154 MB for that embedding) and several partitioning passes; it was 20% of the fits unit's
// time (issue 16 item 6 profile in BENCHMARKS.md). Here each float32 maps to an unsigned key
// whose order is the values' order (float32Key in fit-sample.ts). One counting pass over the
// array (`radixCensus`) counts the finite values by the top 19 bits of their keys (sign,
// exponent and the 10 mantissa bits a float16 has), counts the finite values (the caller needs
// that count to place its targets) and ORs the low 13 bits of every finite value:
// - where they are all zero (float16 and bfloat16 values held as float32) a 19-bit prefix holds
//   one value only, and every order statistic is read off the census: one pass in all;
// - otherwise a second pass counts the low 13 bits of the values whose prefix holds a target,
//   and each target's key (so its value) is then known exactly: two passes.
// (Before issue 16 item 6's changes: three passes of 11 + 11 + 10 bits plus one to count.)
// Memory: the census (2^19 counters, 2 MB) and 8192 counters per prefix holding a target (at
// most 278 x 32 KB).
// -0 sorts before +0, as a full ascending TypedArray sort puts them.
import { float32Key } from './fit-sample';

/** Bits of the census prefix. */
const B1 = 19;
/** Bits below it. */
const B2 = 32 - B1;

/** Resolves ascending ranks against bucket counts; returns [bucket, rank within bucket] pairs. */
function locate(counts: Uint32Array, from: number, size: number, ranks: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  let cum = 0;
  let bucket = 0;
  for (const r of ranks) {
    while (cum + counts[from + bucket] <= r) {
      cum += counts[from + bucket];
      bucket++;
      if (bucket >= size) throw new RangeError(`radix-select: rank ${r} is past the finite values`);
    }
    out.push([bucket, r - cum]);
  }
  return out;
}

/** Number of finite values of x. */
export function finiteCount(x: Float32Array): number {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  let n = 0;
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0x7f800000) !== 0x7f800000) n++;
  return n;
}

/** The first counting pass of a selection over x (see the file header). */
export interface RadixCensus {
  /** Finite values of x. */
  finite: number;
  /** Finite values per top-19-bit key prefix. */
  counts: Uint32Array;
  /** OR of the low 13 bits of every finite value's bits (0: no second pass is needed). */
  lowBits: number;
  length: number;
}

export function radixCensus(x: Float32Array): RadixCensus {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const n = bits.length;
  const counts = new Uint32Array(1 << B1);
  const low = (1 << B2) - 1;
  let lowBits = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) !== 0x7f800000) {
      counts[float32Key(b) >>> B2]++;
      lowBits |= b;
    } else nonFinite++;
  }
  return { finite: n - nonFinite, counts, lowBits: lowBits & low, length: n };
}

/**
 * The values a full ascending sort of the finite elements of `x` puts at each position in
 * `targets` (ascending, each below the finite count), in the order of `targets`. `census`, when
 * given, is radixCensus(x) (saves the first pass).
 */
export function selectFloat32(x: Float32Array, targets: readonly number[], census?: RadixCensus): number[] {
  if (!targets.length) return [];
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const n = bits.length;
  const first = census && census.length === n ? census : radixCensus(x);
  const l1 = locate(first.counts, 0, 1 << B1, targets);
  const word = new Uint32Array(1);
  const f32 = new Float32Array(word.buffer);
  const low = (1 << B2) - 1;
  const valueOf = (key: number): number => {
    word[0] = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
    return f32[0];
  };
  if (first.lowBits === 0) {
    // Every finite value's low 13 bits are zero: its key's low 13 bits are 0 (sign clear, the
    // key's top bit set) or all ones (negative: the key is the bits flipped), so the prefix is
    // the whole value.
    return l1.map(([bucket]) => {
      const prefix = (bucket << B2) >>> 0;
      return valueOf(prefix & 0x80000000 ? prefix : (prefix | low) >>> 0);
    });
  }
  // Second pass: the low 13 bits, for the prefixes that hold a target.
  const slot = new Int32Array(1 << B1).fill(-1);
  let prefixes = 0;
  for (const [bucket] of l1) if (slot[bucket] === -1) slot[bucket] = prefixes++;
  const c2 = new Uint32Array(prefixes << B2);
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) === 0x7f800000) continue;
    const k = float32Key(b);
    const s = slot[k >>> B2];
    if (s >= 0) c2[(s << B2) | (k & low)]++;
  }
  return l1.map(([bucket, rank]) => {
    const [rest] = locate(c2, slot[bucket] << B2, 1 << B2, [rank])[0];
    return valueOf(((bucket << B2) | rest) >>> 0);
  });
}
