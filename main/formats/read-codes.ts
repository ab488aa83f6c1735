// Raw 16-bit codes of float16 and bfloat16 tensors (TensorSource.readCodes), shared by the
// safetensors, torch-zip and shard readers. A contiguous range is one positioned read straight
// into the caller's Uint16Array: no decoding, no float array, half the bytes of a float32 read
// (main/metrics/code-census.ts counts them; issue 16 item 6). A non-contiguous torch view is
// gathered from its storage span, with the same bound on expanded views as a decoded read.
// Other dtypes are refused with a FormatError naming the tensor and its dtype, so callers can
// fall back to read/readRange.
import { DTYPE_BYTES } from '../../common/domain';
import { MAX_ARRAY_ELEMENTS } from './dtype-convert';
import type { RandomAccessFile } from './random-access';
import { gatherStrided, MAX_EXPANDED_ELEMENTS } from './strided';
import { FormatError, type TensorEntry } from './types';

/** True when readCodes can read this entry (F16 or BF16). */
export function hasCodes(entry: Pick<TensorEntry, 'dtype'>): boolean {
  return entry.dtype === 'F16' || entry.dtype === 'BF16';
}

/** True when the entry's elements are stored in C order, back to back (ranges are one read). */
export function isContiguousEntry(entry: TensorEntry): boolean {
  const numel = entry.shape.reduce((a, b) => a * b, 1);
  return !entry.strides && entry.byteLength === numel * DTYPE_BYTES[entry.dtype];
}

/**
 * Codes of elements [start, start + count) of a F16/BF16 entry in C order. With `into` (at least
 * `count` long) they are written to its start and a view of them is returned.
 */
export async function readEntryCodes(file: RandomAccessFile, entry: TensorEntry, start: number, count: number, into?: Uint16Array): Promise<Uint16Array> {
  if (!hasCodes(entry)) {
    throw new FormatError(file.path, `tensor "${entry.name}" is ${entry.dtype}: raw 16-bit codes are read only from F16 and BF16 tensors`);
  }
  const numel = entry.shape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > numel) {
    throw new FormatError(file.path, `range [${start}, ${start + count}) outside tensor "${entry.name}" of ${numel} elements`);
  }
  if (count > MAX_ARRAY_ELEMENTS) throw new FormatError(file.path, `tensor "${entry.name}": ${count} elements are more than one array can hold`);
  const target = into && into.length >= count ? into.subarray(0, count) : null;
  if (isContiguousEntry(entry)) {
    const view = target ? new Uint8Array(target.buffer, target.byteOffset, count * 2) : undefined;
    const bytes = await file.readExact(entry.byteOffset + start * 2, count * 2, view);
    if (target && bytes.buffer === target.buffer && bytes.byteOffset === target.byteOffset) return target;
    // A fresh buffer (readExact wants an 8-byte aligned destination): copied when `into` was given.
    const codes = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    if (!target) return codes;
    target.set(codes);
    return target;
  }
  const whole = await gatherCodes(file, entry, numel);
  const part = whole.subarray(start, start + count);
  if (!target) return part;
  target.set(part);
  return target;
}

/** Every code of a non-contiguous entry, gathered from its storage span (strided.ts). */
async function gatherCodes(file: RandomAccessFile, entry: TensorEntry, numel: number): Promise<Uint16Array> {
  const spanElements = entry.byteLength / 2;
  if (numel > spanElements && numel > MAX_EXPANDED_ELEMENTS) {
    throw new FormatError(file.path, `tensor "${entry.name}" is an expanded view of ${numel} elements over a storage of ${spanElements}; views beyond ${MAX_EXPANDED_ELEMENTS} elements are refused`);
  }
  const bytes = await file.readExact(entry.byteOffset, entry.byteLength);
  const span = new Uint16Array(bytes.buffer, bytes.byteOffset, spanElements);
  if (!entry.strides) return span.subarray(0, numel);
  return gatherStrided(span, entry.shape, entry.strides, new Uint16Array(numel));
}
