// Test helper (not a test): run the real CLI as a child process and compare exports byte for
// byte, for the sharded-sweep tests (sweep.test.ts, slurm.test.ts).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../main/paths';

export const ROOT = projectRoot();
export const CLI = join(ROOT, 'bin', 'checkpoint-atlas.mjs');
/** Analyses every shard test sweeps (no tokenizer in the made runs, so no svd-directions). */
export const SWEEP_ANALYSES = 'weights,fits,spectra,embedding';

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ATLAS_SKIP_BUILD: '1', ...env }, timeout: 300_000 });
}

export function exportOf(db: string, out: string): Map<string, Buffer> {
  const r = cli(['export', '--db', db, '--out', out]);
  if (r.status !== 0) throw new Error(`export of ${db} failed: ${r.stderr}`);
  // The data files of the export contract (the folder's manifest of inodes is not data).
  return new Map(readdirSync(out).filter((f) => f === 'scalars.csv' || f.endsWith('.jsonl')).sort().map((f) => [f, readFileSync(join(out, f))]));
}

/** scalars.csv and every .jsonl: the same names and the same bytes. */
export function expectSameExport(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const names = [...a.keys()];
  if (JSON.stringify(names) !== JSON.stringify([...b.keys()])) throw new Error(`export files differ: ${names} vs ${[...b.keys()]}`);
  if (!names.includes('scalars.csv') || !names.some((n) => n.endsWith('.jsonl'))) throw new Error(`export lacks scalars.csv or .jsonl files: ${names}`);
  for (const n of names) {
    if (!a.get(n)!.equals(b.get(n)!)) throw new Error(`${n} differs between the single-process and the merged export`);
  }
  return names;
}
