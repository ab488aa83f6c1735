// Step numbers and display names from folder and revision names, shared by the layouts.
import { basename } from 'node:path';

/** Step folders: `step_100`, `step100`, `global_step100`, `iter_0001000`, `ckpt-100`, `100`. */
const STEP_FOLDER = /^(?:global_step|step|iter|ckpt)[-_]?(\d+)$|^(\d+)$/i;

export function stepOfFolderName(name: string): number | null {
  const m = STEP_FOLDER.exec(name);
  if (!m) return null;
  const n = Number(m[1] ?? m[2]);
  return Number.isSafeInteger(n) ? n : null;
}

/** HF Trainer: `checkpoint-{N}`. */
export function stepOfTrainerFolder(name: string): number | null {
  const m = /^checkpoint-(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Hub revisions: `step1000`, `step1000-tokens4B`, `step_1000`; null for `main` and other names. */
export function stepOfRevision(revision: string): number | null {
  const m = /(?:^|[^a-z])step[-_]?(\d+)/i.exec(revision);
  return m ? Number(m[1]) : null;
}

/** `models--EleutherAI--pythia-70m` -> { repoId: 'EleutherAI/pythia-70m', name: 'pythia-70m' }. */
export function hubRepoOf(folder: string): { repoId: string; name: string } {
  const parts = basename(folder).replace(/^models--/, '').split('--');
  return { repoId: parts.join('/'), name: parts[parts.length - 1] };
}
