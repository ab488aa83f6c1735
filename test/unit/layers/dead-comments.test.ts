// The project has no linter (docs/ARCHITECTURE.md "Assertions and comments"): an ESLint "disable"
// comment disables nothing and misleads, so none may come back.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', '..');
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (SOURCE.test(name)) out.push(path);
  }
  return out;
}

describe('dead comments', () => {
  it('no ESLint disable comment in main, common, renderer, preload, bin, bench or test', () => {
    const found: string[] = [];
    for (const top of ['main', 'common', 'renderer', 'preload', 'bin', 'bench', 'test']) {
      for (const file of sources(join(root, top))) {
        readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          // The pattern is split so this file does not match itself.
          if (line.includes('eslint' + '-disable')) found.push(`${relative(root, file)}:${i + 1}`);
        });
      }
    }
    expect(found).toEqual([]);
  });
});
