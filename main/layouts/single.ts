// A single checkpoint: a folder with config.json + weights, or one weights file. One point of a
// series, still fully analysable (step from trainer_state.json when present).
import { basename, dirname, extname, join } from 'node:path';
import type { RunInfo } from '../../common/domain';
import { assembleRun, describeCheckpoint, confinedFile, readJsonFile, trainingLogFrom, type ScanOptions } from './checkpoint';
import type { PathGuard } from './guard';
import { tokensByStep, tokensSeenFromState } from './tokens';

export async function scanSingleFolder(folder: string, guard: PathGuard, options: ScanOptions): Promise<RunInfo> {
  const real = await guard.resolve(folder);
  const state = (await readJsonFile(join(folder, 'trainer_state.json'), guard)) as { global_step?: unknown } | null;
  const step = typeof state?.global_step === 'number' ? state.global_step : null;
  const item = await describeCheckpoint({ id: step !== null ? `step${step}` : 'checkpoint', label: basename(folder), step, folder }, guard, options);
  const configValue = await readJsonFile(join(folder, 'config.json'), guard);
  return assembleRun({
    name: basename(folder), layout: 'single', root: real,
    rawConfig: configValue && typeof configValue === 'object' && !Array.isArray(configValue) ? (configValue as Record<string, unknown>) : null,
    tokenizerPath: await confinedFile(join(folder, 'tokenizer.json'), guard),
    items: [item], trainingLog: trainingLogFrom(state), options,
    tokens: new Map(tokensSeenFromState(state) === null ? [] : [[item.checkpoint.id, tokensSeenFromState(state)!]]), tokensByStep: tokensByStep(state),
  });
}

export async function scanSingleFile(file: string, guard: PathGuard, options: ScanOptions): Promise<RunInfo> {
  const real = await guard.resolve(file);
  const folder = dirname(file);
  const name = basename(file, extname(file));
  // `folder` is the file itself so that openCheckpoint(checkpoint.folder) opens exactly this file.
  const item = await describeCheckpoint({ id: 'checkpoint', label: basename(file), step: null, folder: file, file }, guard, options);
  const configValue = await readJsonFile(join(folder, 'config.json'), guard);
  return assembleRun({
    name, layout: 'single', root: real,
    rawConfig: configValue && typeof configValue === 'object' && !Array.isArray(configValue) ? (configValue as Record<string, unknown>) : null,
    tokenizerPath: await confinedFile(join(folder, 'tokenizer.json'), guard),
    items: [item], trainingLog: [], options,
  });
}
