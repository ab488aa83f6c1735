// The weight analyses end to end: scan -> jobs -> SQLite -> export, checked against naive float64
// computations written here independently of the kernels; resume computes only what is missing;
// worker threads and in-thread execution export identical files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { workerScript } from '../../main/paths';
import { makeRun, type MadeRun } from './make-run';

let dir: string;
let made: MadeRun;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-analyze-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 4, d: 8, layers: 1, vocab: 300 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  run: string;
  step: number;
  checkpoint: string;
  tensor: string;
  role: string;
  block: string;
  metric: string;
  value: number | null;
}

function readCsv(path: string): Row[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  expect(header).toBe('run,step,checkpoint,tensor,role,block,metric,value');
  return lines.map((l) => {
    const [run, step, checkpoint, tensor, role, block, metric, value] = l.split(',');
    return { run: run, step: Number(step), checkpoint: checkpoint, tensor: tensor, role: role, block: block, metric: metric, value: value === '' ? null : Number(value) };
  });
}

async function analyze(db: string, threads: number, analyses: Array<'weights' | 'fits' | 'spectra' | 'embedding'>): Promise<{ out: string; skipped: number; done: number; failed: number }> {
  const store = new Store(db);
  const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: threads });
  const opened = await engine.openPaths({ paths: [made.root] });
  expect(opened.errors).toEqual([]);
  expect(opened.runs).toHaveLength(1);
  const { jobId } = await engine.startAnalysis({ runId: opened.runs[0].id, analyses, threads: threads || undefined });
  const job = await engine.jobs.wait(jobId);
  expect(job.state).toBe('done');
  const out = join(dir, `export-${threads}-${Math.random().toString(36).slice(2)}`);
  await engine.exportData({ outDir: out });
  await engine.close();
  store.close();
  return { out, skipped: job.skipped, done: job.done, failed: job.failed };
}

const naive = {
  norm: (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0)),
  mean: (x: Float32Array): number => x.reduce((s, v) => s + v, 0) / x.length,
  moment: (x: Float32Array, k: number): number => {
    const m = naive.mean(x);
    return x.reduce((s, v) => s + (v - m) ** k, 0) / x.length;
  },
  dist: (a: Float32Array, b: Float32Array): number => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0)),
  cos: (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + v * b[i], 0) / (naive.norm(a) * naive.norm(b)),
};

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe('weight analyses through the job pipeline', () => {
  let rows: Row[];
  let exportDir: string;

  beforeAll(async () => {
    const r = await analyze(join(dir, 'inline.sqlite'), 0, ['weights', 'fits', 'spectra', 'embedding']);
    expect(r.failed).toBe(0);
    exportDir = r.out;
    rows = readCsv(join(exportDir, 'scalars.csv'));
  });

  const value = (step: number, tensor: string, metric: string): number | null => {
    const row = rows.find((r) => r.step === step && r.tensor === tensor && r.metric === metric);
    if (!row) throw new Error(`no row ${step} ${tensor} ${metric}`);
    return row.value;
  };

  it('exports norms, moments and distances equal to naive float64 (rel 1e-9)', () => {
    for (let c = 0; c < made.steps.length; c++) {
      for (const [name, t] of Object.entries(made.tensors[c])) {
        const x = t.values;
        const step = made.steps[c];
        expect(rel(value(step, name, 'frobenius_norm')!, naive.norm(x))).toBeLessThan(1e-9);
        expect(Math.abs(value(step, name, 'mean')! - naive.mean(x))).toBeLessThan(1e-12);
        const m2 = naive.moment(x, 2);
        if (m2 > 0) {
          expect(rel(value(step, name, 'std')!, Math.sqrt(m2))).toBeLessThan(1e-9);
          expect(Math.abs(value(step, name, 'excess_kurtosis')! - (naive.moment(x, 4) / m2 ** 2 - 3))).toBeLessThan(1e-8);
          expect(Math.abs(value(step, name, 'skewness')! - naive.moment(x, 3) / m2 ** 1.5)).toBeLessThan(1e-8);
        } else {
          expect(value(step, name, 'skewness')).toBeNull();
        }
        const x0 = made.tensors[0][name].values;
        expect(Math.abs(value(step, name, 'dist_to_init')! - naive.dist(x, x0))).toBeLessThan(1e-9 * Math.max(1, naive.norm(x0)));
        if (naive.norm(x0) > 0) expect(Math.abs(value(step, name, 'cos_to_init')! - naive.cos(x, x0))).toBeLessThan(1e-9);
        if (c > 0) {
          const xp = made.tensors[c - 1][name].values;
          expect(Math.abs(value(step, name, 'dist_to_prev')! - naive.dist(x, xp))).toBeLessThan(1e-9);
        } else {
          expect(rows.some((r) => r.step === step && r.tensor === name && r.metric === 'dist_to_prev')).toBe(false);
        }
      }
    }
  });

  it('labels rows with their roles and blocks', () => {
    const r = rows.find((x) => x.tensor === 'gpt_neox.layers.0.mlp.dense_4h_to_h.weight')!;
    expect([r.role, r.block]).toEqual(['mlp.out', '0']);
    expect(rows.find((x) => x.tensor === 'embed_out.weight')!.role).toBe('unembed');
  });

  it('spectra: sum of s^2 equals the squared Frobenius norm and s_max equals the spectral norm', () => {
    const spectra = readFileSync(join(exportDir, 'spectra.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; tensor: string; singular_values: number[] });
    const matrices = Object.entries(made.tensors[0]).filter(([, t]) => t.shape.length === 2);
    expect(spectra).toHaveLength(matrices.length * made.steps.length);
    for (const s of spectra) {
      const c = made.steps.indexOf(s.step);
      const t = made.tensors[c][s.tensor];
      expect(s.singular_values).toHaveLength(Math.min(t.shape[0], t.shape[1]));
      const sumSq = s.singular_values.reduce((a, v) => a + v * v, 0);
      expect(rel(sumSq, naive.norm(t.values) ** 2)).toBeLessThan(1e-9);
      expect(s.singular_values[0]).toBeCloseTo(value(s.step, s.tensor, 'spectral_norm')!, 12);
      for (let i = 1; i < s.singular_values.length; i++) expect(s.singular_values[i]).toBeLessThanOrEqual(s.singular_values[i - 1]);
    }
  });

  it('histograms: fixed edges per tensor across checkpoints, counts cover every element', () => {
    const hist = readFileSync(join(exportDir, 'histograms.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; tensor: string; kind: string; edges: number[]; counts: number[]; underflow: number; overflow: number });
    const byTensor = new Map<string, typeof hist>();
    for (const h of hist) byTensor.set(h.tensor, [...(byTensor.get(h.tensor) ?? []), h]);
    for (const [tensor, frames] of byTensor) {
      expect(frames).toHaveLength(made.steps.length);
      for (const f of frames) {
        expect(f.kind).toBe('weight');
        expect(f.edges).toEqual(frames[0].edges);
        const c = made.steps.indexOf(f.step);
        const x = made.tensors[c][tensor].values;
        expect(f.counts.reduce((a, b) => a + b, 0) + f.underflow + f.overflow).toBe(x.length);
        // Naive count of the first bin: [e0, e1).
        const inFirst = x.filter((v) => v >= f.edges[0] && v < f.edges[1]).length;
        expect(f.counts[0]).toBe(inFirst);
      }
    }
  });

  it('embedding correlation equals a naive Pearson correlation (abs 1e-6)', () => {
    const lines = readFileSync(join(exportDir, 'embedding_correlation.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; rows: [number, number]; matrix: number[] });
    expect(lines).toHaveLength(made.steps.length);
    const last = lines[lines.length - 1];
    expect(last.rows).toEqual([0, 256]);
    const e = made.tensors[made.steps.indexOf(last.step)]['gpt_neox.embed_in.weight'].values;
    const d = 8;
    const row = (i: number): number[] => Array.from(e.subarray(i * d, i * d + d));
    const pearson = (a: number[], b: number[]): number => {
      const ma = a.reduce((s, v) => s + v, 0) / d;
      const mb = b.reduce((s, v) => s + v, 0) / d;
      let num = 0, va = 0, vb = 0;
      for (let k = 0; k < d; k++) {
        num += (a[k] - ma) * (b[k] - mb);
        va += (a[k] - ma) ** 2;
        vb += (b[k] - mb) ** 2;
      }
      return num / Math.sqrt(va * vb);
    };
    for (const [i, j] of [[0, 0], [0, 1], [5, 200], [255, 17], [100, 101]] as const) {
      expect(Math.abs(last.matrix[i * 256 + j] - pearson(row(i), row(j)))).toBeLessThan(1e-6);
    }
  });

  it('a rerun computes nothing: every unit is read from the cache', async () => {
    const again = await analyze(join(dir, 'inline.sqlite'), 0, ['weights', 'fits', 'spectra', 'embedding']);
    expect(again.skipped).toBe(again.done);
    expect(readFileSync(join(again.out, 'scalars.csv'), 'utf8')).toBe(readFileSync(join(exportDir, 'scalars.csv'), 'utf8'));
  });

  it.skipIf(!existsSync(workerScript()))('worker threads export exactly what the in-thread run exports', async () => {
    const threaded = await analyze(join(dir, 'threads.sqlite'), 2, ['weights', 'fits', 'spectra', 'embedding']);
    for (const f of ['scalars.csv', 'spectra.jsonl', 'histograms.jsonl', 'embedding_correlation.jsonl', 'qq.jsonl']) {
      const a = readFileSync(join(threaded.out, f), 'utf8').replaceAll(/^[0-9a-f]{16},/gm, '');
      const b = readFileSync(join(exportDir, f), 'utf8').replaceAll(/^[0-9a-f]{16},/gm, '');
      expect(a, f).toBe(b);
    }
  });
});
