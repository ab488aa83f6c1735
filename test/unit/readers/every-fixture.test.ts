// Every weight file that tools/make_reader_fixtures.py wrote expected values for is opened through
// the public entry point (openCheckpoint) and compared with torch bit for bit, in f64 and f32.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../main/formats/index';
import { FIXTURES, expectExactlyEqual, loadExpected, toF32 } from './expected';

function expectedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...expectedFiles(p));
    else if (name.endsWith('.expected.json')) out.push(p.slice(0, -'.expected.json'.length));
  }
  return out.sort();
}

describe('every fixture with torch values', () => {
  const bases = expectedFiles(FIXTURES);
  it('covers the fixture set', () => {
    expect(bases.length).toBeGreaterThanOrEqual(16);
  });
  for (const base of bases) {
    const rel = base.slice(FIXTURES.length + 1);
    // `all` stands for a sharded folder; `step8` for the hub snapshot of that revision.
    const hubRef = join(dirname(base), 'refs', basename(base));
    const target = base.endsWith('/all') ? base.slice(0, -4)
      : existsSync(base) ? base
      : existsSync(hubRef) ? join(dirname(base), 'snapshots', readFileSync(hubRef, 'utf8').trim())
      : null;
    it(rel, async () => {
      expect(target, `no weights for ${rel}`).not.toBeNull();
      const src = await openCheckpoint(target!);
      for (const e of loadExpected(base)) {
        expectExactlyEqual(await src.read(e.name, 'f64'), e.values, `${rel}:${e.name}`);
        expectExactlyEqual(await src.read(e.name, 'f32'), toF32(e.values), `${rel}:${e.name}`);
      }
      await src.close();
    });
  }
});
