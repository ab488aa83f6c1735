// Scan opened paths for checkpoint series. One opened folder may hold several runs (a hub cache
// with several models, a folder of trainer outputs); each folder is classified as hub model, hub
// root, trainer output, step folders or single checkpoint, else its subfolders are searched (a few
// levels deep). Nothing outside the opened folder is followed; failures become `errors` entries
// and the scan goes on.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { RunInfo } from '../../common/domain';
import { listWeightFiles } from '../formats/index';
import { specialKind } from '../formats/regular-file';
import type { ScanOptions } from './checkpoint';
import { PathGuard, ScanRefusal } from './guard';
import { scanHubModel } from './hf-cache';
import { scanSingleFile, scanSingleFolder } from './single';
import { scanStepFolders, stepCheckpointFolders } from './step-folders';
import { scanTrainerRun, trainerCheckpointFolders } from './trainer';

export interface ScanError {
  path: string;
  message: string;
}

export interface ScanResult {
  runs: RunInfo[];
  errors: ScanError[];
}

const MAX_DEPTH = 4;
const WEIGHT_FILE = /\.(safetensors|bin|pt|pth)$/;
const SKIP_FOLDERS = new Set(['node_modules', '.git', '.no_exist', '__pycache__']);

interface ScanState {
  guard: PathGuard;
  options: ScanOptions;
  runs: RunInfo[];
  errors: ScanError[];
  visited: Set<string>;
}

function errorOf(path: string, err: unknown): ScanError {
  if (err instanceof ScanRefusal) return { path: err.path, message: err.problem };
  const e = err as Error & { file?: string; problem?: string };
  if (e.file && e.problem) return { path: e.file, message: e.problem };
  return { path, message: e.message ?? String(err) };
}

/** Subfolder names, following only symlinks that stay inside the opened folder. */
async function subfolders(folder: string, state: ScanState): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) out.push(e.name);
    else if (e.isSymbolicLink()) {
      const p = join(folder, e.name);
      try {
        const real = await state.guard.resolve(p);
        if ((await stat(real)).isDirectory()) out.push(e.name);
      } catch (err) {
        state.errors.push(errorOf(p, err));
      }
    }
  }
  return out.sort();
}

async function scanFolder(folder: string, depth: number, state: ScanState): Promise<void> {
  let real: string;
  try {
    real = await state.guard.resolve(folder);
  } catch (err) {
    state.errors.push(errorOf(folder, err));
    return;
  }
  if (state.visited.has(real)) {
    state.errors.push({ path: folder, message: `symlink loop: resolves to ${real}, already scanned; not followed` });
    return;
  }
  state.visited.add(real);
  let subs: string[];
  try {
    subs = await subfolders(folder, state);
  } catch (err) {
    state.errors.push({ path: folder, message: `cannot read folder: ${(err as Error).message}` });
    return;
  }
  const run = async (f: () => Promise<RunInfo>): Promise<void> => {
    try {
      state.runs.push(await f());
    } catch (err) {
      state.errors.push(errorOf(folder, err));
    }
  };
  if (basename(folder).startsWith('models--') && (subs.includes('snapshots') || subs.includes('refs'))) {
    await run(() => scanHubModel(folder, state.guard, state.options));
    return;
  }
  const hubModels = subs.filter((s) => s.startsWith('models--'));
  if (hubModels.length > 0) {
    for (const m of hubModels) await scanFolder(join(folder, m), depth + 1, state);
    return;
  }
  if (trainerCheckpointFolders(subs).length > 0) {
    await run(() => scanTrainerRun(folder, subs, state.guard, state.options));
    return;
  }
  const steps = await stepCheckpointFolders(folder, subs, state.guard);
  if (steps.length > 0) {
    await run(() => scanStepFolders(folder, steps, state.guard, state.options));
    return;
  }
  const weights = await listWeightFiles(folder, { checkPath: (p) => state.guard.resolve(p) }).catch((err: unknown) => {
    state.errors.push(errorOf(folder, err));
    return null;
  });
  if (weights) {
    await run(() => scanSingleFolder(folder, state.guard, state.options));
    return;
  }
  if (depth >= MAX_DEPTH) return;
  for (const s of subs) {
    if (s.startsWith('.') || SKIP_FOLDERS.has(s)) continue;
    await scanFolder(join(folder, s), depth + 1, state);
  }
}

/** Give runs with the same name distinct names (parent folder prefix); ids already differ. */
function disambiguate(runs: RunInfo[]): void {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  for (const r of runs) if ((counts.get(r.name) ?? 0) > 1) r.name = `${basename(dirname(r.root))}/${r.name}`;
}

export async function scanPaths(paths: string[], options: ScanOptions = {}): Promise<ScanResult> {
  const result: ScanResult = { runs: [], errors: [] };
  for (const p of paths) {
    const abs = resolve(p);
    let isFile = false;
    try {
      const st = await stat(abs);
      isFile = st.isFile();
      // A FIFO, socket or device given as a path is refused by name, never opened.
      const kind = specialKind(st);
      if (kind && !st.isDirectory()) {
        result.errors.push({ path: abs, message: `is ${kind}, not a file or folder; not opened` });
        continue;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      result.errors.push({ path: abs, message: code === 'ELOOP' ? 'symlink loop; not followed' : `cannot open: ${(err as Error).message}` });
      continue;
    }
    try {
      if (isFile) {
        if (!WEIGHT_FILE.test(abs)) {
          result.errors.push({ path: abs, message: 'not a weights file (.safetensors, .bin, .pt, .pth)' });
          continue;
        }
        // A file's siblings (config.json, tokenizer.json) belong to it: guard its folder.
        const guard = await PathGuard.create(dirname(abs));
        result.runs.push(await scanSingleFile(abs, guard, options));
        continue;
      }
      const state: ScanState = { guard: await PathGuard.create(abs), options, runs: [], errors: [], visited: new Set() };
      await scanFolder(abs, 0, state);
      result.runs.push(...state.runs);
      result.errors.push(...state.errors);
    } catch (err) {
      result.errors.push(errorOf(abs, err));
    }
  }
  // The same run reached twice (overlapping paths) is listed once.
  const seen = new Set<string>();
  result.runs = result.runs.filter((r) => !seen.has(r.id) && seen.add(r.id) !== undefined);
  disambiguate(result.runs);
  return result;
}

function configSummary(run: RunInfo): string {
  const c = run.config;
  if (!c) return 'no usable config.json';
  return `hidden ${c.hidden}, layers ${c.layers}, heads ${c.heads}${c.kvHeads !== c.heads ? ` (kv ${c.kvHeads})` : ''}, vocab ${c.vocabSize}, intermediate ${c.intermediate}, ${c.activation}${c.tiedEmbeddings ? ', tied embeddings' : ''}`;
}

function stepsSummary(run: RunInfo): string {
  const steps = run.checkpoints.map((c) => c.step).filter((s): s is number => s !== null);
  if (steps.length === 0) return 'none';
  const shown = steps.length > 12 ? `${steps.slice(0, 6).join(', ')}, ..., ${steps.slice(-3).join(', ')}` : steps.join(', ');
  return `${shown} (${steps.length} with a step)`;
}

/** Human-readable scan report for the CLI. */
export function formatScanText(result: ScanResult): string {
  const lines: string[] = [];
  if (result.runs.length === 0) lines.push('No checkpoint series found.');
  for (const run of result.runs) {
    const missing = run.checkpoints.filter((c) => c.missing).length;
    lines.push(`Run ${run.name}  [${run.layout}]  family ${run.family}  id ${run.id}`);
    lines.push(`  root: ${run.root}`);
    lines.push(`  architecture: ${run.config?.modelType ?? run.family}; ${configSummary(run)}`);
    lines.push(`  checkpoints: ${run.checkpoints.length}${missing > 0 ? ` (${missing} missing)` : ''}; steps: ${stepsSummary(run)}`);
    if (run.trainingLog.length > 0) lines.push(`  training log: ${run.trainingLog.length} entries`);
    if (run.tokenizerPath) lines.push(`  tokenizer: ${run.tokenizerPath}`);
    for (const w of run.warnings) lines.push(`  warning [${w.kind}]: ${w.message}`);
    for (const c of run.checkpoints) {
      const files = c.weightFiles.map((f) => basename(f)).join(', ') || '-';
      lines.push(`    ${c.label}  step ${c.step ?? '-'}  ${c.missing ? 'MISSING' : `${c.format ?? '?'} ${c.dtype ?? '?'}`}  ${files}  (${c.folder})`);
      for (const w of c.warnings) lines.push(`      ! ${w}`);
    }
  }
  if (result.errors.length > 0) {
    lines.push('Errors:');
    for (const e of result.errors) lines.push(`  ${e.path}: ${e.message}`);
  }
  return `${lines.join('\n')}\n`;
}
