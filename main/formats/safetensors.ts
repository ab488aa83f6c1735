// safetensors reader: validates the header by the reference implementation's rules (safetensors
// 0.8.0: `SafeTensors::read_metadata` in its `safetensors/src/tensor.rs`, parsing with serde_json)
// and reads one tensor with one positioned read of exactly its bytes. The JSON itself is parsed by
// strict-json.ts, which keeps duplicate keys, number spellings and the nesting depth that
// `JSON.parse` hides. test/unit/readers/safetensors-conformance.test.ts holds the cases, each with
// the reference's verdict; docs/SAFETENSORS.md explains them.
//
// Deliberate differences from the reference (each refuses a file the reference accepts):
// - dtypes F8_*, F6_*, F4 and C64 are refused by name: there is no exact float32 reading of them;
// - a tensor name given twice is refused: the format's README forbids it and the reference keeps
//   the last entry, so two tools could read two different tensors under one name;
// - a shape dimension above 2^53 - 1 is refused: a JavaScript number cannot hold it exactly (the
//   reference accepts one only in a zero-element tensor, since any other would need that many bytes).
// Where the reference accepts and so does this reader: leading JSON whitespace before `{` (the
// reference allows it on purpose since its #686, for alignment padding, although its README says
// the header begins with `{`); `"__metadata__": null` (no metadata); an entry written as the array
// `[dtype, shape, data_offsets]` and a dtype written as `{"F32": null}` (serde's other spellings
// of a struct and of an enum variant: one reading each).
//
// Hand-written because the format is 8 bytes + JSON + raw data, and no safetensors package runs in
// plain Node with positioned reads and these validation rules.
import { DTYPE_BYTES, type DType } from '../../common/domain';
import { MAX_ARRAY_ELEMENTS, decodeElements, decodeInto } from './dtype-convert';
import { openRandomAccess, type FileOpener, type RandomAccessFile } from './random-access';
import { readEntryCodes } from './read-codes';
import { StrictJsonError, parseStrictJson, type StrictJson } from './strict-json';
import { FormatError, type TensorEntry, type TensorSource } from './types';

/** The reference implementation's limit on the JSON header length. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Documented by safetensors but without an exact float32 reading here: refused by name. */
const REFUSED_DTYPES = new Set<string>([
  'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64',
]);

/**
 * Which rule a refused file broke. The reference's error kind for each: `file-too-small`
 * HeaderTooSmall, `header-too-large` HeaderTooLarge, `header-length` InvalidHeaderLength, `utf8`
 * InvalidHeader, `offsets` InvalidOffset, `overflow` ValidationOverflow, `misaligned`
 * MisalignedSlice, `size-mismatch` TensorInvalidInfo, `coverage` MetadataIncompleteBuffer; every
 * other rule but the three deliberate ones is a serde_json/serde error (InvalidHeaderDeserialization).
 * The deliberate ones (`duplicate-name`, `unsupported-dtype`, `dimension-too-large`) are applied
 * last, to files that pass every rule of the reference, so a file the reference refuses is refused
 * under the reference's own rule.
 */
export type SafetensorsRule =
  | 'file-too-small' | 'header-too-large' | 'header-length' | 'utf8'
  | 'json-syntax' | 'bom' | 'lone-surrogate' | 'nesting' | 'number-out-of-range'
  | 'not-object' | 'metadata' | 'entry-type' | 'duplicate-field' | 'missing-field' | 'dtype' | 'integer-spelling'
  | 'duplicate-name' | 'unsupported-dtype' | 'dimension-too-large'
  | 'offsets' | 'overflow' | 'misaligned' | 'size-mismatch' | 'coverage';

/** A safetensors file refused by a header rule: the file, the rule and the problem. */
export class SafetensorsRuleError extends FormatError {
  constructor(file: string, readonly rule: SafetensorsRule, problem: string) {
    super(file, `${problem} (safetensors rule: ${rule})`);
    this.name = 'SafetensorsRuleError';
  }
}

export interface SafetensorsHeader {
  /** Raw header bytes (the JSON), for fingerprints. */
  headerBytes: Uint8Array;
  /** Absolute offset of the data buffer (8 + header length). */
  dataStart: number;
  /** `__metadata__` (a null-prototype object: its keys come from the file), or null. */
  metadata: Record<string, string> | null;
  /** Tensors sorted by data offset (= file order). */
  entries: TensorEntry[];
}

const U64_MAX = 2n ** 64n - 1n;
const FIELDS = ['dtype', 'shape', 'data_offsets'] as const;
type Field = (typeof FIELDS)[number];
/** Bits per element of every dtype the reference knows (`Dtype::bitsize`). */
const DTYPE_BITS = new Map<string, bigint>([
  ...Object.entries(DTYPE_BYTES).map(([k, v]): [string, bigint] => [k, BigInt(v * 8)]),
  ['F4', 4n], ['F6_E2M3', 6n], ['F6_E3M2', 6n], ['F8_E5M2', 8n], ['F8_E4M3', 8n], ['F8_E8M0', 8n],
  ['F8_E4M3FNUZ', 8n], ['F8_E5M2FNUZ', 8n], ['C64', 64n],
]);
const kindOf = (v: StrictJson): string => (v.kind === 'number' ? (v.unsigned === null ? `number ${v.raw}` : 'integer') : v.kind);

/** Parse and validate the header of an opened safetensors file. */
export async function readSafetensorsHeader(file: RandomAccessFile): Promise<SafetensorsHeader> {
  const path = file.path;
  const fail = (rule: SafetensorsRule, problem: string): never => {
    throw new SafetensorsRuleError(path, rule, problem);
  };
  if (file.size < 8) fail('file-too-small', `file is ${file.size} bytes, too small for a safetensors header`);
  const lengthBytes = await file.readExact(0, 8);
  const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail('header-too-large', `header length ${headerLength} exceeds the 100 MB limit`);
  const n = Number(headerLength);
  if (8 + n > file.size) fail('header-length', `header length ${n} runs past the end of the file (${file.size} bytes)`);
  const headerBytes = await file.readExact(8, n);
  let text = '';
  try {
    // ignoreBOM keeps a leading byte-order mark as U+FEFF, which the JSON parser then refuses.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    fail('utf8', 'header is not valid UTF-8');
  }
  let root: StrictJson = { kind: 'null' };
  try {
    root = parseStrictJson(text);
  } catch (err) {
    if (!(err instanceof StrictJsonError)) throw err;
    fail(err.rule as SafetensorsRule, `header is not valid JSON for safetensors: ${err.message}`);
  }
  if (root.kind !== 'object') return fail('not-object', `header is a JSON ${root.kind}, not an object`);

  let metadata: Record<string, string> | null = null;
  let metadataSeen = false;
  // A deliberate difference is reported only once the file passes every rule of the reference.
  let deliberate: [SafetensorsRule, string] | null = null;
  const byName = new Map<string, { name: string; dtype: string; dims: bigint[]; begin: bigint; end: bigint }>();
  for (const [name, value] of root.pairs) {
    if (name === '__metadata__') {
      if (metadataSeen) fail('duplicate-field', '"__metadata__" appears twice');
      metadataSeen = true;
      metadata = readMetadata(value, fail);
      continue;
    }
    const info = readEntryInfo(name, value, fail);
    // The reference keeps the last of a repeated name (after checking each), then validates that one.
    if (byName.has(name)) deliberate ??= ['duplicate-name', `duplicate tensor name ${JSON.stringify(name)} in header (the reference keeps the last entry)`];
    byName.set(name, { name, ...info });
  }
  const raw = [...byName.values()];

  // Reference rule: sorted by offsets, each tensor starts where the previous one ended, from 0.
  raw.sort((a, b) => (a.begin !== b.begin ? (a.begin < b.begin ? -1 : 1) : a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
  const dataStart = 8 + n;
  const dataLength = BigInt(file.size - dataStart);
  let expectedBegin = 0n;
  const entries: TensorEntry[] = [];
  for (const t of raw) {
    const where = `tensor ${JSON.stringify(t.name)}: data_offsets [${t.begin}, ${t.end}]`;
    if (t.begin !== expectedBegin) {
      fail('offsets', t.begin < expectedBegin
        ? `${where} overlap the previous tensor (ends at ${expectedBegin})`
        : `${where} leave a gap (previous tensor ends at ${expectedBegin})`);
    }
    if (t.end < t.begin) fail('offsets', `${where} end before they begin`);
    // The reference multiplies the dimensions in order in a u64 and refuses the first overflow.
    let numel = 1n;
    for (const d of t.dims) {
      numel *= d;
      if (numel > U64_MAX) fail('overflow', `tensor ${JSON.stringify(t.name)}: element count of shape [${t.dims.join(', ')}] overflows`);
    }
    const nbits = numel * DTYPE_BITS.get(t.dtype)!;
    if (nbits > U64_MAX) fail('overflow', `tensor ${JSON.stringify(t.name)}: bit count of shape [${t.dims.join(', ')}] x ${t.dtype} overflows`);
    if (nbits % 8n !== 0n) fail('misaligned', `tensor ${JSON.stringify(t.name)}: ${numel} elements of ${t.dtype} do not fill whole bytes`);
    const nbytes = nbits / 8n;
    if (t.end - t.begin !== nbytes) {
      fail('size-mismatch', `${where} span ${t.end - t.begin} bytes but shape [${t.dims.join(', ')}] x ${t.dtype} needs ${nbytes}`);
    }
    if (t.end > dataLength) fail('coverage', `${where}: end is past the end of the data (${dataLength} bytes)`);
    if (REFUSED_DTYPES.has(t.dtype)) deliberate ??= ['unsupported-dtype', `tensor ${JSON.stringify(t.name)}: dtype ${t.dtype} is not supported (no exact float32 reading)`];
    const tooLarge = t.dims.find((d) => d > BigInt(Number.MAX_SAFE_INTEGER));
    if (tooLarge !== undefined) deliberate ??= ['dimension-too-large', `tensor ${JSON.stringify(t.name)}: shape dimension ${tooLarge} is above 2^53 - 1`];
    entries.push({
      name: t.name, dtype: t.dtype as DType, shape: t.dims.map(Number), file: path,
      byteOffset: dataStart + Number(t.begin), byteLength: Number(t.end - t.begin),
    });
    expectedBegin = t.end;
  }
  if (expectedBegin !== dataLength) {
    fail('coverage', `data buffer is ${dataLength} bytes but the tensors cover ${expectedBegin} (file truncated or trailing bytes)`);
  }
  if (deliberate) fail(...deliberate);
  return { headerBytes, dataStart, metadata, entries };
}

type Fail = (rule: SafetensorsRule, problem: string) => never;

/** `__metadata__`: null or an object of strings (a repeated key keeps the last value, as serde's map does). */
function readMetadata(value: StrictJson, fail: Fail): Record<string, string> | null {
  if (value.kind === 'null') return null;
  if (value.kind !== 'object') return fail('metadata', `__metadata__ is a JSON ${value.kind}, not an object of strings`);
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of value.pairs) {
    if (v.kind !== 'string') fail('metadata', `__metadata__ value for ${JSON.stringify(k)} is a ${kindOf(v)}, not a string`);
    out[k] = (v as { value: string }).value;
  }
  return out;
}

/** One tensor entry: an object with each field once (others ignored) or the array [dtype, shape, data_offsets]. */
function readEntryInfo(name: string, value: StrictJson, fail: Fail): { dtype: string; dims: bigint[]; begin: bigint; end: bigint } {
  const at = `tensor ${JSON.stringify(name)}`;
  const fields = new Map<Field, StrictJson>();
  if (value.kind === 'object') {
    for (const [k, v] of value.pairs) {
      if (!(FIELDS as readonly string[]).includes(k)) continue; // the reference ignores other fields
      if (fields.has(k as Field)) fail('duplicate-field', `${at}: field "${k}" appears twice`);
      fields.set(k as Field, v);
    }
    for (const f of FIELDS) if (!fields.has(f)) fail('missing-field', `${at}: missing field "${f}"`);
  } else if (value.kind === 'array') {
    if (value.items.length !== 3) fail('entry-type', `${at}: an entry written as an array must hold [dtype, shape, data_offsets], found ${value.items.length} items`);
    FIELDS.forEach((f, i) => fields.set(f, value.items[i]));
  } else {
    fail('entry-type', `${at}: entry is a JSON ${kindOf(value)}, not an object`);
  }

  const dtypeValue = fields.get('dtype')!;
  let dtype = '';
  if (dtypeValue.kind === 'string') dtype = dtypeValue.value;
  else if (dtypeValue.kind === 'object' && dtypeValue.pairs.length === 1 && dtypeValue.pairs[0][1].kind === 'null') dtype = dtypeValue.pairs[0][0];
  else fail('dtype', `${at}: dtype is a ${kindOf(dtypeValue)}, not a dtype name`);
  if (!DTYPE_BITS.has(dtype)) fail('dtype', `${at}: unknown dtype ${JSON.stringify(dtype)}`);

  const integers = (field: Field, v: StrictJson, what: string): bigint[] => {
    if (v.kind !== 'array') return fail('integer-spelling', `${at}: ${field} is a ${kindOf(v)}, not ${what}`);
    return v.items.map((item) => {
      if (item.kind !== 'number' || item.unsigned === null) {
        return fail('integer-spelling', `${at}: ${field} holds ${kindOf(item)}, not a non-negative integer written with digits only (the reference reads ${field} as unsigned integers)`);
      }
      return item.unsigned;
    });
  };
  const dims = integers('shape', fields.get('shape')!, 'a list of non-negative integers');
  const offsets = integers('data_offsets', fields.get('data_offsets')!, '[begin, end]');
  if (offsets.length !== 2) fail('integer-spelling', `${at}: data_offsets holds ${offsets.length} integers, not [begin, end]`);
  return { dtype, dims, begin: offsets[0], end: offsets[1] };
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
    async readCodes(name, start, count, into) {
      if (closed) throw new FormatError(path, `read of "${name}" after close`);
      const entry = byName.get(name);
      if (!entry) throw new FormatError(path, `no tensor named "${name}"`);
      return readEntryCodes(file, entry, start, count, into);
    },
    async close() {
      if (!closed) {
        closed = true;
        await file.close();
      }
    },
  };
}
