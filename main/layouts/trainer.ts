// Hugging Face Trainer output: `checkpoint-{N}/` folders (each with weights and trainer_state.json)
// and often the final model in the parent folder itself. The loss / learning-rate curve comes from
// trainer_state.json's log_history (the parent's, else the latest checkpoint's).
import { basename, join } from 'node:path';
import type { RunInfo } from '../../common/domain';
import { listWeightFiles } from '../formats/index';
import { assembleRun, describeCheckpoint, confinedFile, mapPool, readJsonFile, trainingLogFrom, type CheckpointSpec, type ScanOptions } from './checkpoint';
import type { PathGuard } from './guard';
import { stepOfTrainerFolder } from './names';
import { tokensByStep, tokensSeenFromState } from './tokens';

export function trainerCheckpointFolders(subfolders: string[]): { name: string; step: number }[] {
  return subfolders
    .map((name) => ({ name, step: stepOfTrainerFolder(name) }))
    .filter((x): x is { name: string; step: number } => x.step !== null)
    .sort((a, b) => a.step - b.step);
}

export async function scanTrainerRun(folder: string, subfolders: string[], guard: PathGuard, options: ScanOptions): Promise<RunInfo> {
  const real = await guard.resolve(folder);
  const checkpoints = trainerCheckpointFolders(subfolders);
  const specs: CheckpointSpec[] = checkpoints.map((c) => ({ id: c.name, label: c.name, step: c.step, folder: join(folder, c.name) }));
  const lastFolder = checkpoints.length > 0 ? join(folder, checkpoints[checkpoints.length - 1].name) : folder;
  const parentState = (await readJsonFile(join(folder, 'trainer_state.json'), guard)) as { global_step?: unknown } | null;
  const hasFinal = await listWeightFiles(folder, { checkPath: (p) => guard.resolve(p) }).then((w) => w !== null, () => true);
  if (hasFinal) {
    const globalStep = typeof parentState?.global_step === 'number' ? parentState.global_step : null;
    specs.push({ id: 'final', label: 'final', step: globalStep ?? (checkpoints.length > 0 ? checkpoints[checkpoints.length - 1].step : null), folder });
  }
  const items = await mapPool(specs, 8, (s) => describeCheckpoint(s, guard, options));
  const state = parentState ?? (await readJsonFile(join(lastFolder, 'trainer_state.json'), guard));
  // Tokens seen: each checkpoint's own trainer_state.json (the final model: the parent's).
  const tokens = new Map<string, number>();
  await mapPool(specs, 8, async (s) => {
    const t = tokensSeenFromState(s.id === 'final' ? parentState : await readJsonFile(join(s.folder, 'trainer_state.json'), guard));
    if (t !== null) tokens.set(s.id, t);
  });
  const configValue = (await readJsonFile(join(folder, 'config.json'), guard)) ?? (await readJsonFile(join(lastFolder, 'config.json'), guard));
  let tokenizerPath: string | null = null;
  for (const dir of [folder, lastFolder]) {
    tokenizerPath = await confinedFile(join(dir, 'tokenizer.json'), guard);
    if (tokenizerPath) break;
  }
  return assembleRun({
    name: basename(folder), layout: 'trainer', root: real,
    rawConfig: configValue && typeof configValue === 'object' && !Array.isArray(configValue) ? (configValue as Record<string, unknown>) : null,
    tokenizerPath, items, trainingLog: trainingLogFrom(state), options, tokens, tokensByStep: tokensByStep(state),
  });
}
