// The import-layer check (docs/ARCHITECTURE.md "Layers"): the project passes it, and a planted
// wrong import or cycle in a scratch tree fails it, naming the import.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers, describeViolation } from './rules';

const root = join(__dirname, '..', '..', '..');

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('import layers', () => {
  it('the project keeps every layer rule and has no import cycle', async () => {
    const violations = await checkLayers(root);
    expect(violations.map(describeViolation)).toEqual([]);
  });

  it('a planted wrong import fails, naming the rule and the import', async () => {
    const dir = tree({
      'common/shared.ts': "import { engine } from '../main/api/engine';\nexport const shared = engine;\n",
      'main/api/engine.ts': 'export const engine = 1;\n',
      'main/metrics/kernel.ts': "import type { Job } from '../jobs/manager';\nexport type K = Job;\n",
      'main/jobs/manager.ts': 'export interface Job { id: string }\n',
      'renderer/src/view.ts': "import { engine } from '../../main/api/engine';\nexport const v = engine;\n",
    });
    try {
      const lines = (await checkLayers(dir)).map(describeViolation).sort();
      expect(lines).toEqual([
        'common-imports-no-process: common/shared.ts imports main/api/engine.ts',
        'kernels-import-no-engine: main/metrics/kernel.ts imports main/jobs/manager.ts',
        'renderer-talks-through-the-api: renderer/src/view.ts imports main/api/engine.ts',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cycle through a type-only import fails, naming the files around it', async () => {
    const dir = tree({
      'main/jobs/a.ts': "import type { B } from './b';\nexport interface A { b: B }\n",
      'main/jobs/b.ts': "import { make } from './a-make';\nexport interface B { n: number }\nexport const b = make;\n",
      'main/jobs/a-make.ts': "import type { A } from './a';\nexport const make = (a: A): A => a;\n",
    });
    try {
      const violations = await checkLayers(dir);
      expect(violations.length).toBeGreaterThan(0);
      expect(violations.every((v) => v.rule === 'no-cycles')).toBe(true);
      const files = new Set(violations.flatMap((v) => [v.from, ...(v.cycle ?? [])]));
      expect([...files].sort()).toEqual(['main/jobs/a-make.ts', 'main/jobs/a.ts', 'main/jobs/b.ts']);
      expect(describeViolation(violations[0])).toMatch(/^no-cycles: main\/jobs\/.+ imports main\/jobs\/.+ \(cycle: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
