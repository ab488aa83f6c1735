// Shard indexes and the checkpoint entry point: values across shards equal torch, each tensor
// records its shard, and weight files are chosen by FORMATS.md's preference order.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listWeightFiles, openCheckpoint } from '../../../main/formats/index';
import { FormatError } from '../../../main/formats/types';
import { FIXTURES, expectExactlyEqual, loadExpected } from './expected';

describe('sharded checkpoints', () => {
  for (const [folder, indexName, format] of [
    ['sharded-safetensors', 'model.safetensors.index.json', 'safetensors'],
    ['sharded-bin', 'pytorch_model.bin.index.json', 'torch-zip'],
  ] as const) {
    it(`${folder}: every tensor equals torch and names its shard`, async () => {
      const dir = join(FIXTURES, folder);
      const src = await openCheckpoint(dir);
      expect(src.format).toBe(format);
      const weightMap = (JSON.parse(readFileSync(join(dir, indexName), 'utf8')) as { weight_map: Record<string, string> }).weight_map;
      const expected = loadExpected(join(dir, 'all'));
      expect(src.list().length).toBe(expected.length);
      const byName = new Map(src.list().map((e) => [e.name, e]));
      for (const e of expected) {
        expect(byName.get(e.name)!.file).toBe(join(dir, weightMap[e.name]));
        expectExactlyEqual(await src.read(e.name, 'f64'), e.values, e.name);
      }
      await src.close();
    });
  }

  const tmp = mkdtempSync(join(tmpdir(), 'atlas-shards-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('refuses a weight_map that escapes the folder', async () => {
    const dir = join(tmp, 'escape');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: '../../etc/passwd.safetensors' } }));
    await expect(openCheckpoint(dir)).rejects.toThrow(/outside the checkpoint folder/);
  });

  it('refuses an index that lists a tensor its shard lacks', async () => {
    const dir = join(tmp, 'lying');
    mkdirSync(dir);
    const shard = readFileSync(join(FIXTURES, 'sharded-safetensors', 'model-00001-of-00002.safetensors'));
    writeFileSync(join(dir, 's.safetensors'), shard);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { ghost: 's.safetensors' } }));
    const err = await openCheckpoint(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).problem).toMatch(/weight_map lists "ghost"/);
  });
});

describe('weight file preference', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'atlas-pref-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const make = (name: string, files: Record<string, string>): string => {
    const dir = join(tmp, name);
    mkdirSync(dir);
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  };
  const index = JSON.stringify({ weight_map: { a: 'part-1.bin' } });
  it('sharded safetensors > safetensors > sharded bin > bin > pt', async () => {
    const all = { 'model.safetensors.index.json': JSON.stringify({ weight_map: { a: 'm-1.safetensors' } }), 'model.safetensors': '', 'pytorch_model.bin.index.json': index, 'pytorch_model.bin': '', 'x.pt': '' };
    expect((await listWeightFiles(make('a', all)))!.kind).toBe('safetensors-index');
    const { ['model.safetensors.index.json']: _a, ...b } = all;
    expect((await listWeightFiles(make('b', b)))!.kind).toBe('safetensors');
    const { ['model.safetensors']: _b, ...c } = b;
    const wc = (await listWeightFiles(make('c', c)))!;
    expect(wc.kind).toBe('bin-index');
    expect(wc.files).toEqual([join(tmp, 'c', 'part-1.bin')]);
    const { ['pytorch_model.bin.index.json']: _c, ...d } = c;
    expect((await listWeightFiles(make('d', d)))!.kind).toBe('bin');
    const { ['pytorch_model.bin']: _d, ...e } = d;
    expect((await listWeightFiles(make('e', e)))!).toMatchObject({ kind: 'pt', files: [join(tmp, 'e', 'x.pt')] });
    expect(await listWeightFiles(make('f', { 'optimizer.pt': '', 'config.json': '{}' }))).toBeNull();
    expect((await listWeightFiles(make('g', { 'a.pt': '', 'my_model.pt': '' })))!.files).toEqual([join(tmp, 'g', 'my_model.pt')]);
  });
  it('refuses to guess between unrelated files or shards without their index', async () => {
    await expect(listWeightFiles(make('h', { 'a.pt': '', 'b.pt': '' }))).rejects.toThrow(/several candidate weight files \(a\.pt, b\.pt\)/);
    await expect(listWeightFiles(make('i', { 'model-00001-of-00002.safetensors': '', 'model-00002-of-00002.safetensors': '' }))).rejects.toThrow(/without their \.index\.json/);
  });
});
