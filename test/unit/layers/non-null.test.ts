// The non-null floor (test/unit/layers/non-null.ts): the project has no `!` that asserts nothing, and
// a planted one in a scratch project is found while a needed one is not.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findUselessNonNullAssertions } from './non-null';

const root = join(__dirname, '..', '..', '..');

describe('non-null assertions', () => {
  it('the project has none that do nothing', () => {
    const found = findUselessNonNullAssertions(join(root, 'tsconfig.json'));
    expect(found.map((f) => `${f.file}:${f.line} ${f.text}`)).toEqual([]);
  }, 120_000);

  it('a planted useless one is named; needed ones are left alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atlas-non-null-'));
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, include: ['*.ts'] }));
      writeFileSync(join(dir, 'a.ts'), [
        'const xs: number[] = [1, 2];',
        'export const useless = xs[0]! + new Float64Array(2)[1]!;',
        'const m = new Map<string, number>();',
        'export const needed = m.get("a")! + (xs as (number | null)[])[0]!;',
        'export function generic<T>(v: T): T { return v!; }',
        '',
      ].join('\n'));
      const found = findUselessNonNullAssertions(join(dir, 'tsconfig.json'));
      expect(found).toEqual([
        { file: 'a.ts', line: 2, text: 'xs[0]!' },
        { file: 'a.ts', line: 2, text: 'new Float64Array(2)[1]!' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
