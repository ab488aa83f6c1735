// Tests of the fuzz harness itself (test/fuzz/): cases are reproducible from their index, the zip
// writer produces archives the real torch reader reads back identically (so pickle mutations
// reach the unpickler), the pickle splitter is lossless, every malicious-GLOBAL spelling is refused
// by name, and the supervisor's watchdog turns a spinning, a dying and a memory-hungry worker into
// hang, worker-exit and memory findings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTorchZipIndex, readTorchEntry } from '../../../main/formats/torch-zip';
import { FormatError } from '../../../main/formats/types';
import { concat } from '../../fuzz/mutate-bytes';
import { CANARY_PATH, evilCall, splitPickle } from '../../fuzz/mutate-pickle';
import { Rng } from '../../fuzz/rng';
import { FuzzSupervisor } from '../../fuzz/supervisor';
import { TARGET_NAMES, exercise, generateCase, loadSeeds, memoryOpener, type Seeds } from '../../fuzz/targets';
import { writeZipModel } from '../../fuzz/zip-model';

const repoRoot = join(__dirname, '..', '..', '..');
let seeds: Seeds;
let scratch: string;

beforeAll(async () => {
  seeds = await loadSeeds(repoRoot);
  scratch = mkdtempSync(join(tmpdir(), 'atlas-fuzz-test-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('case generation', () => {
  it('finds seeds for every target', () => {
    expect(seeds.safetensors.length).toBeGreaterThan(5);
    expect(seeds.torchZip.length).toBeGreaterThan(5);
    expect(seeds.torchModels.length).toBeGreaterThan(5);
    expect(seeds.config.length).toBeGreaterThan(2);
    expect(seeds.tokenizer.length).toBe(1);
    expect(seeds.shardFolders.map((s) => s.origin).sort()).toEqual(['sharded-bin', 'sharded-safetensors']);
  });

  it('regenerates the same bytes from (seed, target, index), different bytes for other indices', () => {
    for (const target of TARGET_NAMES) {
      const distinct = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const a = generateCase(target, 7, i, seeds);
        const b = generateCase(target, 7, i, seeds);
        expect(b.files.map((f) => f.name)).toEqual(a.files.map((f) => f.name));
        a.files.forEach((f, k) => expect(Buffer.compare(Buffer.from(f.bytes), Buffer.from(b.files[k].bytes))).toBe(0));
        distinct.add(Buffer.concat(a.files.map((f) => Buffer.from(f.bytes))).toString('base64'));
      }
      expect(distinct.size).toBeGreaterThan(6);
    }
  });

  it('xoshiro stream is fixed by its seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(sa);
    expect(new Set(sa).size).toBe(8);
  });
});

describe('zip model', () => {
  it('rewritten seed archives (plain and ZIP64) read back with the same tensors and values', async () => {
    for (const model of seeds.torchModels) {
      const original = seeds.torchZip.find((s) => s.origin === model.origin)!.files[0].bytes;
      const read = async (bytes: Uint8Array): Promise<[string, number[]][]> => {
        const file = await memoryOpener(new Map([['/m.pt', bytes]]))('/m.pt');
        const index = await readTorchZipIndex(file);
        const out: [string, number[]][] = [];
        for (const e of index.entries) out.push([`${e.name} ${e.dtype} [${e.shape.join(',')}]`, Array.from(await readTorchEntry(file, e, 'f64'))]);
        return out;
      };
      const expected = await read(original);
      expect(expected.length).toBeGreaterThan(0);
      for (const zip64 of [false, true]) expect(await read(writeZipModel(model.entries, { zip64 }).bytes)).toEqual(expected);
    }
  });
});

describe('pickle mutations', () => {
  it('splits every seed pickle into known opcodes and joins it back losslessly', () => {
    for (const model of seeds.torchModels) {
      const pkl = model.entries.find((e) => e.name.endsWith('/data.pkl'))!.data;
      const ops = splitPickle(pkl);
      expect(ops.every((o) => o.op >= 0)).toBe(true);
      expect(ops[ops.length - 1].op).toBe(0x2e);
      expect(Buffer.compare(Buffer.from(concat(...ops.map((o) => o.bytes))), Buffer.from(pkl))).toBe(0);
    }
  });

  it('every malicious call spelling, placed right after PROTO, is refused by name and creates no marker', async () => {
    const model = seeds.torchModels[0];
    const pkl = model.entries.find((e) => e.name.endsWith('/data.pkl'))!.data;
    const rng = new Rng(1);
    const messages = new Set<string>();
    for (let i = 0; i < 120; i++) {
      const evil = evilCall(rng);
      const mutated = concat(pkl.subarray(0, 2), evil, pkl.subarray(2));
      const entries = model.entries.map((e) => (e.name.endsWith('/data.pkl') ? { ...e, data: mutated } : e));
      const input = { files: [{ name: 'model.pt', bytes: writeZipModel(entries).bytes }], entry: 'model.pt', origin: 'test' };
      const err = await exercise('pickle', input, { dir: scratch }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(FormatError);
      const m = (err as Error).message;
      expect(m).toMatch(/data\.pkl: (refused global|unsupported pickle opcode 0x(69|6f) )/);
      messages.add(m.replace(/ at \d+$/, '').replace(/^.*data\.pkl: /, ''));
    }
    // All spellings were exercised: refused globals by name and the INST/OBJ opcodes.
    expect([...messages].some((m) => m.startsWith('refused global os.system'))).toBe(true);
    expect([...messages].some((m) => m.startsWith('refused global subprocess.Popen'))).toBe(true);
    expect([...messages].some((m) => m.includes('(written as __builtin__.eval)'))).toBe(true);
    expect([...messages].some((m) => m.startsWith('unsupported pickle opcode 0x69'))).toBe(true);
    const { existsSync } = await import('node:fs');
    expect(existsSync(CANARY_PATH)).toBe(false);
  });
});

describe('supervisor watchdog', () => {
  // Minimal workers that speak the protocol (test/fuzz/protocol.ts) and misbehave on purpose.
  const workerSource = (onCase: string): string => `
    import { parentPort, workerData } from 'node:worker_threads';
    import { existsSync, writeFileSync } from 'node:fs';
    const shared = new Float64Array(workerData.shared);
    parentPort.on('message', async (req) => {
      const to = req.to ?? req.from + req.inputs.length;
      for (let i = req.from; i < to; i++) {
        const cpu = process.cpuUsage();
        shared[0] = i; shared[1] = Date.now(); shared[5] = cpu.user + cpu.system; shared[6] = process.memoryUsage.rss(); shared[2] = 1;
        ${onCase}
        shared[2] = 0; shared[4]++;
      }
      parentPort.postMessage({ kind: 'done', stats: { cases: to - req.from, successes: to - req.from, typedErrors: 0, findings: 0, maxCaseMs: 0, maxCaseOrigin: '', maxCaseCpuMs: 0, peakRss: 0, maxRssGrowth: 0, unconfirmed: 0, unconfirmedNotes: [], reasons: {} } });
    });
    parentPort.postMessage({ kind: 'ready' });
  `;
  const run = async (name: string, onCase: string, rssLimitBytes = 8 * 2 ** 30, timeoutMs = 300) => {
    const file = join(scratch, `${name}.mjs`);
    writeFileSync(file, workerSource(onCase));
    const supervisor = new FuzzSupervisor({ repoRoot, workerFile: file, scratchDir: scratch, timeoutMs, rssLimitBytes });
    try {
      return await supervisor.run({ kind: 'generate', target: 'config', runSeed: 3, from: 0, to: 3 });
    } finally {
      await supervisor.close();
    }
  };

  it('a case that spins is a hang; the next case runs in a fresh worker', async () => {
    const { stats, findings } = await run('spin', 'if (i === 1) for (;;) {}');
    expect(findings.map((f) => [f.kind, f.caseIndex])).toEqual([['hang', 1]]);
    expect(stats.cases).toBe(3);
    // The finding carries the regenerated input of case 1.
    expect(findings[0].input.files[0].bytes).toEqual(generateCase('config', 3, 1, seeds).files[0].bytes);
  });

  it('a hang that does not repeat when the case runs again alone is counted as unconfirmed, not a finding', async () => {
    const flag = join(scratch, 'spun-once');
    const { stats, findings } = await run('spin-once', `if (i === 1 && !existsSync(${JSON.stringify(flag)})) { writeFileSync(${JSON.stringify(flag)}, ''); for (;;) {} }`);
    expect(findings).toEqual([]);
    expect(stats.unconfirmed).toBe(1);
    expect(stats.cases).toBe(3);
  });

  it('a worker that dies is a worker-exit finding', async () => {
    const { findings } = await run('die', "if (i === 0) setTimeout(() => { throw new TypeError('boom'); }, 0), await new Promise((r) => setTimeout(r, 50));");
    expect(findings.map((f) => [f.kind, f.caseIndex])).toEqual([['worker-exit', 0]]);
    expect(findings[0].error).toMatch(/TypeError: boom/);
  });

  it('a case that grows the process RSS past the limit is a memory finding', async () => {
    const limit = 300 * 2 ** 20;
    // A generous time limit: the hang check counts the whole process's CPU time, which other test
    // files running in parallel inflate, and must not stop the hog before its memory does.
    const { findings } = await run('hog', "if (i === 2) { const keep = []; for (let k = 0; k < 40; k++) { keep.push(Buffer.alloc(64 * 2 ** 20, 1)); await new Promise((r) => setTimeout(r, 5)); } }", limit, 30_000);
    expect(findings.map((f) => [f.kind, f.caseIndex])).toEqual([['memory', 2]]);
  });
});
