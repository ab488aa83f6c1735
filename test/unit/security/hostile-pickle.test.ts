// Issue 14, finding 1: a 2 KB pytorch_model.bin whose dicts form a DAG through the pickle memo
// made collectTensors expand 8^16 paths (heap death after ~90 s); set() copies of one large list
// were not counted against maxValues. Now a dict reached twice is refused, copies count, tensors
// are capped, and data.pkl is unpickled in a resource-limited worker whose death is a FormatError
// naming the file. Every hostile input is built here.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restrictedUnpickle } from '../../../main/formats/restricted-unpickler';
import { collectTensors, unpickleStateDict } from '../../../main/formats/state-dict';
import { openTorchZip } from '../../../main/formats/torch-zip';
import { FormatError } from '../../../main/formats/types';
import { unpickleStateDictIsolated } from '../../../main/formats/unpickle-thread';
import { scanPaths } from '../../../main/layouts/scan';
import { memoDagPickle, setCopyPickle, tensorOps, writeTorchArchive, EMPTY_DICT, SETITEM, STOP, binunicode } from './hostile-builders';

const repoRoot = join(__dirname, '..', '..', '..');
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'atlas-hostile-pickle-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(p: Promise<unknown>): Promise<FormatError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FormatError);
  return err as FormatError;
}

describe('memo DAG', () => {
  it('a small DAG (3 levels x 8) is refused, not listed as 512 tensors', async () => {
    const file = writeTorchArchive(join(dir, 'dag-small.bin'), memoDagPickle(3, 8));
    const err = await refusal(openTorchZip(file));
    expect(err.file).toBe(file);
    expect(err.problem).toMatch(/a second time through the memo; a state dict is a tree/);
  });
  it('the 16-level x 8 DAG of the report (a file of about 2 KB) is refused at once', async () => {
    const pickle = memoDagPickle(16, 8);
    const file = writeTorchArchive(join(dir, 'pytorch_model.bin'), pickle);
    expect(pickle.length).toBeLessThan(2500);
    const err = await refusal(openTorchZip(file));
    expect(err.file).toBe(file);
    expect(err.problem).toMatch(/second time through the memo/);
  });
  it('a run folder holding it scans at once: the checkpoint is reported unreadable with the file and the reason', async () => {
    const folder = join(dir, 'dag-run');
    mkdirSync(folder);
    writeTorchArchive(join(folder, 'pytorch_model.bin'), memoDagPickle(16, 8));
    const { runs } = await scanPaths([folder]);
    expect(runs).toHaveLength(1);
    expect(runs[0].checkpoints[0].warnings.join()).toMatch(/unreadable: .*pytorch_model\.bin: data\.pkl reaches the dict .* a second time through the memo/);
  });
  it('a tree (each dict once) still lists every tensor by its dotted name', () => {
    const ops = [0x80, 2, EMPTY_DICT, ...binunicode('a'), EMPTY_DICT, ...binunicode('w'), ...tensorOps(), SETITEM, SETITEM, ...binunicode('b'), ...tensorOps(), SETITEM, STOP];
    const tensors = unpickleStateDict(Uint8Array.from(ops), 'tree.bin');
    expect(tensors.map(([n]) => n)).toEqual(['a.w', 'b']);
  });
  it('the number of tensors per file is capped', () => {
    const ops = [0x80, 2, EMPTY_DICT];
    for (let i = 0; i < 11; i++) ops.push(...binunicode(`t${i}`), ...tensorOps(), SETITEM);
    ops.push(STOP);
    const root = restrictedUnpickle(Uint8Array.from(ops), 'many.bin');
    expect(collectTensors(root, 'many.bin', 11)).toHaveLength(11);
    expect(() => collectTensors(root, 'many.bin', 10)).toThrow(/more than 10 tensors/);
  });
});

describe('set() copies count against maxValues', () => {
  const limits = { maxMemo: 100, maxMarkDepth: 10, maxStack: 10_000, maxLongBytes: 8, maxValues: 1000 };
  it('100 copies of a 100-item list exceed 1,000 values', () => {
    const pickle = setCopyPickle(100, 100);
    expect(() => restrictedUnpickle(pickle, 'copies.bin', limits)).toThrow(/more than 1000 values \(copied items included\)/);
  });
  it('one copy stays within the bound', () => {
    expect(() => restrictedUnpickle(setCopyPickle(100, 1), 'copies.bin', limits)).not.toThrow();
  });
});

describe('unpickling in a resource-limited worker', () => {
  let script: string;
  beforeAll(async () => {
    const out = join(dir, 'bundle');
    await build({
      input: { 'unpickle-worker': join(repoRoot, 'main/formats/unpickle-worker.ts') },
      platform: 'node',
      logLevel: 'warn',
      output: { dir: out, format: 'esm', entryFileNames: '[name].mjs' },
    });
    script = join(out, 'unpickle-worker.mjs');
  }, 120_000);
  const unbounded = { maxMemo: 100, maxMarkDepth: 10, maxStack: 10_000, maxLongBytes: 8, maxValues: 1e12 };

  it('lists a valid state dict through the worker', async () => {
    const ops = [0x80, 2, EMPTY_DICT, ...binunicode('w'), ...tensorOps(), SETITEM, STOP];
    const tensors = await unpickleStateDictIsolated(Uint8Array.from(ops), 'ok.bin', { script, heapMb: 64 });
    expect(tensors.map(([n, t]) => [n, t.size])).toEqual([['w', [1]]]);
  });
  it('a pickle that exhausts the worker heap fails that file only, with its name; the next file works', async () => {
    // 20,000 copies of a 2,000-item list: 40M references (320 MB) against a 32 MiB heap.
    const err = await refusal(unpickleStateDictIsolated(setCopyPickle(2000, 20_000), '/data/hostile/pytorch_model.bin', { script, heapMb: 32, limits: unbounded }));
    expect(err.file).toBe('/data/hostile/pytorch_model.bin');
    expect(err.problem).toMatch(/exhausted the unpickler's 32 MiB memory limit/);
    const ops = [0x80, 2, EMPTY_DICT, ...binunicode('w'), ...tensorOps(), SETITEM, STOP];
    expect(await unpickleStateDictIsolated(Uint8Array.from(ops), 'next.bin', { script, heapMb: 32 })).toHaveLength(1);
  });
  it('a pickle over the time bound is refused by name', async () => {
    const err = await refusal(unpickleStateDictIsolated(setCopyPickle(2000, 20_000), 'slow.bin', { script, heapMb: 2048, timeoutMs: 1, limits: unbounded }));
    expect(err.file).toBe('slow.bin');
    expect(err.problem).toMatch(/took longer than/);
  });
  it('refusals inside the worker keep their message and file', async () => {
    const err = await refusal(unpickleStateDictIsolated(memoDagPickle(16, 8), 'dag.bin', { script, heapMb: 64 }));
    expect(err.file).toBe('dag.bin');
    expect(err.problem).toMatch(/second time through the memo/);
  });
});
