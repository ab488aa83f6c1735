// Shared by every layout: describe one checkpoint folder (which weight files, format, dominant
// dtype, fingerprint) from headers only, and assemble a RunInfo with its integrity warnings.
// A broken checkpoint becomes a warning on that checkpoint, never an exception for the scan.
import { createHash } from 'node:crypto';
import { assignTokens } from './tokens';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CheckpointInfo, Family, IntegrityWarning, LayoutKind, ModelConfig, RunInfo, TrainingLogEntry } from '../../common/domain';
import { familyOf, readModelConfig } from '../architectures/index';
import { listWeightFiles } from '../formats/index';
import { readJsonRegular } from '../formats/regular-file';
import { combineFingerprints, dominantDtype, fingerprintWeightFile, integrityWarnings, type CheckpointFiles, type FileFingerprint } from './integrity';
import { ScanRefusal, type PathGuard } from './guard';

export interface ScanOptions {
  fullHash?: boolean;
}

export interface CheckpointSpec {
  id: string;
  label: string;
  step: number | null;
  folder: string;
  /** Known to be absent (e.g. a hub ref whose snapshot folder does not exist). */
  absent?: boolean;
  /** A single weights file instead of a folder. */
  file?: string;
}

const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Read a small JSON file inside the guarded root; null when absent or unreadable. */
export async function readJsonFile(path: string, guard: PathGuard): Promise<unknown> {
  try {
    // Regular files only (a FIFO named config.json would block forever), size-capped.
    return await readJsonRegular(await guard.resolve(path), MAX_JSON_BYTES);
  } catch {
    return null;
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * `path` when it resolves inside the opened folder (the guard's rule, hub blob links included) to
 * a regular file; else null. Every file the scan hands on to be read later (tokenizer.json) passes
 * here, so a link to a file elsewhere, or a FIFO, is never offered.
 */
export async function confinedFile(path: string, guard: PathGuard): Promise<string | null> {
  try {
    const real = await guard.resolve(path);
    return (await stat(real)).isFile() ? path : null;
  } catch {
    return null;
  }
}

/** Run `fn` over items with at most `limit` in flight, keeping order. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function describeCheckpoint(spec: CheckpointSpec, guard: PathGuard, options: ScanOptions): Promise<CheckpointFiles> {
  const checkpoint: CheckpointInfo = {
    id: spec.id, label: spec.label, step: spec.step, folder: spec.folder, weightFiles: [], format: null,
    dtype: null, fingerprint: '', missing: false, warnings: [],
  };
  if (spec.absent) {
    checkpoint.missing = true;
    checkpoint.warnings.push('listed but its files are absent (partial download?)');
    return { checkpoint, files: [] };
  }
  try {
    await guard.resolve(spec.folder);
    let weightFiles: string[];
    if (spec.file) {
      weightFiles = [spec.file];
      checkpoint.format = spec.file.endsWith('.safetensors') ? 'safetensors' : 'torch-zip';
    } else {
      const weights = await listWeightFiles(spec.folder, { checkPath: (p) => guard.resolve(p) });
      if (!weights) {
        checkpoint.missing = true;
        checkpoint.warnings.push('no weight files in this folder (partial download?)');
        return { checkpoint, files: [] };
      }
      weightFiles = weights.files;
      checkpoint.format = weights.format;
    }
    checkpoint.weightFiles = weightFiles;
    const files: FileFingerprint[] = [];
    for (const f of weightFiles) {
      try {
        await guard.resolve(f);
      } catch (err) {
        // A snapshot link whose blob never arrived is a partial download: missing, not broken.
        if (err instanceof ScanRefusal && err.problem.startsWith('dangling')) {
          checkpoint.missing = true;
          checkpoint.warnings.push(`weight file ${basename(f)} is absent (dangling link: partial download?)`);
          return { checkpoint, files: [] };
        }
        throw err;
      }
      files.push(await fingerprintWeightFile(f, options));
    }
    checkpoint.fingerprint = combineFingerprints(files);
    checkpoint.dtype = dominantDtype(files);
    return { checkpoint, files };
  } catch (err) {
    checkpoint.warnings.push(`unreadable: ${(err as Error).message}`);
    return { checkpoint, files: [] };
  }
}

export function sortByStep(items: CheckpointFiles[]): CheckpointFiles[] {
  return [...items].sort((a, b) => {
    const sa = a.checkpoint.step;
    const sb = b.checkpoint.step;
    if (sa === null && sb === null) return a.checkpoint.label.localeCompare(b.checkpoint.label);
    if (sa === null) return 1;
    if (sb === null) return -1;
    return sa - sb;
  });
}

export function runId(realRoot: string, name: string): string {
  return createHash('sha256').update(`${realRoot}\0${name}`).digest('hex').slice(0, 16);
}

export interface RunParts {
  name: string;
  layout: LayoutKind;
  /** Real path of the run's root (folder of the series). */
  root: string;
  rawConfig: Record<string, unknown> | null;
  tokenizerPath: string | null;
  items: CheckpointFiles[];
  trainingLog: TrainingLogEntry[];
  options: ScanOptions;
  /** Tokens seen read per checkpoint id (trainer_state.json), and per logged step (main/layouts/tokens.ts). */
  tokens?: ReadonlyMap<string, number>;
  tokensByStep?: ReadonlyMap<number, number>;
}

export async function assembleRun(parts: RunParts): Promise<RunInfo> {
  const warnings: IntegrityWarning[] = [];
  let family: Family = 'unknown';
  let config: ModelConfig | null = null;
  if (parts.rawConfig) {
    family = familyOf(parts.rawConfig);
    try {
      config = readModelConfig(parts.rawConfig);
    } catch (err) {
      warnings.push({ kind: 'other', message: `config.json: ${(err as Error).message}`, checkpoints: [] });
    }
  }
  const items = sortByStep(parts.items);
  assignTokens(items.map((i) => i.checkpoint), parts.tokens, parts.tokensByStep);
  const unreadable = items.filter((i) => i.checkpoint.warnings.some((w) => w.startsWith('unreadable:')));
  for (const i of unreadable) {
    warnings.push({ kind: 'unreadable', message: `${i.checkpoint.label}: ${i.checkpoint.warnings.find((w) => w.startsWith('unreadable:'))}`, checkpoints: [i.checkpoint.id] });
  }
  warnings.push(...(await integrityWarnings(items, parts.options.fullHash ?? false)));
  return {
    id: runId(parts.root, parts.name),
    name: parts.name,
    layout: parts.layout,
    root: parts.root,
    family,
    config,
    rawConfig: parts.rawConfig,
    tokenizerPath: parts.tokenizerPath,
    checkpoints: items.map((i) => i.checkpoint),
    trainingLog: parts.trainingLog,
    warnings,
  };
}

/** Training log entries from a trainer_state.json `log_history` or a bundled training_log.json array. */
export function trainingLogFrom(value: unknown): TrainingLogEntry[] {
  const list = Array.isArray(value) ? value : (value as { log_history?: unknown } | null)?.log_history;
  if (!Array.isArray(list)) return [];
  const out: TrainingLogEntry[] = [];
  for (const raw of list) {
    if (typeof raw !== 'object' || raw === null) continue;
    const r = raw as Record<string, unknown>;
    if (typeof r.step !== 'number') continue;
    const entry: TrainingLogEntry & { eval_loss?: number } = { step: r.step };
    for (const key of ['loss', 'learning_rate', 'grad_norm', 'eval_loss'] as const) {
      if (typeof r[key] === 'number') entry[key] = r[key] as number;
    }
    if (Object.keys(entry).length > 1) out.push(entry);
  }
  return out.sort((a, b) => a.step - b.step);
}
