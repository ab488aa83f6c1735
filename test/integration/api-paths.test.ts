// Issue 14, finding 8: the API's browse, openPaths, exportData and the probe file accepted any
// path (/etc/shadow was accepted as probe text; a FIFO hung the call). The folder picker stays
// usable; special files are refused, sizes capped, and non-text files are not probes. A real
// engine and SQLite cache; the hostile paths are made here.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasError } from '../../common/api';
import { Engine } from '../../main/api/engine';
import { Store } from '../../main/store/store';

let dir: string;
let store: Store;
let engine: Engine;
const fifos: string[] = [];
const fifo = (p: string): string => { execFileSync('mkfifo', [p]); fifos.push(p); return p; };
const within = <T>(p: Promise<T>, ms = 10_000): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still blocked after ${ms} ms`)), ms).unref())]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-api-paths-'));
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', scanHubCache: false, demoRoots: [], defaultThreads: 0 });
});
afterAll(async () => {
  for (const f of fifos) { try { closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader */ } }
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function atlasError(p: Promise<unknown>): Promise<AtlasError> {
  const err = await within(p.then(() => null, (e: unknown) => e));
  expect(err).toBeInstanceOf(AtlasError);
  return err as AtlasError;
}

describe('browse', () => {
  it('offers folders and regular weight/JSON files, never a FIFO', async () => {
    const f = join(dir, 'pick');
    mkdirSync(join(f, 'sub'), { recursive: true });
    writeFileSync(join(f, 'config.json'), '{}');
    fifo(join(f, 'pipe.json'));
    fifo(join(f, 'model.safetensors'));
    const res = await within(engine.browse({ path: f }));
    expect(res.entries.map((e) => e.name)).toEqual(['config.json', 'sub']);
  });
});

describe('openPaths', () => {
  it('a FIFO given as a path is refused by name at once', async () => {
    const p = fifo(join(dir, 'weights.safetensors'));
    const res = await within(engine.openPaths({ paths: [p] }));
    expect(res.runs).toEqual([]);
    expect(res.errors).toEqual([{ path: p, message: 'is a FIFO (named pipe), not a file or folder; not opened' }]);
  });
});

describe('probe files', () => {
  let runId = '';
  beforeAll(async () => {
    const run = join(dir, 'run');
    mkdirSync(run);
    copyFileSync(join(__dirname, '..', 'fixtures', 'readers', 'dtypes.safetensors'), join(run, 'model.safetensors'));
    const opened = await engine.openPaths({ paths: [run] });
    runId = opened.runs[0].id;
  });
  it('a FIFO, a device and a binary file are refused before any job starts', async () => {
    const before = (await engine.listJobs({})).jobs.length;
    const probeFifo = fifo(join(dir, 'probe-fifo.txt'));
    const e1 = await atlasError(engine.startAnalysis({ runId, analyses: ['activations'], probe: { file: probeFifo } }));
    expect(e1.code).toBe('bad-request');
    expect(e1.message).toMatch(/probe-fifo\.txt: cannot read the probe text \(is a FIFO/);
    const e2 = await atlasError(engine.startAnalysis({ runId, analyses: ['activations'], probe: { file: '/dev/zero' } }));
    expect(e2.message).toMatch(/is a device/);
    writeFileSync(join(dir, 'probe.bin'), Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0xff]));
    const e3 = await atlasError(engine.startAnalysis({ runId, analyses: ['activations'], probe: { file: join(dir, 'probe.bin') } }));
    expect(e3.message).toMatch(/not UTF-8 text|NUL bytes/);
    writeFileSync(join(dir, 'probe-big.txt'), Buffer.alloc(16 * 1024 * 1024 + 1, 0x61));
    const e4 = await atlasError(engine.startAnalysis({ runId, analyses: ['activations'], probe: { file: join(dir, 'probe-big.txt') } }));
    expect(e4.message).toMatch(/larger than the 16777216-byte limit/);
    expect((await engine.listJobs({})).jobs.length).toBe(before);
  });
});

describe('exportData', () => {
  it('an output path that is a file (or a FIFO) is refused', async () => {
    writeFileSync(join(dir, 'not-a-folder'), 'x');
    expect((await atlasError(engine.exportData({ outDir: join(dir, 'not-a-folder') }))).message).toMatch(/exists and is not a folder/);
    const p = fifo(join(dir, 'out-fifo'));
    expect((await atlasError(engine.exportData({ outDir: p }))).message).toMatch(/not a folder/);
  });
});
