// Exact order statistics of the finite values of a Float32 array by radix selection, without a
// copy: the QQ frame's 278 order statistics of a 38.6M-element embedding (main/metrics/qq.ts).
//
// Why: the multi-quickselect of main/metrics/select.ts needs a copy of the tensor to rearrange
// (154 MB for that embedding) and several partitioning passes; it was 20% of the fits unit's
// time (issue 16 item 6 profile in BENCHMARKS.md). Here each float32 maps to an unsigned key
// whose order is the values' order (float32Key in fit-sample.ts); three counting passes over
// the array read the key's top 11 bits, then the next 11 bits of the prefixes that hold a
// target, then the last 10 bits, and each target's key (so its value) is then known exactly.
// Memory: 2048 counters per prefix still holding a target (at most 278 x 2048 x 4 bytes).
// -0 sorts before +0, as a full ascending TypedArray sort puts them.
// Fewer passes (issue 16 item 6): the first counting pass also counts the finite values (the
// caller needs that count to place its targets: `radixCensus`, then `selectFloat32` with the
// census), and ORs the low 10 bits of every finite value. Where they are all zero (float16 and
// bfloat16 values held as float32: their low 13 and 16 bits are zero) a 22-bit prefix holds one
// value only, so the third pass is skipped: the tensor is read twice, not four times.
import { float32Key } from './fit-sample';

const B1 = 11;
const B2 = 11;
const B3 = 10;

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
  return radixCensus(x).finite;
}

/** The first counting pass of a selection over x (see the file header). */
export interface RadixCensus {
  /** Finite values of x. */
  finite: number;
  /** Finite values per top-11-bit key prefix. */
  counts: Uint32Array;
  /** OR of the low 10 bits of every finite value's bits (0: no third pass is needed). */
  lowBits: number;
  length: number;
}

export function radixCensus(x: Float32Array): RadixCensus {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const n = bits.length;
  const counts = new Uint32Array(1 << B1);
  const mask3 = (1 << B3) - 1;
  let lowBits = 0;
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) !== 0x7f800000) {
      counts[float32Key(b) >>> (32 - B1)]++;
      lowBits |= b & mask3;
      finite++;
    }
  }
  return { finite, counts, lowBits, length: n };
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
  // Level 1: top 11 bits of every finite value's key.
  const first = census && census.length === n ? census : radixCensus(x);
  const c1 = first.counts;
  const l1 = locate(c1, 0, 1 << B1, targets);
  // Level 2: the next 11 bits, for the prefixes that hold a target.
  const slot1 = new Int32Array(1 << B1).fill(-1);
  const prefixes1: number[] = [];
  for (const [bucket] of l1) if (slot1[bucket] === -1) slot1[bucket] = prefixes1.push(bucket) - 1;
  const c2 = new Uint32Array(prefixes1.length << B2);
  const mask2 = (1 << B2) - 1;
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) === 0x7f800000) continue;
    const k = float32Key(b);
    const s = slot1[k >>> (32 - B1)];
    if (s >= 0) c2[(s << B2) | ((k >>> B3) & mask2)]++;
  }
  // Targets sharing a level-1 bucket are ascending within it, so each group locates in one scan.
  const l2: [number, number][] = new Array(targets.length);
  for (let t = 0; t < targets.length; ) {
    const bucket = l1[t][0];
    let end = t;
    while (end < targets.length && l1[end][0] === bucket) end++;
    const ranks = l1.slice(t, end).map(([, r]) => r);
    locate(c2, slot1[bucket] << B2, 1 << B2, ranks).forEach((v, j) => (l2[t + j] = v));
    t = end;
  }
  const word = new Uint32Array(1);
  const f32 = new Float32Array(word.buffer);
  const mask3 = (1 << B3) - 1;
  const valueOf = (key: number): number => {
    word[0] = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
    return f32[0];
  };
  if (first.lowBits === 0) {
    // Every finite value's low 10 bits are zero: its key's low 10 bits are 0 (sign clear, the
    // key's top bit set) or all ones (negative: the key is the bits flipped), so the 22-bit
    // prefix is the whole value.
    return targets.map((_, t) => {
      const prefix = ((l1[t][0] << (32 - B1)) | (l2[t][0] << B3)) >>> 0;
      return valueOf(prefix & 0x80000000 ? prefix : (prefix | mask3) >>> 0);
    });
  }
  // Level 3: the last 10 bits, for the 22-bit prefixes that hold a target.
  const slot2 = new Int32Array(prefixes1.length << B2).fill(-1);
  let prefixes2 = 0;
  for (let t = 0; t < targets.length; t++) {
    const at = (slot1[l1[t][0]] << B2) | l2[t][0];
    if (slot2[at] === -1) slot2[at] = prefixes2++;
  }
  const c3 = new Uint32Array(prefixes2 << B3);
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) === 0x7f800000) continue;
    const k = float32Key(b);
    const s = slot1[k >>> (32 - B1)];
    if (s < 0) continue;
    const s2 = slot2[(s << B2) | ((k >>> B3) & mask2)];
    if (s2 >= 0) c3[(s2 << B3) | (k & mask3)]++;
  }
  return targets.map((_, t) => {
    const bucket1 = l1[t][0];
    const [bucket2, r2] = l2[t];
    const s2 = slot2[(slot1[bucket1] << B2) | bucket2];
    const [bucket3] = locate(c3, s2 << B3, 1 << B3, [r2])[0];
    return valueOf(((bucket1 << (32 - B1)) | (bucket2 << B3) | bucket3) >>> 0);
  });
}
