// Tensors named like Object.prototype members (`__proto__`, `constructor`, `toString`,
// `hasOwnProperty`) are valid safetensors names (the reference accepts them) and must be analysed
// like any other: scan -> jobs -> SQLite -> export, in-thread and in worker threads, with norms
// checked against naive float64 and histograms covering every element. Names from files used as
// keys of plain objects break this (a lookup of "constructor" finds Object, an assignment to
// "__proto__" sets a prototype).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { workerScript } from '../../main/paths';
import { openSafetensors } from '../../main/formats/safetensors';
import { makeRun, type MadeRun } from './make-run';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const;
let dir: string;
let made: MadeRun;
/** extra[c].get(name) = the values written under that name in checkpoint c. */
const extra: Map<string, Float32Array>[] = [];

/** A safetensors file from (name, shape, values) triples: header built as text, never as an object keyed by name. */
function writeSafetensors(path: string, tensors: [string, number[], Float32Array][]): void {
  let offset = 0;
  const parts = tensors.map(([name, shape, v]) => {
    const part = `${JSON.stringify(name)}:{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${offset},${offset + v.byteLength}]}`;
    offset += v.byteLength;
    return part;
  });
  let text = `{${parts.join(',')}}`;
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(Buffer.from(text, 'utf8'), 8);
  let p = 8 + text.length;
  for (const [, , v] of tensors) {
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), p);
    p += v.byteLength;
  }
  writeFileSync(path, out);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-proto-names-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 3, d: 8, layers: 1, vocab: 300 });
  for (let c = 0; c < made.steps.length; c++) {
    const file = join(made.root, `step_${made.steps[c]}`, 'model.safetensors');
    const src = await openSafetensors(file);
    const tensors: [string, number[], Float32Array][] = [];
    for (const e of src.list()) tensors.push([e.name, e.shape, (await src.read(e.name)) as Float32Array]);
    await src.close();
    const mine = new Map<string, Float32Array>();
    NAMES.forEach((name, k) => {
      const v = Float32Array.from({ length: 12 }, (_, i) => Math.sin(1 + k * 7.3 + i * 1.9) * (1 + 0.1 * c) + 0.01 * c * i);
      mine.set(name, v);
      tensors.push([name, [4, 3], v]);
    });
    extra.push(mine);
    writeSafetensors(file, tensors);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function analyze(db: string, threads: number): Promise<{ out: string; failed: number; errors: string[] }> {
  const store = new Store(db);
  const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: threads });
  const opened = await engine.openPaths({ paths: [made.root] });
  expect(opened.errors).toEqual([]);
  const { jobId } = await engine.startAnalysis({ runId: opened.runs[0].id, analyses: ['weights'], threads: threads || undefined });
  const job = await engine.jobs.wait(jobId);
  const out = join(dir, `export-${threads}`);
  await engine.exportData({ outDir: out });
  const tensors = store.listTensors(opened.runs[0].id).map((t) => t.tensor);
  for (const name of NAMES) expect(tensors, name).toContain(name);
  await engine.close();
  store.close();
  return { out, failed: job.failed, errors: job.warnings };
}

const norm = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0));

function check(out: string): void {
  const rows = readFileSync(join(out, 'scalars.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  for (const name of NAMES) {
    made.steps.forEach((step, c) => {
      const row = rows.find((r) => r[1] === String(step) && r[3] === name && r[6] === 'frobenius_norm');
      expect(row, `${name} step ${step}`).toBeDefined();
      const expected = norm(extra[c].get(name)!);
      expect(Math.abs(Number(row![7]) - expected) / expected).toBeLessThan(1e-9);
    });
  }
  const hist = readFileSync(join(out, 'histograms.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; tensor: string; counts: number[]; underflow: number; overflow: number; edges: number[] });
  for (const name of NAMES) {
    const frames = hist.filter((h) => h.tensor === name);
    expect(frames, name).toHaveLength(made.steps.length);
    for (const f of frames) {
      expect(f.counts).toHaveLength(100);
      expect(f.edges).toEqual(frames[0].edges);
      expect(f.counts.reduce((a, b) => a + b, 0) + f.underflow + f.overflow).toBe(12);
    }
  }
}

describe('tensors named like Object.prototype members', () => {
  it('are analysed in-thread: norms equal naive float64, histograms cover every element', async () => {
    const r = await analyze(join(dir, 'inline.sqlite'), 0);
    expect(r.failed, r.errors.join('\n')).toBe(0);
    check(r.out);
    expect(readdirSync(r.out)).toContain('histograms.jsonl');
  });

  it.skipIf(!existsSync(workerScript()))('are analysed in worker threads the same way', async () => {
    const r = await analyze(join(dir, 'threads.sqlite'), 2);
    expect(r.failed, r.errors.join('\n')).toBe(0);
    check(r.out);
  });
});
