// Issue 14, findings 3, 4 and 8: FIFOs and devices named like weight, config, trainer-state,
// tokenizer or probe files used to block a libuv thread forever; tokenizer.json and
// tokenizer_config.json were read through plain exists() + read, outside the folder guard, and
// JSON errors echoed a file's first characters into warnings. Every hostile folder is built here
// (mkfifo, symlinks, a "secret" file outside the opened folder).
import { execFileSync } from 'node:child_process';
import { closeSync, constants, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRandomAccess } from '../../../main/formats/random-access';
import { readJsonRegular } from '../../../main/formats/regular-file';
import { FormatError } from '../../../main/formats/types';
import { readProbeText } from '../../../main/jobs/units/model';
import { scanPaths } from '../../../main/layouts/scan';
import { loadTokenizer } from '../../../main/tokenizer';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'readers');
const SECRET = 'TOP-SECRET-7f3a do not show';
let dir: string;
const fifos: string[] = [];

function fifo(path: string): string {
  execFileSync('mkfifo', [path]);
  fifos.push(path);
  return path;
}

/** Fail (instead of hanging the suite) when `p` takes longer than `ms`. */
function within<T>(p: Promise<T>, ms = 10_000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still blocked after ${ms} ms`)), ms).unref())]);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-special-'));
  writeFileSync(join(dir, 'secret.txt'), SECRET);
});
afterAll(() => {
  // Release any reader that old code left blocked on a FIFO, so the worker process can exit.
  for (const f of fifos) {
    try { closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader */ }
  }
  rmSync(dir, { recursive: true, force: true });
});

function runFolder(name: string): string {
  const f = join(dir, name);
  mkdirSync(f);
  copyFileSync(join(FIXTURES, 'dtypes.safetensors'), join(f, 'model.safetensors'));
  return f;
}

describe('special files never block', () => {
  it('a FIFO as the weights file: the scan ends and names the file', async () => {
    const f = join(dir, 'fifo-weights');
    mkdirSync(f);
    fifo(join(f, 'model.safetensors'));
    const result = await within(scanPaths([f]));
    const text = JSON.stringify(result);
    expect(text).toMatch(/model\.safetensors: is a FIFO \(named pipe\), not a regular file/);
  });
  it('FIFOs as config.json, trainer_state.json and tokenizer.json: the scan ends, none is used', async () => {
    const f = runFolder('fifo-json');
    for (const n of ['config.json', 'trainer_state.json', 'tokenizer.json']) fifo(join(f, n));
    const result = await within(scanPaths([f]));
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0].rawConfig).toBeNull();
    expect(result.runs[0].tokenizerPath).toBeNull();
    expect(result.runs[0].checkpoints[0].fingerprint).not.toBe('');
  });
  it('a FIFO or a device opened as weights is refused at open', async () => {
    const p = fifo(join(dir, 'pipe.bin'));
    const err = await within(openRandomAccess(p).then(() => null, (e: unknown) => e));
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).problem).toMatch(/FIFO/);
    const dev = await openRandomAccess('/dev/zero').then(() => null, (e: unknown) => e);
    expect((dev as FormatError).problem).toMatch(/is a device, not a regular file/);
  });
  it('probe texts: FIFO, device and binary files are refused, a text file is read', async () => {
    await expect(within(readProbeText(fifo(join(dir, 'probe-fifo.txt'))))).rejects.toThrow(/probe-fifo\.txt: cannot read the probe text \(is a FIFO/);
    await expect(readProbeText('/dev/zero')).rejects.toThrow(/is a device/);
    writeFileSync(join(dir, 'probe.bin'), Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0xff, 0xfe]));
    await expect(readProbeText(join(dir, 'probe.bin'))).rejects.toThrow(/not UTF-8 text|NUL bytes/);
    writeFileSync(join(dir, 'probe-nul.txt'), 'abc\0def');
    await expect(readProbeText(join(dir, 'probe-nul.txt'))).rejects.toThrow(/NUL bytes/);
    writeFileSync(join(dir, 'probe.txt'), 'The quick brown fox.');
    expect(await readProbeText(join(dir, 'probe.txt'))).toBe('The quick brown fox.');
  });
});

describe('tokenizer files are confined to the opened folder', () => {
  it('a tokenizer.json linked to a file outside the folder is not offered by the scan', async () => {
    const f = runFolder('tok-link');
    symlinkSync(join(dir, 'secret.txt'), join(f, 'tokenizer.json'));
    const result = await scanPaths([f]);
    expect(result.runs[0].tokenizerPath).toBeNull();
  });
  it('a tokenizer_config.json linked outside is refused by loadTokenizer, and its contents are never quoted', async () => {
    const f = join(dir, 'tok-config-link');
    mkdirSync(f);
    copyFileSync(join(FIXTURES, 'tokenizer', 'tokenizer.json'), join(f, 'tokenizer.json'));
    symlinkSync(join(dir, 'secret.txt'), join(f, 'tokenizer_config.json'));
    const err = await loadTokenizer(join(f, 'tokenizer.json')).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).file).toBe(join(f, 'tokenizer_config.json'));
    expect((err as FormatError).problem).toMatch(/symlink points outside the opened folder/);
    expect((err as Error).message).not.toContain('TOP-SECRET');
  });
  it('JSON errors give the position, not the text', async () => {
    const f = join(dir, 'tok-bad');
    mkdirSync(f);
    writeFileSync(join(f, 'tokenizer.json'), SECRET);
    const err = await loadTokenizer(join(f, 'tokenizer.json')).then(() => null, (e: unknown) => e);
    expect((err as FormatError).problem).toMatch(/tokenizer\.json is not valid JSON/);
    expect((err as Error).message).not.toContain('TOP-SECRET');
    const err2 = await readJsonRegular(join(dir, 'secret.txt'), 1024).then(() => null, (e: unknown) => e);
    expect((err2 as Error).message).not.toContain('TOP-SECRET');
  });
  it('deeply nested or oversized tokenizer_config.json is refused before JSON.parse spends seconds on it', async () => {
    const f = join(dir, 'tok-deep');
    mkdirSync(f);
    copyFileSync(join(FIXTURES, 'tokenizer', 'tokenizer.json'), join(f, 'tokenizer.json'));
    writeFileSync(join(f, 'tokenizer_config.json'), `{"tokenizer_class":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`);
    const err = await loadTokenizer(join(f, 'tokenizer.json')).then(() => null, (e: unknown) => e);
    expect((err as FormatError).problem).toMatch(/tokenizer_config\.json nests deeper than 512 levels/);
    writeFileSync(join(f, 'tokenizer_config.json'), JSON.stringify({ chat_template: 'x'.repeat(5 * 1024 * 1024) }));
    const big = await loadTokenizer(join(f, 'tokenizer.json')).then(() => null, (e: unknown) => e);
    expect((big as FormatError).problem).toMatch(/larger than the 4194304-byte limit/);
  });
  it('hub snapshots whose tokenizer files link into the same model blobs still load', async () => {
    const demo = join(__dirname, '..', '..', '..', 'resources', 'demo', 'hub');
    const result = await scanPaths([demo]);
    const tok = result.runs[0].tokenizerPath!;
    expect(tok).toMatch(/snapshots/);
    const t = await loadTokenizer(tok);
    expect(t.vocabSize).toBeGreaterThan(0);
  });
});
