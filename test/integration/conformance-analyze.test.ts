// Every file of the safetensors conformance table that the reader accepts (test/unit/readers/
// safetensors-cases.ts: scalars, zero-size tensors, a [0, 2^32, 2^32] shape, escaped and
// prototype names, the array and map spellings) is analysed end to end: opened as a run, the
// weight analyses run into a real SQLite file, and the export holds a Frobenius norm for every
// floating-point tensor equal to a naive float64 one (integer tensors are listed, not analysed).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { openSafetensors } from '../../main/formats/safetensors';
import { CONFORMANCE_CASES } from '../unit/readers/safetensors-cases';

const dir = mkdtempSync(join(tmpdir(), 'atlas-st-analyze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('accepted conformance files are analysed', () => {
  const accepted = CONFORMANCE_CASES.map((c, i) => ({ c, i })).filter(({ c }) => c.ours === 'accept' && (c.tensors?.length ?? 0) > 0);

  it(`${accepted.length} files with tensors: weights analysed, norms equal naive float64`, async () => {
    const store = new Store(join(dir, 'atlas.sqlite'));
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
    try {
      for (const { c, i } of accepted) {
        const folder = join(dir, `case-${i}`);
        mkdirSync(folder);
        const file = join(folder, 'model.safetensors');
        writeFileSync(file, c.bytes);
        const opened = await engine.openPaths({ paths: [file] });
        expect(opened.errors, c.name).toEqual([]);
        expect(opened.runs, c.name).toHaveLength(1);
        const { jobId } = await engine.startAnalysis({ runId: opened.runs[0].id, analyses: ['weights'] });
        const job = await engine.jobs.wait(jobId);
        expect(job.state, c.name).toBe('done');
        expect(job.failed, `${c.name}: ${job.warnings.join('; ')}`).toBe(0);
        const out = join(dir, `export-${i}`);
        await engine.exportData({ outDir: out, runId: opened.runs[0].id });
        // No name in these rows holds a comma or a line break: split, then undo the CSV quoting.
        const unquote = (f: string): string => (f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).replaceAll('""', '"') : f);
        const rows = readFileSync(join(out, 'scalars.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(unquote));
        const src = await openSafetensors(file);
        for (const e of src.list()) {
          const x = Array.from(await src.read(e.name, 'f64'));
          const norm = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
          const row = rows.find((r) => r[3] === e.name && r[6] === 'frobenius_norm');
          // The weight analyses cover floating-point tensors (main/jobs/units/common.ts).
          if (!['F16', 'BF16', 'F32', 'F64'].includes(e.dtype)) {
            expect(row, `${c.name}: ${e.name} (${e.dtype})`).toBeUndefined();
            continue;
          }
          if (x.length === 0) {
            if (row) expect(Number(row[7]), `${c.name}: ${e.name}`).toBe(0);
            continue;
          }
          expect(row, `${c.name}: ${e.name}`).toBeDefined();
          expect(Math.abs(Number(row![7]) - norm), `${c.name}: ${e.name}`).toBeLessThanOrEqual(1e-9 * Math.max(1, norm));
        }
        await src.close();
      }
    } finally {
      await engine.close();
      store.close();
    }
  }, 120_000);
});
