// Entry point of the readers: pick the weight files of a checkpoint folder by FORMATS.md's
// preference order (sharded safetensors > safetensors > sharded .bin > .bin > *.pt/*.pth) and open
// them as one TensorSource.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { WeightFormat } from '../../common/domain';
import { openRandomAccess, type FileOpener } from './random-access';
import { openSafetensors } from './safetensors';
import { openShardedCheckpoint, readShardIndex } from './shards';
import { openTorchZip } from './torch-zip';
import { FormatError, type TensorSource } from './types';

export type WeightFileKind = 'safetensors-index' | 'safetensors' | 'bin-index' | 'bin' | 'pt';

export interface WeightFiles {
  kind: WeightFileKind;
  format: WeightFormat;
  /** The file to open: the index for sharded checkpoints, else the weights file. */
  entry: string;
  /** Every file holding weights (the shards for sharded checkpoints). */
  files: string[];
}

/** Files next to the weights that are training state, never weights. */
const TRAINING_STATE = /^(optimizer|scheduler|rng_state.*|training_args|scaler)\.(pt|pth|bin)$/;

export interface ListOptions {
  /** Called on a shard index before it is read (the scan's confinement check); may throw. */
  checkPath?: (path: string) => Promise<unknown>;
}

/**
 * Which weight files a folder holds, by preference; null when it holds none. Throws FormatError
 * when the choice would be a guess (several unrelated weight files, shards without their index).
 */
export async function listWeightFiles(folder: string, options: ListOptions = {}): Promise<WeightFiles | null> {
  let names: string[];
  try {
    names = (await readdir(folder)).sort();
  } catch (err) {
    throw new FormatError(folder, `cannot list folder: ${(err as Error).message}`);
  }
  const has = new Set(names);
  const abs = (n: string): string => join(folder, n);
  if (has.has('model.safetensors.index.json')) {
    await options.checkPath?.(abs('model.safetensors.index.json'));
    const index = await readShardIndex(abs('model.safetensors.index.json'));
    return { kind: 'safetensors-index', format: 'safetensors', entry: index.indexFile, files: index.shards };
  }
  if (has.has('model.safetensors')) return { kind: 'safetensors', format: 'safetensors', entry: abs('model.safetensors'), files: [abs('model.safetensors')] };
  if (has.has('pytorch_model.bin.index.json')) {
    await options.checkPath?.(abs('pytorch_model.bin.index.json'));
    const index = await readShardIndex(abs('pytorch_model.bin.index.json'));
    return { kind: 'bin-index', format: 'torch-zip', entry: index.indexFile, files: index.shards };
  }
  if (has.has('pytorch_model.bin')) return { kind: 'bin', format: 'torch-zip', entry: abs('pytorch_model.bin'), files: [abs('pytorch_model.bin')] };
  // Other names: a lone safetensors file, else a lone .pt/.pth/.bin that is not training state.
  const pick = (candidates: string[]): string | null => {
    if (candidates.length <= 1) return candidates[0] ?? null;
    if (candidates.some((n) => /-\d+-of-\d+\./.test(n))) {
      throw new FormatError(folder, `shard files (${candidates.join(', ')}) without their .index.json`);
    }
    const model = candidates.filter((n) => /model/i.test(n));
    if (model.length === 1) return model[0];
    throw new FormatError(folder, `several candidate weight files (${candidates.join(', ')}); open one of them directly`);
  };
  const st = pick(names.filter((n) => n.endsWith('.safetensors')));
  if (st) return { kind: 'safetensors', format: 'safetensors', entry: abs(st), files: [abs(st)] };
  const pt = pick(names.filter((n) => /\.(pt|pth|bin)$/.test(n) && !TRAINING_STATE.test(n)));
  if (pt) return { kind: 'pt', format: 'torch-zip', entry: abs(pt), files: [abs(pt)] };
  return null;
}

/** Open a single weights file by its name. */
async function openFile(file: string, opener: FileOpener): Promise<TensorSource> {
  const name = basename(file);
  if (name.endsWith('.index.json')) return openShardedCheckpoint(file, { opener });
  if (name.endsWith('.safetensors')) return openSafetensors(file, { opener });
  return openTorchZip(file, { opener });
}

/** Open a checkpoint folder (by preference order) or one weights / index file. */
export async function openCheckpoint(folderOrFile: string, options: { opener?: FileOpener } = {}): Promise<TensorSource> {
  const opener = options.opener ?? openRandomAccess;
  let info;
  try {
    info = await stat(folderOrFile);
  } catch (err) {
    throw new FormatError(folderOrFile, `cannot open: ${(err as Error).message}`);
  }
  if (!info.isDirectory()) return openFile(folderOrFile, opener);
  const weights = await listWeightFiles(folderOrFile);
  if (!weights) throw new FormatError(folderOrFile, 'no weight files (model.safetensors, pytorch_model.bin, *.pt, ...) in this folder');
  return openFile(weights.entry, opener);
}
