// Gathering a strided (non-contiguous) torch view out of its storage span, for decoded reads
// (main/formats/torch-zip.ts) and raw 16-bit code reads (main/formats/read-codes.ts) alike.

/** Largest expanded (zero-stride) view that is materialised: 2^26 elements (256 MB as f32). */
export const MAX_EXPANDED_ELEMENTS = 2 ** 26;

/** Gather a strided view out of the span (element 0 of `span` = the view's first element). */
export function gatherStrided<T extends Float32Array | Float64Array | Uint16Array>(span: T, shape: number[], strides: number[], out: T): T {
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = span[src];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += strides[d];
      if (index[d] < shape[d]) break;
      src -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}
