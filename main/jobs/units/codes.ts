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
  const buffer = new Uint16Array(Math.max(1, piece));
  for (let start = 0; start < numel; start += piece) {
    const count = Math.min(piece, numel - start);
    await each(await read(start, count, buffer), start);
  }
}
