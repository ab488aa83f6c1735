// Reader for torch.save zip archives (torch >= 1.6; `.bin`, `.pt`, `.pth`): parses the central
// directory, interprets data.pkl with the restricted unpickler (nothing is executed), and maps
// each tensor to a byte range of its storage entry so that a read is one positioned read of the
// tensor's span, gathered when the tensor is a non-contiguous view.
import { DTYPE_BYTES, type DType } from '../../common/domain';
import { MAX_ARRAY_ELEMENTS, checkedNumel, decodeElements } from './dtype-convert';
import { openRandomAccess, type FileOpener, type RandomAccessFile } from './random-access';
import { RangeScratch, readEntry, readEntryRange } from './safetensors';
import { gatherStrided, MAX_EXPANDED_ELEMENTS } from './strided';
import { readEntryCodes } from './read-codes';
import { FormatError, type TensorEntry, type TensorSource } from './types';
import { unpickleStateDictIsolated } from './unpickle-thread';
import { entryDataOffset, readZipDirectory, type ZipEntry } from './zip';

const STORAGE_DTYPES: Record<string, DType> = {
  'torch.FloatStorage': 'F32', 'torch.DoubleStorage': 'F64', 'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16', 'torch.LongStorage': 'I64', 'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16', 'torch.CharStorage': 'I8', 'torch.ByteStorage': 'U8', 'torch.BoolStorage': 'BOOL',
};
/** data.pkl of a state dict is small; anything larger than this is not a checkpoint's pickle. */
const MAX_PICKLE_BYTES = 64 * 1024 * 1024;
export const LEGACY_MESSAGE = 'legacy (non-zip) torch.save format is not supported; re-save with torch >= 1.6';

export interface TorchZipIndex {
  entries: TensorEntry[];
  centralDirectory: Uint8Array;
}

/** Refuse legacy and foreign files by their first bytes, before any parsing. */
async function checkMagic(file: RandomAccessFile): Promise<void> {
  const head = await file.readExact(0, Math.min(file.size, 512));
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return;
  if (head.length >= 2 && head[0] === 0x80 && head[1] <= 5) throw new FormatError(file.path, LEGACY_MESSAGE);
  if (head.length >= 262 && new TextDecoder('latin1').decode(head.subarray(257, 262)) === 'ustar') throw new FormatError(file.path, LEGACY_MESSAGE);
  throw new FormatError(file.path, 'not a torch.save zip archive (no zip signature at byte 0)');
}

function isContiguous(size: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}

/** Parse the archive and list its tensors with absolute byte ranges. */
export async function readTorchZipIndex(file: RandomAccessFile): Promise<TorchZipIndex> {
  const path = file.path;
  await checkMagic(file);
  const dir = await readZipDirectory(file);
  for (const e of dir.entries) {
    if (e.method !== 0) throw new FormatError(path, `zip entry "${e.name}" is compressed (method ${e.method}); torch.save writes stored entries only`);
    if (e.compressedSize !== e.uncompressedSize) throw new FormatError(path, `zip entry "${e.name}" is stored but its sizes differ`);
  }
  const pkl = dir.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pkl.length !== 1) throw new FormatError(path, pkl.length === 0 ? 'no {top}/data.pkl in the archive (not a torch.save file)' : 'several data.pkl entries');
  const top = pkl[0].name.slice(0, -'/data.pkl'.length);
  if (pkl[0].uncompressedSize > MAX_PICKLE_BYTES) throw new FormatError(path, `data.pkl of ${pkl[0].uncompressedSize} bytes is too large`);
  const byteorder = dir.entries.find((e) => e.name === `${top}/byteorder`);
  if (byteorder && byteorder.uncompressedSize <= 16) {
    const order = new TextDecoder().decode(await file.readExact(await entryDataOffset(file, byteorder, dir.centralDirectoryOffset), byteorder.uncompressedSize)).trim();
    if (order !== 'little') throw new FormatError(path, `storages are ${order}-endian; only little-endian archives are supported`);
  }
  const pickleStart = await entryDataOffset(file, pkl[0], dir.centralDirectoryOffset);
  const pickle = await file.readExact(pickleStart, pkl[0].uncompressedSize);
  // Off the main thread with memory and time bounds (unpickle-thread.ts); a dict DAG is refused.
  const tensors = await unpickleStateDictIsolated(pickle, path);

  const storageEntries = new Map<string, ZipEntry>();
  for (const e of dir.entries) if (e.name.startsWith(`${top}/data/`)) storageEntries.set(e.name.slice(top.length + 6), e);
  const storageStart = new Map<string, number>();
  for (const [, t] of tensors) {
    const key = t.storage.key;
    if (storageStart.has(key)) continue;
    const entry = storageEntries.get(key);
    if (!entry) throw new FormatError(path, `storage "${key}" is missing from the archive`);
    storageStart.set(key, await entryDataOffset(file, entry, dir.centralDirectoryOffset));
  }

  const entries: TensorEntry[] = [];
  const seen = new Set<string>();
  let expandedElements = 0;
  for (const [name, t] of tensors) {
    if (seen.has(name)) throw new FormatError(path, `duplicate tensor name "${name}"`);
    seen.add(name);
    const dtype = (Object.hasOwn(STORAGE_DTYPES, t.storage.storageClass) ? STORAGE_DTYPES[t.storage.storageClass] : undefined);
    if (!dtype) throw new FormatError(path, `tensor "${name}": storage class ${t.storage.storageClass} is not supported`);
    const itemsize = DTYPE_BYTES[dtype];
    const numel = checkedNumel(t.size);
    if (numel === null) throw new FormatError(path, `tensor "${name}": element count of shape [${t.size.join(', ')}] overflows`);
    const storageBytes = storageEntries.get(t.storage.key)!.uncompressedSize;
    const storageNumel = Math.floor(storageBytes / itemsize);
    if (t.storage.numel * itemsize > storageBytes) {
      throw new FormatError(path, `storage "${t.storage.key}" declares ${t.storage.numel} elements but its entry holds ${storageBytes} bytes`);
    }
    // Elements spanned from the first to the last element of the view (BigInt: hostile strides).
    let span = 0n;
    if (numel !== 0) {
      span = 1n;
      for (let d = 0; d < t.size.length; d++) span += BigInt(t.size[d] - 1) * BigInt(t.stride[d]);
    }
    if (BigInt(t.storageOffset) + span > BigInt(storageNumel)) {
      throw new FormatError(path, `tensor "${name}": view (offset ${t.storageOffset}, size [${t.size.join(', ')}], stride [${t.stride.join(', ')}]) runs past its storage of ${storageNumel} elements`);
    }
    // Expanded (zero-stride) views each cost a gather of up to MAX_EXPANDED_ELEMENTS; their total
    // per file is bounded too, so thousands of them cannot make one checkpoint take hours.
    if (BigInt(numel) > span) {
      expandedElements += numel;
      if (expandedElements > MAX_EXPANDED_TOTAL) throw new FormatError(path, `expanded (zero-stride) views total more than ${MAX_EXPANDED_TOTAL} elements; refused (a bound on hostile files)`);
    }
    const contiguous = isContiguous(t.size, t.stride);
    entries.push({
      name, dtype, shape: t.size.slice(), file: path,
      byteOffset: storageStart.get(t.storage.key)! + t.storageOffset * itemsize,
      byteLength: Number(span) * itemsize,
      ...(contiguous ? {} : { strides: t.stride.slice() }),
    });
  }
  return { entries, centralDirectory: dir.centralDirectory };
}

export { gatherStrided, MAX_EXPANDED_ELEMENTS } from './strided';
/** Sum of the elements of all expanded views of one file (4 of the largest). */
export const MAX_EXPANDED_TOTAL = 2 ** 28;

export async function readTorchEntry(file: RandomAccessFile, entry: TensorEntry, precision: 'f32' | 'f64'): Promise<Float32Array | Float64Array> {
  const numel = entry.shape.reduce((a, b) => a * b, 1);
  // Zero strides (expanded views) can make a tiny storage describe a huge tensor.
  if (numel > MAX_ARRAY_ELEMENTS) throw new FormatError(file.path, `tensor "${entry.name}" has ${numel} elements, more than one array can hold`);
  // An expanded view (more elements than its storage holds) is bounded: a 1 KB pickle must not
  // make us allocate gigabytes (found by fuzzing). Real checkpoints store no such views.
  const storageElements = entry.byteLength / DTYPE_BYTES[entry.dtype];
  if (numel > storageElements && numel > MAX_EXPANDED_ELEMENTS) {
    throw new FormatError(file.path, `tensor "${entry.name}" is an expanded view of ${numel} elements over a storage of ${storageElements}; views beyond ${MAX_EXPANDED_ELEMENTS} elements are refused`);
  }
  // Contiguous: the safetensors path (large tensors in pieces straight into the output).
  if (!entry.strides) return readEntry(file, entry, precision);
  const bytes = await file.readExact(entry.byteOffset, entry.byteLength);
  const spanElements = entry.byteLength / DTYPE_BYTES[entry.dtype];
  const span = decodeElements(bytes, entry.dtype, spanElements, precision);
  if (!entry.strides) return span;
  let out: Float32Array | Float64Array;
  try {
    out = precision === 'f64' ? new Float64Array(numel) : new Float32Array(numel);
  } catch {
    throw new FormatError(file.path, `tensor "${entry.name}" (${numel} elements) does not fit in memory`);
  }
  return gatherStrided(span, entry.shape, entry.strides, out);
}

export async function openTorchZip(path: string, options: { opener?: FileOpener } = {}): Promise<TensorSource> {
  const file = await (options.opener ?? openRandomAccess)(path);
  let index: TorchZipIndex;
  try {
    index = await readTorchZipIndex(file);
  } catch (err) {
    await file.close();
    throw err;
  }
  const byName = new Map(index.entries.map((e) => [e.name, e]));
  const scratch = new RangeScratch();
  let closed = false;
  return {
    path,
    format: 'torch-zip',
    list: () => index.entries.slice(),
    async read(name, precision = 'f32') {
      if (closed) throw new FormatError(path, `read of "${name}" after close`);
      const entry = byName.get(name);
      if (!entry) throw new FormatError(path, `no tensor named "${name}"`);
      return readTorchEntry(file, entry, precision);
    },
    async readRange(name, start, count, precision = 'f32', into) {
      if (closed) throw new FormatError(path, `read of "${name}" after close`);
      const entry = byName.get(name);
      if (!entry) throw new FormatError(path, `no tensor named "${name}"`);
      return scratch.with(count * DTYPE_BYTES[entry.dtype], (bytes) => readEntryRange(file, entry, start, count, precision, () => readTorchEntry(file, entry, precision), into, bytes));
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
