// Regression fixtures of the fuzzer: each distinct finding is kept as a folder under
// test/fixtures/fuzz-regressions/<target>-<kind>-<hash>/ holding case.json (what failed, where,
// how it was generated, status "open" until the reader is fixed) and files/ (the input; files
// above 64 KiB are stored gzipped as <name>.gz, since hostile inputs are mostly repetition).
// The CI test and `FUZZ_REPLAY` load them back as inputs for the same targets.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Finding } from './protocol';
import { TARGET_NAMES, type FuzzInput, type TargetName } from './targets';

const RAW_LIMIT = 64 * 1024;

export interface RegressionCase {
  target: TargetName;
  kind: Finding['kind'];
  /** "open" while the reader still fails on it, "fixed" once it must pass. */
  status: 'open' | 'fixed';
  /** Finding signature when saved (target, kind, error name, code location); recomputed on load. */
  signature: string;
  error: string;
  where: string;
  stack: string[];
  origin: string;
  runSeed: number;
  caseIndex: number;
  entry: string;
  files: { name: string; stored: string; bytes: number; sha256: string }[];
}

export interface LoadedRegression {
  folder: string;
  target: TargetName;
  status: RegressionCase['status'];
  signature: string;
  input: FuzzInput;
}

/**
 * Stack location as function and file, without line, column or absolute prefix: one bug keeps
 * one signature while its file is edited elsewhere.
 */
function normaliseWhere(where: string): string {
  return where.replace(/^at /, '').replace(/(file:\/\/)?\/[^()]*?\/(main|node_modules|test)\//, '$2/').replace(/(:\d+)+\)?$/, '').replace(/\)$/, '');
}

/**
 * What makes two findings the same bug: target, kind, error name and where it was thrown. Hangs
 * and memory blow-ups share one kind ("resource": the same runaway case is stopped by whichever
 * limit it reaches first) and are told apart by the mutation family only (they have no stack).
 */
export function signatureOf(f: Pick<Finding, 'target' | 'kind' | 'error' | 'where'> & { origin: string }): string {
  const name = f.error.split(':')[0];
  if (f.kind === 'hang' || f.kind === 'memory') return `${f.target}|resource|${f.origin.split(':').pop()}`;
  if (f.kind === 'worker-exit') return `${f.target}|worker-exit|${f.origin.split(':').pop()}`;
  return `${f.target}|${f.kind}|${name}|${normaliseWhere(f.where)}`;
}

export function signatureOfFinding(f: Finding): string {
  return signatureOf({ ...f, origin: f.input.origin });
}

export function describeFinding(f: Finding): string {
  return `${f.target} ${f.kind}: ${f.error.split('\n')[0].slice(0, 300)}${f.where ? ` at ${f.where}` : ''} (case ${f.caseIndex} of seed ${f.runSeed}, from ${f.input.origin})`;
}

/** Write a finding as a fixture folder (kept as is when one with this signature exists). */
export function saveFinding(dir: string, f: Finding, signature: string): string {
  const hash = createHash('sha256').update(signature).digest('hex').slice(0, 10);
  const folder = join(dir, `${f.target}-${f.kind}-${hash}`);
  if (existsSync(join(folder, 'case.json'))) return folder;
  mkdirSync(join(folder, 'files'), { recursive: true });
  const files: RegressionCase['files'] = [];
  for (const file of f.input.files) {
    const stored = file.bytes.length > RAW_LIMIT ? `${file.name}.gz` : file.name;
    writeFileSync(join(folder, 'files', stored), file.bytes.length > RAW_LIMIT ? gzipSync(file.bytes, { level: 9 }) : file.bytes);
    files.push({ name: file.name, stored, bytes: file.bytes.length, sha256: createHash('sha256').update(file.bytes).digest('hex') });
  }
  const c: RegressionCase = {
    target: f.target, kind: f.kind, status: 'open', signature, error: f.error.slice(0, 2000), where: f.where,
    stack: f.stack.split('\n').slice(0, 16), origin: f.input.origin, runSeed: f.runSeed, caseIndex: f.caseIndex,
    entry: f.input.entry, files,
  };
  writeFileSync(join(folder, 'case.json'), `${JSON.stringify(c, null, 2)}\n`);
  return folder;
}

export async function loadRegressions(dir: string): Promise<LoadedRegression[]> {
  if (!existsSync(dir)) return [];
  const out: LoadedRegression[] = [];
  for (const name of readdirSync(dir).sort()) {
    const caseFile = join(dir, name, 'case.json');
    if (!existsSync(caseFile)) continue;
    const c = JSON.parse(readFileSync(caseFile, 'utf8')) as RegressionCase;
    if (!TARGET_NAMES.includes(c.target)) throw new Error(`${caseFile}: unknown target ${c.target}`);
    const files = c.files.map((f) => {
      const raw = readFileSync(join(dir, name, 'files', f.stored));
      const bytes = new Uint8Array(f.stored.endsWith('.gz') && f.stored !== f.name ? gunzipSync(raw) : raw);
      if (createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw new Error(`${caseFile}: ${f.stored} does not match its sha256`);
      return { name: f.name, bytes };
    });
    out.push({ folder: join(dir, name), target: c.target, status: c.status, signature: signatureOf(c), input: { files, entry: c.entry, origin: `regression ${name}` } });
  }
  return out;
}
