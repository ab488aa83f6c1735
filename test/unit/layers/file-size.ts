// The file-size floor as code (docs/ARCHITECTURE.md "File size"): no source file of a process
// (main/, common/, renderer/, preload/, bin/) is over FILE_LINE_LIMIT lines unless its header
// comment says why, in the form `Over 450 lines: <reason>`. `npm test` runs it through
// test/unit/layers/file-size.test.ts, which names every offending file.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const FILE_LINE_LIMIT = 450;
/** The folders whose files the floor covers (tests, tools, benches and docs are outside it). */
export const SIZED_FOLDERS = ['main', 'common', 'renderer', 'preload', 'bin'];
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs|css|html)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'out', 'dist']);
/** The header is this many first lines; the reason must be in one of them. */
const HEADER_LINES = 40;
/**
 * A stated reason: a comment line (`//`, `/*`, ` *`, `<!--`) reading `Over 450 lines:` and then at
 * least ten characters of reason.
 */
export const SIZE_REASON = /^\s*(?:\/\/+|\/?\*+|<!--)\s*Over 450 lines:\s*\S.{9,}/;

export interface OversizedFile {
  /** Relative to the root, with forward slashes. */
  path: string;
  lines: number;
}

/** Lines as `wc -l` counts them, plus a last line without a newline. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n : n + 1;
}

export function statesSizeReason(text: string): boolean {
  return text.split('\n', HEADER_LINES).some((line) => SIZE_REASON.test(line));
}

function* sourceFiles(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) yield* sourceFiles(path);
    } else if (e.isFile() && SOURCE.test(e.name)) yield path;
  }
}

/** Files over the limit without a stated reason, under `root`'s SIZED_FOLDERS, sorted by path. */
export function oversizedFiles(root: string, limit = FILE_LINE_LIMIT): OversizedFile[] {
  const out: OversizedFile[] = [];
  for (const folder of SIZED_FOLDERS) {
    for (const file of sourceFiles(join(root, folder))) {
      const text = readFileSync(file, 'utf8');
      const lines = countLines(text);
      if (lines > limit && !statesSizeReason(text)) out.push({ path: relative(root, file).split(sep).join('/'), lines });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function describeOversized(f: OversizedFile): string {
  return `${f.path}: ${f.lines} lines, over ${FILE_LINE_LIMIT}: split it, or state why in its header comment ("// Over 450 lines: <reason>")`;
}
