// Issue 14, finding 2: `export` wrote fixed names into the chosen folder, replacing a user's own
// scalars.csv and following a planted `scalars.csv -> ~/.bashrc` link (a tensor named
// `$(touch X)` then ran when the file was sourced). Now existing files that an earlier export did
// not write are refused by name, links are never followed, files appear by rename from an
// O_EXCL|O_NOFOLLOW temporary, and text fields are quoted. Hostile folders are built here.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasError } from '../../../common/api';
import { csvField, exportRun } from '../../../main/export/tables';
import { Store } from '../../../main/store/store';

let dir: string;
let store: Store;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-export-safety-'));
  store = new Store(join(dir, 'cache.sqlite'));
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(outDir: string): Promise<AtlasError> {
  const err = await exportRun(store, [], outDir).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AtlasError);
  return err as AtlasError;
}
const temporaries = (d: string): string[] => readdirSync(d).filter((n) => n.endsWith('.tmp'));

describe('export never overwrites what it did not write', () => {
  it("a user's own scalars.csv is refused by name and left as it was", async () => {
    const out = join(dir, 'own');
    mkdirSync(out);
    writeFileSync(join(out, 'scalars.csv'), 'my,own,data\n');
    const err = await refusal(out);
    expect(err.file).toBe(join(out, 'scalars.csv'));
    expect(err.message).toMatch(/already exists and was not written by an earlier export.*refusing to overwrite/);
    expect(readFileSync(join(out, 'scalars.csv'), 'utf8')).toBe('my,own,data\n');
    expect(existsSync(join(out, 'spectra.jsonl'))).toBe(false);
    expect(temporaries(out)).toEqual([]);
  });
  it('a planted link to a start-up file is refused; the target is untouched', async () => {
    const out = join(dir, 'planted');
    mkdirSync(out);
    const bashrc = join(dir, 'bashrc');
    writeFileSync(bashrc, 'export PS1=x\n');
    symlinkSync(bashrc, join(out, 'histograms.jsonl'));
    const err = await refusal(out);
    expect(err.message).toMatch(/histograms\.jsonl is a symbolic link; export never writes through links/);
    expect(readFileSync(bashrc, 'utf8')).toBe('export PS1=x\n');
    expect(temporaries(out)).toEqual([]);
  });
  it('a dangling link (to a file the export would create) is refused too', async () => {
    const out = join(dir, 'dangling');
    mkdirSync(out);
    symlinkSync(join(dir, 'would-be-created'), join(out, 'qq.jsonl'));
    await refusal(out);
    expect(existsSync(join(dir, 'would-be-created'))).toBe(false);
  });
  it('its own earlier export is replaced; a file changed since is refused', async () => {
    const out = join(dir, 'again');
    const first = await exportRun(store, [], out);
    const names = first.map((f) => f.slice(out.length + 1));
    expect(names).toContain('scalars.csv');
    expect(names).toContain('spectra.jsonl');
    for (const f of first) expect(existsSync(f), f).toBe(true);
    expect(readFileSync(join(out, 'scalars.csv'), 'utf8')).toBe('run,step,checkpoint,tensor,role,block,metric,value\n');
    await exportRun(store, [], out);
    expect(temporaries(out)).toEqual([]);
    writeFileSync(join(out, 'scalars.csv'), 'run,step,checkpoint,tensor,role,block,metric,value\nedited by hand\n');
    await refusal(out);
    expect(readFileSync(join(out, 'scalars.csv'), 'utf8')).toMatch(/edited by hand/);
  });
});

describe('CSV fields are quoted', () => {
  it('plain names stay bare; shell, formula, comma, quote and newline text is quoted', () => {
    expect(csvField('gpt_neox.layers.0.attention.dense.weight')).toBe('gpt_neox.layers.0.attention.dense.weight');
    expect(csvField(-0.25)).toBe('-0.25');
    expect(csvField('$(touch X)')).toBe('"$(touch X)"');
    expect(csvField('`id`')).toBe('"`id`"');
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('-2+3')).toBe(`"'-2+3"`);
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(null)).toBe('');
  });
});
