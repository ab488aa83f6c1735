// Integrity of a checkpoint series: a cheap fingerprint per weight file and per checkpoint, a full
// sha256 on request, and the warnings published series need (Pythia issues #83, #195, #205, #206,
// #94...): identical weights at two steps, one shard equal to the same shard of another step, and
// steps missing from an otherwise regular schedule.
//
// The cheap fingerprint covers every tensor: the file size, the safetensors header or zip central
// directory (names, dtypes, shapes, offsets), and sampled blocks of each tensor's bytes (start,
// middle, end). A run in which only some tensors change between checkpoints (a frozen-layer
// fine-tune) therefore gets distinct fingerprints, and a checkpoint overwritten in place gets a
// new one, so its cached units are computed again (the units' stamps hold the fingerprint). Two
// checkpoints whose cheap fingerprints agree are compared by a full sha256 before the app says
// they hold identical weights; when the full hashes differ, both take the full hash as their
// fingerprint so the cache tells them apart.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { DTYPE_BYTES, type CheckpointInfo, type DType, type IntegrityWarning } from '../../common/domain';
import { openRandomAccess, type RandomAccessFile } from '../formats/random-access';
import { readSafetensorsHeader } from '../formats/safetensors';
import { readTorchZipIndex } from '../formats/torch-zip';

/** Blocks sampled from each tensor's bytes (start, middle, end) and their size. */
const TENSOR_BLOCKS = 3;
const TENSOR_BLOCK_BYTES = 256;

export interface FileFingerprint {
  /** Path as listed in the checkpoint folder. */
  file: string;
  /** Shard name (file name), used to compare the same shard across steps. */
  shard: string;
  size: number;
  fingerprint: string;
  /** Bytes per dtype, from the header. */
  dtypeBytes: Partial<Record<DType, number>>;
  /** Tensors covered by the sampled blocks. */
  tensors: number;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every byte of short spans; TENSOR_BLOCKS evenly spaced blocks (first and last included) of long ones. */
async function sampledBlocks(file: RandomAccessFile, start: number, length: number, hash: ReturnType<typeof createHash>): Promise<void> {
  if (length <= 0) return;
  if (length <= TENSOR_BLOCKS * TENSOR_BLOCK_BYTES) {
    hash.update(await file.readExact(start, length));
    return;
  }
  for (let k = 0; k < TENSOR_BLOCKS; k++) {
    const at = start + Math.floor(((length - TENSOR_BLOCK_BYTES) * k) / (TENSOR_BLOCKS - 1));
    hash.update(await file.readExact(at, TENSOR_BLOCK_BYTES));
  }
}

/** Full sha256 of files already read, by path, size and modification time (rescans reuse them). */
const fullHashes = new Map<string, string>();

async function fullHashOf(path: string): Promise<string> {
  const st = await stat(path);
  const key = `${path}\u0000${st.size}\u0000${st.mtimeMs}\u0000${st.ino}`;
  let h = fullHashes.get(key);
  if (!h) {
    h = await sha256OfFile(path);
    if (fullHashes.size > 4096) fullHashes.clear();
    fullHashes.set(key, h);
  }
  return h;
}

/**
 * Fingerprint one weight file, validating its header on the way (a broken file throws the reader's
 * FormatError). `fullHash` replaces the sampled blocks with the sha256 of the whole file.
 */
export async function fingerprintWeightFile(path: string, options: { fullHash?: boolean } = {}): Promise<FileFingerprint> {
  const file = await openRandomAccess(path);
  try {
    const hash = createHash('sha256');
    hash.update(`size:${file.size};`);
    const dtypeBytes: Partial<Record<DType, number>> = {};
    let entries;
    if (path.endsWith('.safetensors')) {
      const header = await readSafetensorsHeader(file);
      hash.update(header.headerBytes);
      entries = header.entries;
    } else {
      const index = await readTorchZipIndex(file);
      hash.update(index.centralDirectory);
      entries = index.entries;
    }
    for (const e of entries) dtypeBytes[e.dtype] = (dtypeBytes[e.dtype] ?? 0) + e.byteLength;
    if (options.fullHash) {
      const full = await fullHashOf(path);
      return { file: path, shard: basename(path), size: file.size, fingerprint: `sha256:${full}`, dtypeBytes, tensors: entries.length };
    }
    // Every tensor, in file order: its name, dtype, shape and place, then blocks of its bytes.
    for (const e of entries) {
      hash.update(`${e.name}|${e.dtype}|${e.shape.join('x')}|${e.byteOffset}|${e.byteLength};`);
      await sampledBlocks(file, e.byteOffset, Math.min(e.byteLength, file.size - e.byteOffset), hash);
    }
    return { file: path, shard: basename(path), size: file.size, fingerprint: `fp:${hash.digest('hex').slice(0, 32)}`, dtypeBytes, tensors: entries.length };
  } finally {
    await file.close();
  }
}

/** One fingerprint for a checkpoint from its files' fingerprints (order-independent by shard name). */
export function combineFingerprints(files: FileFingerprint[]): string {
  const full = files.length > 0 && files.every((f) => f.fingerprint.startsWith('sha256:'));
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.shard.localeCompare(b.shard))) hash.update(`${f.shard}=${f.fingerprint};`);
  return `${full ? 'sha256' : 'fp'}:${hash.digest('hex').slice(0, 32)}`;
}

/** Dominant dtype by bytes, preferring floating dtypes (the weights) over integer buffers. */
export function dominantDtype(files: FileFingerprint[]): DType | null {
  const total: Partial<Record<DType, number>> = {};
  for (const f of files) for (const [d, n] of Object.entries(f.dtypeBytes)) total[d as DType] = (total[d as DType] ?? 0) + (n ?? 0);
  const floats: DType[] = ['F16', 'BF16', 'F32', 'F64'];
  const pick = (candidates: DType[]): DType | null => {
    let best: DType | null = null;
    for (const d of candidates) if ((total[d] ?? 0) > 0 && (best === null || (total[d] ?? 0) > (total[best] ?? 0))) best = d;
    return best;
  };
  return pick(floats) ?? pick(Object.keys(DTYPE_BYTES) as DType[]);
}

export interface MissingSteps {
  missing: number[];
  /** Human description of the schedule that was recognised. */
  schedule: string;
}

/**
 * Steps absent from a regular schedule: evenly spaced steps (the spacing that occurs in a run of
 * at least 3 equal gaps), preceded optionally by log-spaced powers of two (Pythia: 0, 1, 2, 4, ...,
 * 512, then every 1000). Returns no missing steps when no regular pattern is recognised.
 */
export function detectMissingSteps(stepsIn: readonly number[]): MissingSteps {
  const steps = [...new Set(stepsIn)].filter((s) => Number.isSafeInteger(s) && s >= 0).sort((a, b) => a - b);
  const present = new Set(steps);
  const parts: string[] = [];
  const missing: number[] = [];
  // The spacing: the most frequent gap between consecutive steps, when it occurs at least 3 times.
  const gapCounts = new Map<number, number>();
  for (let i = 1; i < steps.length; i++) gapCounts.set(steps[i] - steps[i - 1], (gapCounts.get(steps[i] - steps[i - 1]) ?? 0) + 1);
  let spacing = 0;
  let spacingCount = 0;
  for (const [gap, count] of gapCounts) if (count > spacingCount || (count === spacingCount && gap > spacing)) [spacing, spacingCount] = [gap, count];
  let firstEven = Infinity;
  if (spacingCount >= 3) {
    // The even part: the positive steps with the residue most of them share (step 0 is the init;
    // a last step off the grid, e.g. a final save, must not pick the residue: that made
    // "every 400 from 2600 to 2600").
    const residues = new Map<number, number>();
    for (const s of steps) if (s > 0) residues.set(s % spacing, (residues.get(s % spacing) ?? 0) + 1);
    let residue = 0;
    let residueCount = 0;
    for (const [r, count] of residues) if (count > residueCount) [residue, residueCount] = [r, count];
    const even = steps.filter((s) => s % spacing === residue && s > 0);
    const first = even[0];
    const last = even[even.length - 1];
    const expected = (last - first) / spacing + 1;
    // More holes than steps is not a regular schedule with gaps but a different schedule.
    if (even.length >= 3 && expected <= 2 * even.length) {
      firstEven = first;
      for (let s = first; s <= last; s += spacing) if (!present.has(s)) missing.push(s);
      parts.push(`every ${spacing} from ${first} to ${last}`);
    }
  }
  const powers = steps.filter((s) => s > 0 && s < firstEven && (s & (s - 1)) === 0 && s <= 2 ** 30);
  if (powers.length >= 3) {
    const limit = Number.isFinite(firstEven) ? firstEven : powers[powers.length - 1] + 1;
    const logMissing: number[] = [];
    for (let p = powers[0]; p < limit; p *= 2) if (!present.has(p)) logMissing.push(p);
    missing.unshift(...logMissing);
    parts.unshift(`powers of two from ${powers[0]}`);
  }
  return { missing: missing.sort((a, b) => a - b), schedule: parts.join(', then ') };
}

export interface CheckpointFiles {
  checkpoint: CheckpointInfo;
  files: FileFingerprint[];
}

function listSteps(cks: CheckpointInfo[]): string {
  return cks.map((c) => c.label).join(', ');
}

/** The sha256 of each of a checkpoint's files (full mode: already their fingerprints). */
async function fullFileHashes(item: CheckpointFiles): Promise<FileFingerprint[]> {
  return Promise.all(item.files.map(async (f) => (f.fingerprint.startsWith('sha256:') ? f : { ...f, fingerprint: `sha256:${await fullHashOf(f.file)}` })));
}

/**
 * Checkpoints whose cheap fingerprints agree, grouped again by their full sha256. Each checkpoint
 * of such a group takes the full hash as its fingerprint when it differs from the others'.
 */
async function confirmByFullHash(group: CheckpointFiles[]): Promise<CheckpointFiles[][]> {
  const full = await Promise.all(group.map(async (i) => ({ item: i, files: await fullFileHashes(i) })));
  const byHash = new Map<string, CheckpointFiles[]>();
  for (const { item, files } of full) {
    const fp = combineFingerprints(files);
    byHash.set(fp, [...(byHash.get(fp) ?? []), item]);
  }
  if (byHash.size > 1) for (const { item, files } of full) item.checkpoint.fingerprint = combineFingerprints(files);
  return [...byHash.values()];
}

/**
 * Run-level integrity warnings; also appends messages to the checkpoints concerned. Identical
 * weights and identical shards are said only when a full sha256 confirms the cheap fingerprints.
 */
export async function integrityWarnings(items: CheckpointFiles[], fullHash: boolean): Promise<IntegrityWarning[]> {
  const warnings: IntegrityWarning[] = [];
  const present = items.filter((i) => !i.checkpoint.missing && i.files.length > 0);
  const how = fullHash ? 'sha256' : 'sha256 of every file, after their sampled fingerprints agreed';
  const byFingerprint = new Map<string, CheckpointFiles[]>();
  for (const i of present) byFingerprint.set(i.checkpoint.fingerprint, [...(byFingerprint.get(i.checkpoint.fingerprint) ?? []), i]);
  for (const candidates of byFingerprint.values()) {
    // Same step saved twice (Trainer's final model = its last checkpoint) is expected, not a defect.
    if (candidates.length < 2 || new Set(candidates.map((i) => i.checkpoint.step)).size === 1) continue;
    for (const confirmed of fullHash ? [candidates] : await confirmByFullHash(candidates)) {
      const group = confirmed.map((i) => i.checkpoint);
      if (group.length < 2 || new Set(group.map((c) => c.step)).size === 1) continue;
      const message = `${listSteps(group)} hold identical weights (${how})`;
      warnings.push({ kind: 'identical-weights', message, checkpoints: group.map((c) => c.id) });
      for (const c of group) c.warnings.push(message);
    }
  }
  // Same shard equal across steps whose checkpoints otherwise differ (pythia-12b #206).
  const byShard = new Map<string, { file: FileFingerprint; item: CheckpointFiles }[]>();
  for (const i of present) {
    if (i.files.length < 2) continue;
    for (const f of i.files) byShard.set(f.shard, [...(byShard.get(f.shard) ?? []), { file: f, item: i }]);
  }
  const shardHow = fullHash ? 'sha256' : 'sha256 of the shard, after their sampled fingerprints agreed';
  for (const [shard, list] of byShard) {
    const cheap = new Map<string, { file: FileFingerprint; item: CheckpointFiles }[]>();
    for (const x of list) cheap.set(x.file.fingerprint, [...(cheap.get(x.file.fingerprint) ?? []), x]);
    for (const candidates of cheap.values()) {
      if (candidates.length < 2 || new Set(candidates.map((x) => x.item.checkpoint.fingerprint)).size === 1) continue;
      const groups = new Map<string, CheckpointInfo[]>();
      for (const { file, item } of candidates) {
        const h = fullHash ? file.fingerprint : await fullHashOf(file.file);
        groups.set(h, [...(groups.get(h) ?? []), item.checkpoint]);
      }
      for (const group of groups.values()) {
        if (group.length < 2 || new Set(group.map((c) => c.fingerprint)).size === 1) continue;
        const message = `shard ${shard} is identical in ${listSteps(group)} although the checkpoints differ (${shardHow})`;
        warnings.push({ kind: 'identical-shard', message, checkpoints: group.map((c) => c.id) });
        for (const c of group) c.warnings.push(message);
      }
    }
  }
  const missingWeights = items.filter((i) => i.checkpoint.missing).map((i) => i.checkpoint);
  if (missingWeights.length > 0) {
    warnings.push({
      kind: 'missing-weights',
      message: `${missingWeights.length} listed checkpoint(s) have no weight files: ${listSteps(missingWeights)}`,
      checkpoints: missingWeights.map((c) => c.id),
    });
  }
  const steps = items.map((i) => i.checkpoint.step).filter((s): s is number => s !== null);
  const gaps = detectMissingSteps(steps);
  if (gaps.missing.length > 0) {
    const shown = gaps.missing.length > 20 ? `${gaps.missing.slice(0, 20).join(', ')} ... (${gaps.missing.length} in all)` : gaps.missing.join(', ');
    warnings.push({ kind: 'missing-steps', message: `steps missing from the schedule (${gaps.schedule}): ${shown}`, checkpoints: [] });
  }
  return warnings;
}
