// The file-size floor (docs/ARCHITECTURE.md "File size"): the project keeps it, and planted files
// in a scratch tree show what fails (an oversized file without a reason, a reason outside the
// header or too short) and what passes (the limit itself, a stated reason, files outside the
// covered folders).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countLines, describeOversized, FILE_LINE_LIMIT, oversizedFiles } from './file-size';

const root = join(__dirname, '..', '..', '..');

/**
 * Files over the limit whose split is another issue's work in progress; each entry names the
 * issue that removes it. An entry whose file is back under the limit is harmless and should go.
 */
const ALLOWED_UNTIL_SPLIT: ReadonlyMap<string, string> = new Map<string, string>([]);

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-file-size-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const lines = (n: number, first = '// a file'): string => [first, ...Array.from({ length: n - 1 }, (_, i) => `export const x${i} = ${i};`)].join('\n') + '\n';

describe('file-size floor', () => {
  it(`no source file of a process is over ${FILE_LINE_LIMIT} lines without a stated reason`, () => {
    const over = oversizedFiles(root).filter((f) => !ALLOWED_UNTIL_SPLIT.has(f.path));
    expect(over.map(describeOversized)).toEqual([]);
  });

  it('every allow-list entry names the issue that removes it', () => {
    for (const why of ALLOWED_UNTIL_SPLIT.values()) expect(why).toMatch(/^issue \d+[a-z]? /);
  });

  it('a planted oversized file fails, naming the file and its length; the limit, a stated reason and tests pass', () => {
    const dir = tree({
      'main/jobs/big.ts': lines(451),
      'main/jobs/at-limit.ts': lines(450),
      'main/jobs/no-final-newline.ts': lines(450).replace(/\n$/, ''),
      'common/reasoned.ts': lines(900, '// Over 450 lines: one table of every op the encoder knows, kept together'),
      'renderer/src/views/Reasoned.tsx': ['/**', ' * A view.', ' * Over 450 lines: the one place the keyboard map is written down', ' */', lines(600)].join('\n'),
      'renderer/src/styles.css': ['/* Over 450 lines: every colour and spacing token of the app */', lines(500)].join('\n'),
      'renderer/src/late-reason.ts': lines(500) + '// Over 450 lines: a reason below the header does not count\n',
      'preload/short-reason.ts': lines(460, '// Over 450 lines: why'),
      'bin/tool.mjs': lines(451),
      'main/node_modules/dep/index.js': lines(2000),
      'test/unit/huge.test.ts': lines(2000),
      'tools/gen.ts': lines(2000),
    });
    try {
      const over = oversizedFiles(dir);
      expect(over).toEqual([
        { path: 'bin/tool.mjs', lines: 451 },
        { path: 'main/jobs/big.ts', lines: 451 },
        { path: 'preload/short-reason.ts', lines: 460 },
        { path: 'renderer/src/late-reason.ts', lines: 501 },
      ]);
      expect(describeOversized(over[1])).toBe('main/jobs/big.ts: 451 lines, over 450: split it, or state why in its header comment ("// Over 450 lines: <reason>")');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts lines as wc -l does, plus an unterminated last line', () => {
    expect(countLines('')).toBe(0);
    expect(countLines('a')).toBe(1);
    expect(countLines('a\n')).toBe(1);
    expect(countLines('a\nb')).toBe(2);
    expect(countLines('\n\n')).toBe(2);
  });
});
