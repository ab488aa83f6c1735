// Hugging Face hub cache layout: `models--{org}--{name}/refs/{revision}` -> commit id ->
// `snapshots/{commit}/` (relative symlinks into `blobs/`, or plain copies). Each revision is a
// checkpoint (step from its name, e.g. Pythia's `step1000`); `main` and other refs that point at
// an already listed commit are aliases; a revision without weights is listed as missing.
import { readdir } from 'node:fs/promises';
import { tokensByStep } from './tokens';
import { readRegularFile } from '../formats/regular-file';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { IntegrityWarning, RunInfo } from '../../common/domain';
import { assembleRun, describeCheckpoint, confinedFile, mapPool, readJsonFile, trainingLogFrom, type CheckpointSpec, type ScanOptions } from './checkpoint';
import type { PathGuard } from './guard';
import { hubRepoOf, stepOfRevision } from './names';

/** Where huggingface_hub keeps its cache, by its own precedence of environment variables. */
export function findHubCacheRoot(env: Record<string, string | undefined> = process.env, home: string = homedir()): string {
  const expand = (p: string): string => (p === '~' || p.startsWith('~/') ? join(home, p.slice(1)) : p);
  if (env.HF_HUB_CACHE) return expand(env.HF_HUB_CACHE);
  if (env.HUGGINGFACE_HUB_CACHE) return expand(env.HUGGINGFACE_HUB_CACHE);
  if (env.HF_HOME) return join(expand(env.HF_HOME), 'hub');
  if (env.XDG_CACHE_HOME) return join(expand(env.XDG_CACHE_HOME), 'huggingface', 'hub');
  return join(home, '.cache', 'huggingface', 'hub');
}

export interface HubModel {
  repoId: string;
  name: string;
  folder: string;
}

/** Models (`models--*` folders) in a hub cache root; empty when the root does not exist. */
export async function listHubModels(root: string): Promise<HubModel[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith('models--')).sort().map((n) => ({ ...hubRepoOf(n), folder: join(root, n) }));
}

/** refs/ may nest (`refs/pr/1`); each file holds one commit id. */
async function readRefs(refsDir: string, guard: PathGuard, prefix = '', depth = 0): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  if (depth > 3) return refs;
  const entries = await readdir(refsDir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = join(refsDir, e.name);
    if (e.isDirectory()) {
      for (const [k, v] of await readRefs(p, guard, `${prefix}${e.name}/`, depth + 1)) refs.set(k, v);
    } else if (e.isFile()) {
      const real = await guard.resolve(p).catch(() => null);
      if (!real) continue;
      const commit = (await readRegularFile(real, 4096).then((b) => b.toString('utf8'), () => '')).trim();
      if (/^[0-9a-f]{7,64}$/i.test(commit)) refs.set(`${prefix}${e.name}`, commit);
    }
  }
  return refs;
}

/** Canonical revision of a commit: a step-bearing name first (lowest step), then `main`, then by name. */
function canonicalRevision(revisions: string[]): string {
  return [...revisions].sort((a, b) => {
    const sa = stepOfRevision(a);
    const sb = stepOfRevision(b);
    if (sa !== null && sb !== null) return sa - sb;
    if (sa !== null) return -1;
    if (sb !== null) return 1;
    if (a === 'main') return -1;
    if (b === 'main') return 1;
    return a.localeCompare(b);
  })[0];
}

const idFrom = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');

export async function scanHubModel(folder: string, guard: PathGuard, options: ScanOptions): Promise<RunInfo> {
  const realFolder = await guard.resolve(folder);
  const refs = await readRefs(join(folder, 'refs'), guard);
  const snapshots = new Set(await readdir(join(folder, 'snapshots')).catch(() => [] as string[]));
  const byCommit = new Map<string, string[]>();
  for (const [rev, commit] of refs) byCommit.set(commit, [...(byCommit.get(commit) ?? []), rev]);
  const extraWarnings: IntegrityWarning[] = [];
  const specs: CheckpointSpec[] = [];
  for (const [commit, revisions] of byCommit) {
    const canonical = canonicalRevision(revisions);
    const aliases = revisions.filter((r) => r !== canonical).sort();
    const id = idFrom(canonical);
    specs.push({
      id,
      label: aliases.length > 0 ? `${canonical} (= ${aliases.join(', ')})` : canonical,
      step: stepOfRevision(canonical),
      folder: join(folder, 'snapshots', commit),
      absent: !snapshots.has(commit),
    });
    const stepAliases = aliases.filter((r) => stepOfRevision(r) !== null && stepOfRevision(r) !== stepOfRevision(canonical));
    if (stepAliases.length > 0) {
      extraWarnings.push({
        kind: 'identical-weights',
        message: `revisions ${[canonical, ...stepAliases].join(', ')} point at the same commit ${commit.slice(0, 12)}: different steps serve identical weights`,
        checkpoints: [id],
      });
    }
  }
  for (const commit of [...snapshots].sort()) {
    if (!byCommit.has(commit)) specs.push({ id: idFrom(commit.slice(0, 12)), label: commit.slice(0, 12), step: null, folder: join(folder, 'snapshots', commit) });
  }
  const items = await mapPool(specs, 16, (s) => describeCheckpoint(s, guard, options));

  // config.json / tokenizer.json: from main's snapshot, else the latest checkpoint that has one.
  const mainCommit = refs.get('main');
  const candidates = [
    ...(mainCommit ? [join(folder, 'snapshots', mainCommit)] : []),
    ...[...items].sort((a, b) => (b.checkpoint.step ?? -1) - (a.checkpoint.step ?? -1)).filter((i) => !i.checkpoint.missing).map((i) => i.checkpoint.folder),
  ];
  let rawConfig: Record<string, unknown> | null = null;
  let tokenizerPath: string | null = null;
  for (const dir of candidates) {
    if (!rawConfig) {
      const c = await readJsonFile(join(dir, 'config.json'), guard);
      if (c && typeof c === 'object' && !Array.isArray(c)) rawConfig = c as Record<string, unknown>;
    }
    if (!tokenizerPath) tokenizerPath = await confinedFile(join(dir, 'tokenizer.json'), guard);
    if (rawConfig && tokenizerPath) break;
  }
  const log = await readJsonFile(join(folder, 'training_log.json'), guard);
  const run = await assembleRun({
    name: hubRepoOf(folder).name, layout: 'hf-cache', root: realFolder, rawConfig, tokenizerPath, items,
    trainingLog: trainingLogFrom(log), options, tokensByStep: tokensByStep(log),
  });
  run.warnings.push(...extraWarnings);
  return run;
}
