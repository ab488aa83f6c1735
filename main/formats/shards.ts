// Sharded checkpoints: `model.safetensors.index.json` / `pytorch_model.bin.index.json` map each
// tensor to a shard file (`weight_map`). One TensorSource spans all shards and records which file
// each tensor came from. Shard headers are read at open (list() needs dtypes and shapes), then
// their files are closed; a shard's file is reopened on its first tensor read and kept until close.
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { openRandomAccess, type FileOpener, type RandomAccessFile } from './random-access';
import { readEntryCodes } from './read-codes';
import { readJsonRegular } from './regular-file';
import { RangeScratch, readEntry, readEntryRange, readSafetensorsHeader } from './safetensors';
import { DTYPE_BYTES } from '../../common/domain';
import { readTorchEntry, readTorchZipIndex } from './torch-zip';
import { FormatError, type TensorEntry, type TensorSource } from './types';

const MAX_INDEX_BYTES = 64 * 1024 * 1024;

export interface ShardIndex {
  indexFile: string;
  /** Absolute shard paths, in order of first appearance in weight_map. */
  shards: string[];
  weightMap: Map<string, string>;
  totalSize: number | null;
}

/** Parse and validate a shard index; shard names must stay inside the index's folder. */
export async function readShardIndex(indexFile: string): Promise<ShardIndex> {
  const fail = (problem: string): never => {
    throw new FormatError(indexFile, problem);
  };
  let parsed: unknown;
  try {
    // A regular file (never a FIFO), size-capped; a JSON error names the position, not the text.
    parsed = await readJsonRegular(indexFile, MAX_INDEX_BYTES, 'shard index');
  } catch (err) {
    if (err instanceof FormatError) {
      fail(err.problem.startsWith('cannot open') ? `cannot read shard index: ${err.problem.slice('cannot open: '.length)}` : err.problem.replace(/^file of (\d+) bytes is larger.*/, 'shard index of $1 bytes is too large'));
    }
    throw err;
  }
  const obj = parsed as { weight_map?: unknown; metadata?: { total_size?: unknown } };
  if (typeof obj !== 'object' || obj === null || typeof obj.weight_map !== 'object' || obj.weight_map === null || Array.isArray(obj.weight_map)) {
    fail('shard index has no weight_map object');
  }
  const folder = dirname(indexFile);
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  for (const [tensor, shard] of Object.entries(obj.weight_map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard === '') fail(`weight_map entry "${tensor}" is not a file name`);
    const s = shard as string;
    if (isAbsolute(s) || normalize(s).split(/[\\/]/).includes('..')) fail(`weight_map entry "${tensor}" names ${s}, outside the checkpoint folder`);
    const abs = join(folder, normalize(s));
    if (!abs.startsWith(folder + sep)) fail(`weight_map entry "${tensor}" names ${s}, outside the checkpoint folder`);
    if (!shards.includes(abs)) shards.push(abs);
    weightMap.set(tensor, abs);
  }
  if (shards.length === 0) fail('shard index lists no tensors');
  const total = obj.metadata?.total_size;
  return { indexFile, shards, weightMap, totalSize: typeof total === 'number' ? total : null };
}

type ShardKind = 'safetensors' | 'torch-zip';
const kindOf = (file: string): ShardKind => (file.endsWith('.safetensors') ? 'safetensors' : 'torch-zip');

/** List one shard's tensors from its header (opens and closes the file). */
async function listShard(file: string, opener: FileOpener): Promise<TensorEntry[]> {
  const handle = await opener(file);
  try {
    return kindOf(file) === 'safetensors' ? (await readSafetensorsHeader(handle)).entries : (await readTorchZipIndex(handle)).entries;
  } finally {
    await handle.close();
  }
}

export async function openShardedCheckpoint(indexFile: string, options: { opener?: FileOpener } = {}): Promise<TensorSource> {
  const opener = options.opener ?? openRandomAccess;
  const index = await readShardIndex(indexFile);
  const kinds = new Set(index.shards.map(kindOf));
  if (kinds.size !== 1) throw new FormatError(indexFile, 'shard index mixes safetensors and torch shards');
  const format = [...kinds][0];
  const entries: TensorEntry[] = [];
  const byName = new Map<string, TensorEntry>();
  for (const shard of index.shards) {
    for (const e of await listShard(shard, opener)) {
      if (byName.has(e.name)) throw new FormatError(shard, `tensor "${e.name}" also appears in ${byName.get(e.name)!.file}`);
      byName.set(e.name, e);
      entries.push(e);
    }
  }
  for (const [tensor, shard] of index.weightMap) {
    const found = byName.get(tensor);
    if (!found) throw new FormatError(indexFile, `weight_map lists "${tensor}" in ${shard}, which does not hold it`);
    if (found.file !== shard) throw new FormatError(indexFile, `weight_map puts "${tensor}" in ${shard} but it is in ${found.file}`);
  }
  const open = new Map<string, Promise<RandomAccessFile>>();
  const scratch = new RangeScratch();
  let closed = false;
  const fileOf = async (name: string): Promise<{ file: RandomAccessFile; entry: TensorEntry }> => {
    if (closed) throw new FormatError(indexFile, `read of "${name}" after close`);
    const entry = byName.get(name);
    if (!entry) throw new FormatError(indexFile, `no tensor named "${name}"`);
    let handle = open.get(entry.file);
    if (!handle) {
      handle = opener(entry.file);
      open.set(entry.file, handle);
      handle.catch(() => open.delete(entry.file));
    }
    return { file: await handle, entry };
  };
  return {
    path: indexFile,
    format,
    list: () => entries.slice(),
    async read(name, precision = 'f32') {
      const { file, entry } = await fileOf(name);
      return format === 'safetensors' ? readEntry(file, entry, precision) : readTorchEntry(file, entry, precision);
    },
    async readRange(name, start, count, precision = 'f32', into) {
      const { file, entry } = await fileOf(name);
      const whole = (): Promise<Float32Array | Float64Array> => (format === 'safetensors' ? readEntry(file, entry, precision) : readTorchEntry(file, entry, precision));
      return scratch.with(count * DTYPE_BYTES[entry.dtype], (bytes) => readEntryRange(file, entry, start, count, precision, whole, into, bytes));
    },
    async readCodes(name, start, count, into) {
      const { file, entry } = await fileOf(name);
      return readEntryCodes(file, entry, start, count, into);
    },
    async close() {
      if (closed) return;
      closed = true;
      const handles = await Promise.allSettled(open.values());
      await Promise.all(handles.map((h) => (h.status === 'fulfilled' ? h.value.close() : undefined)));
    },
  };
}
