// Step folders: sibling folders whose names carry one number (`step_100`, `step100`,
// `global_step100`, `iter_0001000`, `ckpt-100`, `100`); the number is the step.
import { basename, join } from 'node:path';
import type { RunInfo } from '../../common/domain';
import { listWeightFiles } from '../formats/index';
import { assembleRun, describeCheckpoint, confinedFile, mapPool, readJsonFile, type CheckpointSpec, type ScanOptions } from './checkpoint';
import type { PathGuard } from './guard';
import { stepOfFolderName } from './names';

/** Subfolders that are step checkpoints: a step-like name and weight files inside. */
export async function stepCheckpointFolders(folder: string, subfolders: string[], guard: PathGuard): Promise<{ name: string; step: number }[]> {
  const found: { name: string; step: number }[] = [];
  for (const name of subfolders) {
    const step = stepOfFolderName(name);
    if (step === null) continue;
    // A folder whose weights cannot be chosen still counts: describing it will say why.
    const weights = await listWeightFiles(join(folder, name), { checkPath: (p) => guard.resolve(p) }).catch(() => 'unreadable');
    if (weights) found.push({ name, step });
  }
  return found.sort((a, b) => a.step - b.step);
}

export async function scanStepFolders(folder: string, steps: { name: string; step: number }[], guard: PathGuard, options: ScanOptions): Promise<RunInfo> {
  const real = await guard.resolve(folder);
  const specs: CheckpointSpec[] = steps.map((s) => ({ id: s.name, label: s.name, step: s.step, folder: join(folder, s.name) }));
  const items = await mapPool(specs, 8, (s) => describeCheckpoint(s, guard, options));
  const last = steps.length > 0 ? join(folder, steps[steps.length - 1].name) : folder;
  const configValue = (await readJsonFile(join(folder, 'config.json'), guard)) ?? (await readJsonFile(join(last, 'config.json'), guard));
  let tokenizerPath: string | null = null;
  for (const dir of [folder, last]) {
    tokenizerPath = await confinedFile(join(dir, 'tokenizer.json'), guard);
    if (tokenizerPath) break;
  }
  return assembleRun({
    name: basename(folder), layout: 'step-folders', root: real,
    rawConfig: configValue && typeof configValue === 'object' && !Array.isArray(configValue) ? (configValue as Record<string, unknown>) : null,
    tokenizerPath, items, trainingLog: [], options,
  });
}
