// torch.save zip reader + restricted unpickler: exact values against torch for every dtype, views
// (storage offset, strides, shared storages), old Pythia buffers, tied GPT-2 weights; hostile
// archives and malicious pickles are refused by name and never run.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherStrided, openTorchZip } from '../../../main/formats/torch-zip';
import { restrictedUnpickle } from '../../../main/formats/restricted-unpickler';
import { FormatError } from '../../../main/formats/types';
import { FIXTURES, expectExactlyEqual, loadExpected, toF32 } from './expected';

const MARKERS = ['os-system', 'eval', 'popen'].map((m) => `/tmp/checkpoint-atlas-pwned-${m}`);

async function expectSameAsTorch(file: string, expectedBase = file): Promise<void> {
  const expected = loadExpected(expectedBase);
  const src = await openTorchZip(file);
  expect(src.format).toBe('torch-zip');
  const listed = new Map(src.list().map((e) => [e.name, e]));
  expect([...listed.keys()].sort()).toEqual(expected.map((e) => e.name).sort());
  for (const e of expected) {
    expect(listed.get(e.name)!.dtype, e.name).toBe(e.dtype);
    expect(listed.get(e.name)!.shape, e.name).toEqual(e.shape);
    expectExactlyEqual(await src.read(e.name, 'f64'), e.values, `${e.name} f64`);
    expectExactlyEqual(await src.read(e.name), toF32(e.values), `${e.name} f32`);
  }
  await src.close();
}

describe('torch zip: values equal torch exactly', () => {
  it('every dtype', () => expectSameAsTorch(join(FIXTURES, 'dtypes.pt')));
  it('views: storage offset, non-contiguous strides, shared storage (protocol 2)', () => expectSameAsTorch(join(FIXTURES, 'views.pt')));
  it('views in a ZIP64 archive (as torch writes files over 4 GB)', () => expectSameAsTorch(join(FIXTURES, 'views-zip64.pt')));
  it('views with pickle protocol 4', () => expectSameAsTorch(join(FIXTURES, 'views-proto4.pt')));
  it('old Pythia file with causal-mask and rotary buffers', () => expectSameAsTorch(join(FIXTURES, 'pythia-old', 'pytorch_model.bin')));
  it('a real nn.Module state_dict (OrderedDict with _metadata set by BUILD)', () => expectSameAsTorch(join(FIXTURES, 'module-state-dict.pt')));
  it('parameters (_rebuild_parameter) in a nested dict get dotted names; other values are skipped', () => expectSameAsTorch(join(FIXTURES, 'parameters.pt')));
  it('tied GPT-2 weights share one storage', async () => {
    const file = join(FIXTURES, 'gpt2-tied', 'pytorch_model.bin');
    await expectSameAsTorch(file);
    const src = await openTorchZip(file);
    const byName = new Map(src.list().map((e) => [e.name, e]));
    expect(byName.get('lm_head.weight')!.byteOffset).toBe(byName.get('transformer.wte.weight')!.byteOffset);
    await src.close();
  });
  it('views record strides only when non-contiguous and read only their span', async () => {
    const src = await openTorchZip(join(FIXTURES, 'views.pt'));
    const byName = new Map(src.list().map((e) => [e.name, e]));
    expect(byName.get('base')!.strides).toBeUndefined();
    expect(byName.get('transposed')!.strides).toEqual([1, 6]);
    expect(byName.get('row2')!.byteOffset - byName.get('base')!.byteOffset).toBe(12 * 4);
    expect(byName.get('block')!.byteLength).toBe((1 + 1 * 6 + 2 * 1) * 4);
    expect(byName.get('expanded')!.strides).toEqual([0, 1]);
    expect(byName.get('expanded')!.byteLength).toBe(3 * 4);
    await src.close();
  });
});

describe('gatherStrided against a naive index computation', () => {
  it('matches sum(index * stride) for a 3-D view', () => {
    const shape = [2, 3, 4];
    const strides = [1, 20, 5];
    const span = Float64Array.from({ length: 1 + 1 * 1 + 2 * 20 + 3 * 5 }, (_, i) => i * 1.5);
    const got = gatherStrided(span, shape, strides, new Float64Array(24));
    const naive: number[] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) naive.push(span[a * 1 + b * 20 + c * 5]);
    expect(Array.from(got)).toEqual(naive);
  });
});

describe('torch zip: hostile files', () => {
  const elapsed: number[] = [];
  afterAll(() => console.log(`torch zip hostile refusals: slowest ${Math.max(...elapsed).toFixed(1)} ms of ${elapsed.length}`));
  beforeAll(() => {
    for (const m of MARKERS) rmSync(m, { force: true });
  });
  const cases: [string, RegExp][] = [
    ['evil-os-system.pt', /refused global posix\.system/],
    ['evil-eval.pt', /refused global builtins\.eval/],
    ['evil-popen.pt', /refused global subprocess\.Popen/],
    ['evil-proto4.pt', /refused global posix\.system/],
    ['load-from-bytes.pt', /refused global torch\.storage\._load_from_bytes/],
    ['compressed.pt', /is compressed \(method 8\)/],
    ['zip-bomb.pt', /more than the file holds/],
    ['too-many-entries.pt', /declares 65535 entries/],
    ['truncated.pt', /no zip end-of-central-directory record/],
    ['legacy.pt', /legacy \(non-zip\) torch\.save format is not supported; re-save with torch >= 1\.6/],
    ['legacy-tar.pt', /legacy \(non-zip\) torch\.save format is not supported/],
    ['garbage.bin', /not a torch\.save zip archive/],
  ];
  for (const [name, problem] of cases) {
    it(name, async () => {
      const file = join(FIXTURES, 'hostile', name);
      const started = performance.now();
      const err = await openTorchZip(file).then(() => null, (e: unknown) => e);
      elapsed.push(performance.now() - started);
      expect(elapsed[elapsed.length - 1]).toBeLessThan(5000); // sanity bound, not a speed test
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).file).toBe(file);
      expect((err as FormatError).problem).toMatch(problem);
    });
  }
  it('never ran any payload', () => {
    for (const m of MARKERS) expect(existsSync(m), m).toBe(false);
  });
});

describe('restricted unpickler limits', () => {
  const file = 'mem.pkl';
  it('refuses a string longer than the pickle', () => {
    const p = Uint8Array.from([0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x61, 0x2e]);
    expect(() => restrictedUnpickle(p, file)).toThrow(/runs past the end of the pickle/);
  });
  it('refuses deep MARK nesting', () => {
    const p = new Uint8Array(20_002).fill(0x28);
    p[20_001] = 0x2e;
    expect(() => restrictedUnpickle(p, file)).toThrow(/MARK nesting exceeds/);
  });
  it('refuses a memo larger than the limit', () => {
    const ops = [0x80, 2, 0x4e];
    for (let i = 0; i < 5; i++) ops.push(0x94);
    ops.push(0x2e);
    expect(() => restrictedUnpickle(Uint8Array.from(ops), file, { maxMemo: 3, maxMarkDepth: 10, maxStack: 100, maxLongBytes: 8, maxValues: 1000 })).toThrow(/memo exceeds 3/);
  });
  it('caps the number of values a pickle may create', () => {
    const ops = [0x80, 2, 0x5d, 0x28];
    for (let i = 0; i < 50; i++) ops.push(0x4e);
    ops.push(0x65, 0x2e);
    expect(() => restrictedUnpickle(Uint8Array.from(ops), file, { maxMemo: 3, maxMarkDepth: 10, maxStack: 100, maxLongBytes: 8, maxValues: 40 })).toThrow(/more than 40 values/);
  });
  it('refuses unknown opcodes and missing STOP', () => {
    expect(() => restrictedUnpickle(Uint8Array.from([0x80, 2, 0x69]), file)).toThrow(/unsupported pickle opcode 0x69/);
    expect(() => restrictedUnpickle(Uint8Array.from([0x80, 2, 0x4e]), file)).toThrow(/without STOP/);
  });
  it('decodes plain values', () => {
    // {'a': [1, -2, 3.5, True, None], 'b': (300, 70000)} written by pickle protocol 2
    const p = Uint8Array.from([
      0x80, 2, 0x7d, 0x28, 0x58, 1, 0, 0, 0, 0x61, 0x5d, 0x28, 0x4b, 1, 0x4a, 0xfe, 0xff, 0xff, 0xff,
      0x47, 0x40, 0x0c, 0, 0, 0, 0, 0, 0, 0x88, 0x4e, 0x65, 0x58, 1, 0, 0, 0, 0x62, 0x4d, 0x2c, 0x01,
      0x4a, 0x70, 0x11, 0x01, 0x00, 0x86, 0x75, 0x2e,
    ]);
    expect(restrictedUnpickle(p, file)).toEqual({
      kind: 'dict',
      items: [['a', { kind: 'list', items: [1, -2, 3.5, true, null] }], ['b', { kind: 'tuple', items: [300, 70000] }]],
    });
  });
});
