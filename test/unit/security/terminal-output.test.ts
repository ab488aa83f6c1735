// Issue 14, finding 5: file, folder and tensor names from a downloaded checkpoint reached `scan`
// and `analyze` text output raw (window-title, clear-screen and forged "OK:" lines got through).
// Hostile names are made here: a run folder named with OSC/CSI sequences and a newline.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobState } from '../../../common/api';
import { escapeTerminal, escapeTerminalDeep } from '../../../common/terminal';
import { ProgressPrinter } from '../../../main/jobs/progress-printer';
import { formatScanText, scanPaths } from '../../../main/layouts/scan';
import { projectRoot } from '../../../main/paths';

const HOSTILE = 'run\u001b]0;pwned\u0007\u001b[2J\r\nOK: all checks passed\u009b31m\u202e';
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/; // everything but \n
const CLI = join(projectRoot(), 'out', 'main', 'cli.js');
let dir: string;
let run: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-terminal-'));
  run = join(dir, HOSTILE);
  mkdirSync(run);
  copyFileSync(join(__dirname, '..', '..', 'fixtures', 'readers', 'dtypes.safetensors'), join(run, 'model.safetensors'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function assertClean(text: string): void {
  expect(text).not.toMatch(RAW_CONTROL);
  for (const line of text.split('\n')) expect(line.startsWith('OK:'), line).toBe(false);
}

describe('escapeTerminal', () => {
  it('makes every control character visible and keeps the rest', () => {
    expect(escapeTerminal('a\u001b[2Jb\nc\rd\te\u0007\u007f\u0085\u202ef\u2028ü名')).toBe('a\\e[2Jb\\nc\\rd\\te\\x07\\x7f\\x85\\u{202e}f\\u{2028}ü名');
    expect(escapeTerminalDeep({ a: ['x\ny', 3, null] })).toEqual({ a: ['x\\ny', 3, null] });
  });
});

describe('human-readable output carries no raw control characters', () => {
  it('scan text of a folder named with escape sequences and a newline', async () => {
    const result = await scanPaths([run]);
    expect(formatScanText(result)).toMatch(RAW_CONTROL); // the raw composition is what leaked
    const text = formatScanText(escapeTerminalDeep(result));
    assertClean(text);
    expect(text).toContain('run\\e]0;pwned\\x07\\e[2J\\r\\nOK: all checks passed\\x9b31m\\u{202e}');
  });
  it('analyze progress and its final report', () => {
    const out: string[] = [];
    const stream = { isTTY: false, write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WriteStream;
    const printer = new ProgressPrinter({ json: false, stream });
    const job: JobState = {
      jobId: 'j', runId: 'r', analyses: ['weights'], state: 'running', done: 1, total: 2, skipped: 0, failed: 0,
      current: { checkpoint: HOSTILE, tensor: `w\u001b]2;title\u0007\nOK: forged` }, startedAt: Date.now(), etaSeconds: 3, provider: null, error: null, warnings: [],
    };
    printer.update(HOSTILE, job);
    printer.finish(HOSTILE, { ...job, state: 'failed', error: `bad \u001b[31m${HOSTILE}`, warnings: [`tensor \u001b[1A\r\nOK: ${HOSTILE}`] });
    assertClean(out.join(''));
  });
  it.skipIf(!existsSync(CLI))('the built CLI: `scan` prints the name escaped', () => {
    const r = spawnSync(process.execPath, [CLI, 'scan', run], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    assertClean(r.stdout);
    assertClean(r.stderr);
    expect(r.stdout).toContain('\\e]0;pwned\\x07');
  });
});
