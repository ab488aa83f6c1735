// safetensors reader: validates the header exactly as the reference implementation does (see
// FORMATS.md) and reads one tensor with one positioned read of exactly its bytes. Hand-written
// because the format is 8 bytes + JSON + raw data, and no safetensors package runs in plain Node
// with positioned reads and these validation rules.
import { DTYPE_BYTES, type DType } from '../../common/domain';
import { MAX_ARRAY_ELEMENTS, checkedNumel, decodeElements, decodeInto } from './dtype-convert';
import { openRandomAccess, type FileOpener, type RandomAccessFile } from './random-access';
import { FormatError, type TensorEntry, type TensorSource } from './types';

/** The reference implementation's limit on the JSON header length. */
export const MAX_HEADER_BYTES = 100_000_000;

const SUPPORTED_DTYPES = new Set<string>(Object.keys(DTYPE_BYTES));
/** Documented by safetensors but without an exact float32 reading here: refused by name. */
const REFUSED_DTYPES = new Set<string>([
  'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64',
]);

export interface SafetensorsHeader {
  /** Raw header bytes (the JSON), for fingerprints. */
  headerBytes: Uint8Array;
  /** Absolute offset of the data buffer (8 + header length). */
  dataStart: number;
  metadata: Record<string, string> | null;
  /** Tensors sorted by data offset (= file order). */
  entries: TensorEntry[];
}

/**
 * Top-level keys of a JSON object text, in order, including duplicates (JSON.parse silently keeps
 * the last of duplicate keys, the reference implementation refuses them). `text` is already known
 * to be valid JSON.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(text.slice(start, i + 1)) as string);
        expectKey = false;
      }
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1 && c === '{') expectKey = true;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parse and validate the header of an opened safetensors file. */
export async function readSafetensorsHeader(file: RandomAccessFile): Promise<SafetensorsHeader> {
  const path = file.path;
  const fail = (problem: string): never => {
    throw new FormatError(path, problem);
  };
  if (file.size < 8) fail(`file is ${file.size} bytes, too small for a safetensors header`);
  const lengthBytes = await file.readExact(0, 8);
  const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds the 100 MB limit`);
  const n = Number(headerLength);
  if (8 + n > file.size) fail(`header length ${n} runs past the end of the file (${file.size} bytes)`);
  const headerBytes = await file.readExact(8, n);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail('header does not start with "{"');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('header is not a JSON object');
  const header = parsed as Record<string, unknown>;
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) fail(`duplicate tensor name "${key}" in header`);
    seen.add(key);
  }

  let metadata: Record<string, string> | null = null;
  const raw: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ value for "${k}" is not a string`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    if (typeof value !== 'object' || value === null) fail(`tensor "${name}": entry is not an object`);
    const info = value as Record<string, unknown>;
    const dtype = info.dtype;
    if (typeof dtype !== 'string') fail(`tensor "${name}": missing dtype`);
    if (REFUSED_DTYPES.has(dtype as string)) fail(`tensor "${name}": dtype ${String(dtype)} is not supported (no exact float32 reading)`);
    if (!SUPPORTED_DTYPES.has(dtype as string)) fail(`tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) fail(`tensor "${name}": shape is not a list of non-negative integers`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
      fail(`tensor "${name}": data_offsets is not [begin, end]`);
    }
    const [begin, end] = offsets as number[];
    if (end < begin) fail(`tensor "${name}": data_offsets end ${end} < begin ${begin}`);
    raw.push({ name, dtype: dtype as DType, shape: shape as number[], begin, end });
  }

  // Reference rule: sorted by offset, each tensor starts where the previous one ended, from 0.
  raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + n;
  const dataLength = file.size - dataStart;
  let expectedBegin = 0;
  const entries: TensorEntry[] = [];
  for (const t of raw) {
    if (t.begin !== expectedBegin) {
      fail(t.begin < expectedBegin
        ? `tensor "${t.name}": data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (ends at ${expectedBegin})`
        : `tensor "${t.name}": data_offsets [${t.begin}, ${t.end}] leave a gap (previous tensor ends at ${expectedBegin})`);
    }
    const numel = checkedNumel(t.shape);
    if (numel === null) fail(`tensor "${t.name}": element count of shape [${t.shape.join(', ')}] overflows`);
    const itemsize = DTYPE_BYTES[t.dtype];
    const nbytes = BigInt(numel as number) * BigInt(itemsize);
    if (BigInt(t.end - t.begin) !== nbytes) {
      fail(`tensor "${t.name}": data_offsets span ${t.end - t.begin} bytes but shape [${t.shape.join(', ')}] x ${t.dtype} needs ${nbytes}`);
    }
    if (t.end > dataLength) fail(`tensor "${t.name}": data_offsets end ${t.end} is past the end of the data (${dataLength} bytes)`);
    entries.push({
      name: t.name, dtype: t.dtype, shape: t.shape, file: path,
      byteOffset: dataStart + t.begin, byteLength: t.end - t.begin,
    });
    expectedBegin = t.end;
  }
  if (expectedBegin !== dataLength) {
    fail(`data buffer is ${dataLength} bytes but the tensors cover ${expectedBegin} (file truncated or trailing bytes)`);
  }
  return { headerBytes, dataStart, metadata, entries };
}

/** Read one entry's bytes (one positioned read) and upcast. Shared with shard sources. */
export async function readEntry(file: RandomAccessFile, entry: TensorEntry, precision: 'f32' | 'f64'): Promise<Float32Array | Float64Array> {
  const numel = entry.byteLength / DTYPE_BYTES[entry.dtype];
  if (numel > MAX_ARRAY_ELEMENTS) throw new FormatError(file.path, `tensor "${entry.name}" has ${numel} elements, more than one array can hold`);
  if (entry.byteLength <= READ_PIECE_BYTES) {
    const bytes = await file.readExact(entry.byteOffset, entry.byteLength);
    return decodeElements(bytes, entry.dtype, numel, precision);
  }
  // Large tensors are read and converted piece by piece into the output through one reused
  // piece buffer: the raw bytes of the whole tensor are never held next to it, and reading makes
  // no garbage (peak memory: the output plus one piece).
  let out: Float32Array | Float64Array;
  try {
    out = precision === 'f64' ? new Float64Array(numel) : new Float32Array(numel);
  } catch {
    throw new FormatError(file.path, `tensor "${entry.name}" (${numel} elements) does not fit in memory`);
  }
  const itemsize = DTYPE_BYTES[entry.dtype];
  const perPiece = Math.max(1, Math.floor(READ_PIECE_BYTES / itemsize));
  const piece = new Uint8Array(perPiece * itemsize);
  for (let start = 0; start < numel; start += perPiece) {
    const count = Math.min(perPiece, numel - start);
    const bytes = await file.readExact(entry.byteOffset + start * itemsize, count * itemsize, piece);
    decodeInto(bytes, entry.dtype, count, out, start);
  }
  return out;
}

/** Tensors above this size are read in pieces of this size (8 MiB). */
export const READ_PIECE_BYTES = 8 << 20;

/**
 * Elements [start, start + count) of an entry: one positioned read when contiguous. With `into`
 * (an array of the requested precision holding at least `count` elements) the elements are
 * written to its start and a view of them is returned: a streaming caller reuses one array.
 * `scratch` is a reusable byte buffer for the raw bytes (grown by the caller as needed).
 */
export async function readEntryRange(
  file: RandomAccessFile,
  entry: TensorEntry,
  start: number,
  count: number,
  precision: 'f32' | 'f64',
  readWhole: () => Promise<Float32Array | Float64Array>,
  into?: Float32Array | Float64Array,
  scratch?: Uint8Array,
): Promise<Float32Array | Float64Array> {
  const itemsize = DTYPE_BYTES[entry.dtype];
  const numel = entry.shape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > numel) {
    throw new FormatError(file.path, `range [${start}, ${start + count}) outside tensor "${entry.name}" of ${numel} elements`);
  }
  const target = into && into.length >= count && (precision === 'f64') === into instanceof Float64Array ? into.subarray(0, count) : null;
  if (entry.strides || entry.byteLength !== numel * itemsize) {
    const part = (await readWhole()).subarray(start, start + count);
    if (!target) return part;
    target.set(part);
    return target;
  }
  const bytes = await file.readExact(entry.byteOffset + start * itemsize, count * itemsize, scratch);
  if (!target) return decodeElements(bytes, entry.dtype, count, precision);
  decodeInto(bytes, entry.dtype, count, target, 0);
  return target;
}

/**
 * A byte buffer reused by one source's range reads, so a streaming comparison makes no garbage.
 * Handed out to one read at a time; a concurrent read gets none (and allocates its own).
 */
export class RangeScratch {
  private bytes: Uint8Array | null = null;
  private busy = false;

  async with<T>(minBytes: number, fn: (scratch: Uint8Array | undefined) => Promise<T>): Promise<T> {
    if (this.busy || minBytes > MAX_RANGE_SCRATCH_BYTES) return fn(undefined);
    if (!this.bytes || this.bytes.length < minBytes) this.bytes = new Uint8Array(minBytes);
    this.busy = true;
    try {
      return await fn(this.bytes);
    } finally {
      this.busy = false;
    }
  }
}

/** Range reads larger than this do not keep their byte buffer (a whole-tensor range, say). */
const MAX_RANGE_SCRATCH_BYTES = 16 << 20;

export interface OpenOptions {
  /** Injected file opener (tests count bytes through it). */
  opener?: FileOpener;
}

export async function openSafetensors(path: string, options: OpenOptions = {}): Promise<TensorSource & { metadata: Record<string, string> | null }> {
  const file = await (options.opener ?? openRandomAccess)(path);
  let header: SafetensorsHeader;
  try {
    header = await readSafetensorsHeader(file);
  } catch (err) {
    await file.close();
    throw err;
  }
  const byName = new Map(header.entries.map((e) => [e.name, e]));
  const scratch = new RangeScratch();
  let closed = false;
  return {
    path,
    format: 'safetensors',
    metadata: header.metadata,
    list: () => header.entries.slice(),
    async read(name, precision = 'f32') {
      if (closed) throw new FormatError(path, `read of "${name}" after close`);
      const entry = byName.get(name);
      if (!entry) throw new FormatError(path, `no tensor named "${name}"`);
      return readEntry(file, entry, precision);
    },
    async readRange(name, start, count, precision = 'f32', into) {
      if (closed) throw new FormatError(path, `read of "${name}" after close`);
      const entry = byName.get(name);
      if (!entry) throw new FormatError(path, `no tensor named "${name}"`);
      return scratch.with(count * DTYPE_BYTES[entry.dtype], (bytes) => readEntryRange(file, entry, start, count, precision, () => readEntry(file, entry, precision), into, bytes));
    },
    async close() {
      if (!closed) {
        closed = true;
        await file.close();
      }
    },
  };
}
