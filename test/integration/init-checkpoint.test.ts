// init-dist --write-checkpoint end to end: a whole initial checkpoint drawn from a trained one
// (a GPT-NeoX-shaped float32 run, make-run.ts) is written by the CLI, opens as a new run with the
// same tensor names, shapes and dtypes (and config.json), and every tensor's values follow its
// trained distribution: sampled ones pass a two-sample Kolmogorov-Smirnov test at alpha = 0.001
// against the trained values and, for the 64,000-element embedding, match its 1%..99% quantiles
// within 6% of its std; permuted ones have exactly the trained sorted values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { openCheckpoint } from '../../main/formats/index';
import { writeInitCheckpoint } from '../../main/export/init-checkpoint';
import { quantileSorted } from '../../main/metrics/fits';
import { projectRoot } from '../../main/paths';
import { makeRun, type MadeRun } from './make-run';

let dir: string;
let db: string;
let made: MadeRun;
let runId: string;

/** Two-sample KS statistic of sorted a and b. */
function ks(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const v = Math.min(a[i], b[j]);
    while (i < a.length && a[i] <= v) i++;
    while (j < b.length && b[j] <= v) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

const sorted = (x: ArrayLike<number>): Float64Array => Float64Array.from(x).sort();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-init-ckpt-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 3, d: 32, layers: 2, vocab: 2000, seed: 3 });
  db = join(dir, 'atlas.sqlite');
  const store = new Store(db);
  const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false });
  runId = (await engine.openPaths({ paths: [made.root] })).runs[0].id;
  await engine.close();
  store.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function openAsRun(folder: string) {
  const store = new Store(join(dir, `open-${Math.random().toString(36).slice(2)}.sqlite`));
  const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false });
  const opened = await engine.openPaths({ paths: [folder] });
  await engine.close();
  store.close();
  return opened;
}

describe('init-dist --write-checkpoint', () => {
  it('the CLI writes a folder that opens as a new run; names, shapes, dtypes and config match; sampled tensors follow the trained distribution', async () => {
    const out = join(dir, 'init-sample');
    const cli = join(projectRoot(), 'out', 'main', 'cli.js');
    const r = spawnSync(process.execPath, [cli, 'init-dist', '--db', db, '--run', runId, '--write-checkpoint', out, '--seed', '7'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tensors sampled from their step-20 distributions/);
    const opened = await openAsRun(out);
    expect(opened.errors).toEqual([]);
    expect(opened.runs).toHaveLength(1);
    expect(opened.runs[0].family).toBe('gpt_neox');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(made.root, 'step_20', 'config.json'), 'utf8')));

    const src = await openCheckpoint(join(made.root, 'step_20'));
    const dst = await openCheckpoint(out);
    try {
      expect(dst.list().map((e) => [e.name, e.dtype, e.shape])).toEqual(src.list().map((e) => [e.name, e.dtype, e.shape]));
      for (const e of src.list()) {
        const a = sorted(await src.read(e.name, 'f64'));
        const b = sorted(await dst.read(e.name, 'f64'));
        const n = a.length;
        // Two-sample KS critical value at alpha = 0.001: 1.95 sqrt(2 / n).
        expect(ks(a, b), `${e.name} (${n} elements)`).toBeLessThan(1.95 * Math.sqrt(2 / n));
        expect(b[0]).toBeGreaterThanOrEqual(a[0]);
        expect(b[n - 1]).toBeLessThanOrEqual(a[n - 1]);
      }
      const emb = 'gpt_neox.embed_in.weight';
      const a = sorted(await src.read(emb, 'f64'));
      const b = sorted(await dst.read(emb, 'f64'));
      const mean = a.reduce((s, v) => s + v, 0) / a.length;
      const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
      for (let p = 0.01; p < 0.995; p += 0.01) expect(Math.abs(quantileSorted(b, p) - quantileSorted(a, p)), `q(${p.toFixed(2)})`).toBeLessThan(0.06 * std);
      // Not the trained tensor itself.
      expect(Array.from(await dst.read(emb, 'f64')).slice(0, 50)).not.toEqual(Array.from(await src.read(emb, 'f64')).slice(0, 50));
    } finally {
      await src.close();
      await dst.close();
    }
  }, 120_000);

  it('permute: exactly the trained values of every tensor, in another order; a non-empty folder is refused', async () => {
    const store = new Store(db, { readonly: true });
    try {
      const out = join(dir, 'init-permute');
      const r = await writeInitCheckpoint(store, { run: runId, step: 10, out, method: 'permute', seed: 1 });
      expect(r.checkpoint.step).toBe(10);
      expect(r.copied).toEqual([]);
      const src = await openCheckpoint(join(made.root, 'step_10'));
      const dst = await openCheckpoint(out);
      for (const e of src.list()) {
        const x = await src.read(e.name, 'f64');
        const y = await dst.read(e.name, 'f64');
        expect(Array.from(sorted(y))).toEqual(Array.from(sorted(x)));
        if (x.length > 100) expect(Array.from(y)).not.toEqual(Array.from(x));
      }
      await src.close();
      await dst.close();
      await expect(writeInitCheckpoint(store, { run: runId, out })).rejects.toThrow(/exists and is not empty/);
    } finally {
      store.close();
    }
  });
});
