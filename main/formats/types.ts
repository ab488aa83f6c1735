// The lazy view of one checkpoint's weights that every reader (safetensors, torch zip, shard
// indexes) implements. Listing uses headers only; `read` does positioned reads of exactly one
// tensor's bytes, so peak memory is bounded by the largest tensor, never the checkpoint.
import type { DType, TensorInfo, WeightFormat } from '../../common/domain';

export interface TensorEntry extends Omit<TensorInfo, 'role'> {
  /** Byte offset of the tensor's first element inside `file` (absolute within the file). */
  byteOffset: number;
  /** Bytes that back the tensor (numel * itemsize for contiguous tensors). */
  byteLength: number;
  /** Element strides for non-contiguous views (torch zip); absent = C-contiguous. */
  strides?: number[];
}

export interface TensorSource {
  /** Checkpoint folder or weight file that was opened. */
  readonly path: string;
  readonly format: WeightFormat;
  /** All tensors, in file order, from headers alone. */
  list(): TensorEntry[];
  /** Read one tensor, upcast exactly to Float32 (default) or Float64, C-order. */
  read(name: string, precision?: 'f32' | 'f64'): Promise<Float32Array | Float64Array>;
  /**
   * Elements [start, start + count) of a tensor in C order, reading only their bytes when the
   * tensor is stored contiguously (streaming comparisons keep one tensor in memory, not three).
   * With `into` (of the requested precision, at least `count` long) the elements are written to
   * its start and a view of them is returned, so a streaming caller reuses one array.
   */
  readRange(name: string, start: number, count: number, precision?: 'f32' | 'f64', into?: Float32Array | Float64Array): Promise<Float32Array | Float64Array>;
  /**
   * Raw little-endian codes of elements [start, start + count) of a F16 or BF16 tensor, C order:
   * no decoding (main/metrics/code-census.ts counts them). Contiguous tensors read exactly those
   * bytes, into `into` when it is given and long enough (a view of its start is returned);
   * non-contiguous torch views are gathered. Any other dtype is refused with a FormatError
   * (callers fall back to read/readRange); main/formats/read-codes.ts hasCodes tells in advance.
   */
  readCodes(name: string, start: number, count: number, into?: Uint16Array): Promise<Uint16Array>;
  close(): Promise<void>;
}

/** Every reader failure is one of these: the file and the problem, never a bare stack. */
export class FormatError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'FormatError';
  }
}

export type { DType };
