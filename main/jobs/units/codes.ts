// Streaming a float16/bfloat16 tensor's raw codes (TensorSource.readCodes) in pieces through one
// reused array, for the units that need only its code census, element pairs or a sample
// (weights, histogram, fits; issue 16 item 6): one read of the tensor, no decoding, nothing held
// whole, so such a tensor needs no large-tensor slot (./large-tensor.ts) unless it is a
// non-contiguous view, which is gathered once whole (a range of a view costs a whole read).
import { isContiguousEntry } from '../../formats/read-codes';
import type { TensorEntry } from '../../formats/types';
import { isHalfDType, type HalfDType } from '../../metrics/code-census';

/** Elements per streamed piece: a multiple of the distance kernel's 16384 chunk (distance.ts). */
export const CODE_PIECE = 1 << 20;

/** The entry's dtype when it is F16 or BF16 (its codes can be streamed), else null. */
export function halfDType(entry: TensorEntry): HalfDType | null {
  return isHalfDType(entry.dtype) ? entry.dtype : null;
}

export function numelOf(entry: TensorEntry): number {
  return entry.shape.reduce((a, b) => a * b, 1);
}

/** Elements per piece when streaming these entries together (all of one tensor when any is a view). */
export function pieceLength(entries: readonly TensorEntry[]): number {
  const n = numelOf(entries[0]);
  return entries.every(isContiguousEntry) ? Math.min(CODE_PIECE, n) : n;
}

/**
 * Elements a unit streaming this half-precision entry holds at once, for eachTensor's
 * large-tensor slot: none beyond a piece when contiguous, the whole tensor when a view.
 */
export function heldElements(entry: TensorEntry): number {
  return isContiguousEntry(entry) ? 0 : numelOf(entry);
}

/** Calls `each(codes, start)` for consecutive pieces of the tensor (codes: a view of one reused array). */
export async function eachCodePiece(
  read: (start: number, count: number, into: Uint16Array) => Promise<Uint16Array>,
  numel: number,
  piece: number,
  each: (codes: Uint16Array, start: number) => void | Promise<void>,
): Promise<void> {
  const buffer = takeBuffer(piece);
  try {
    for (let start = 0; start < numel; start += piece) {
      const count = Math.min(piece, numel - start);
      await each(await read(start, count, buffer), start);
    }
  } finally {
    giveBack(buffer);
  }
}

// Piece arrays handed from one tensor to the next (a fresh 2 MB array per tensor was garbage that
// made the worker collect; main/jobs/units/large-tensor.ts collectIfGarbageOver).
const spare: Uint16Array[] = [];

/** A Uint16Array of at least `length` elements, reused when one is spare (give it back after). */
export function takeBuffer(length: number): Uint16Array {
  const k = spare.findIndex((b) => b.length >= length && b.length <= Math.max(CODE_PIECE, length));
  if (k >= 0) return spare.splice(k, 1)[0];
  return new Uint16Array(Math.max(1, length));
}

/** Returns a buffer from takeBuffer; at most a few piece-sized ones are kept. */
export function giveBack(buffer: Uint16Array): void {
  if (spare.length < 4 && buffer.length <= CODE_PIECE) spare.push(buffer);
}
