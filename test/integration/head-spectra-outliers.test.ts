// Issue 19 end to end on the bundled demo run: the head-spectra and activations analyses through
// the engine (cache, API frames and grids, export files), the demo's per-head spectra at step 2600
// against float64 PyTorch (tools/make_random_matrix_expectations.py), the max-ever bar data and the
// outlier dimensions' frames against the cached scalars, and outlier_dims.jsonl / head_spectra.jsonl.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { projectRoot } from '../../main/paths';
import { decodeFrame } from '../../common/frames';
import { maxEverByDepth, OUTLIER_TOP_DIMS, type OutlierDimsFrame } from '../../common/analyses/outliers';
import type { HeadSpectrumFrame } from '../../common/analyses/head-spectra';
import { decodeGif } from '../unit/export/gif-decode';

const fx = JSON.parse(readFileSync(join(projectRoot(), 'test/fixtures/random-matrix/expectations.json'), 'utf8'));

let dir: string;
let store: Store;
let engine: Engine;
let runId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-i19-'));
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', scanHubCache: false, defaultThreads: 0 });
  const { runs } = await engine.listRuns({});
  runId = runs.find((r) => r.name === 'atlas-demo-tiny')!.id;
  const { jobId } = await engine.startAnalysis({ runId, analyses: ['head-spectra', 'activations'], subset: { steps: [0, 512, 2600] }, probe: { batch: 2, seqLen: 64 } });
  const job = await engine.jobs.wait(jobId);
  expect(job.failed).toBe(0);
}, 180_000);
afterAll(async () => {
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('head spectra on the demo run', () => {
  it('stores every head\'s Q/K/V spectrum at step 2600 as float64 PyTorch computes it (1e-9 of s_max)', async () => {
    let worst = 0;
    for (const e of fx.head_spectra.demo_tiny_step2600 as Array<{ tensor: string; singular_values: number[]; shuffled_singular_values: number[]; mp_upper: number; mp_spikes: number }>) {
      const series = await engine.frames({ runId, kind: 'head_spectrum', tensor: e.tensor });
      const f = decodeFrame<HeadSpectrumFrame>(series.frames[series.steps.indexOf(2600)]);
      e.singular_values.forEach((v, i) => (worst = Math.max(worst, Math.abs(f.singular_values[i] - v) / e.singular_values[0])));
      e.shuffled_singular_values.forEach((v, i) => (worst = Math.max(worst, Math.abs(f.shuffled_singular_values[i] - v) / e.shuffled_singular_values[0])));
      expect(Math.abs(f.mp_upper / e.mp_upper - 1)).toBeLessThan(1e-12);
    }
    expect(worst).toBeLessThan(1e-9);
    const spikes = await engine.scalarGrid({ runId, metric: 'mp_spikes' });
    const t = spikes.tensors.findIndex((x) => x.tensor === 'attn.0.head.0.q');
    const expected = fx.head_spectra.demo_tiny_step2600.find((x: { tensor: string }) => x.tensor === 'attn.0.head.0.q').mp_spikes;
    expect(spikes.values[t][spikes.steps.indexOf(2600)]).toBe(expected);
    expect(spikes.tensors[t]).toMatchObject({ block: 0, component: 'attn.q' });
  });
});

describe('outliers on the demo run', () => {
  it('max ever per block is the largest cached max_abs over the checkpoints', async () => {
    const grid = await engine.scalarGrid({ runId, metric: 'max_abs' });
    const bars = maxEverByDepth(grid.tensors.map((t) => t.tensor), grid.values);
    expect(bars.map((b) => b.depth)).toEqual([0, 1, 2, 3]);
    for (const b of bars) {
      const row = grid.values[grid.tensors.findIndex((t) => t.tensor === b.tensor)].filter((v): v is number => v !== null);
      expect(b.maxEver).toBe(Math.max(...row));
    }
  });

  it('outlier_dims frames agree with the max_abs scalar, the histogram top_dims, and carry the norms\' gains', async () => {
    const grid = await engine.scalarGrid({ runId, metric: 'max_abs' });
    for (const tensor of ['resid.0', 'resid.1', 'resid.3']) {
      const series = await engine.frames({ runId, kind: 'outlier_dims', tensor });
      const hist = await engine.frames({ runId, kind: 'resid_histogram', tensor });
      series.frames.forEach((raw, c) => {
        if (!raw) return;
        const f = decodeFrame<OutlierDimsFrame>(raw);
        expect(f.dim_max_abs.length).toBe(48);
        expect(f.top_dims.length).toBe(OUTLIER_TOP_DIMS);
        const top = f.dim_max_abs[f.top_dims[0]];
        const scalar = grid.values[grid.tensors.findIndex((t) => t.tensor === tensor)][grid.checkpointIds.indexOf(series.checkpointIds[c])]!;
        expect(Math.abs(top - scalar)).toBeLessThanOrEqual(1e-6 * scalar); // float32 storage of the vector
        const h = decodeFrame<{ top_dims: Array<{ dim: number }> }>(hist.frames[c]);
        expect(f.top_dims).toEqual(h.top_dims.map((d) => d.dim));
        const comps = f.norms.map((n) => n.component);
        expect(comps).toEqual(tensor === 'resid.3' ? ['ln.final'] : ['ln.attn', 'ln.mlp']);
        for (const n of f.norms) expect(n.gain.length).toBe(48);
      });
    }
  });

  it('exports outlier_dims.jsonl and head_spectra.jsonl, and the WW-free head metrics in scalars.csv', async () => {
    const out = join(dir, 'export');
    await engine.exportData({ runId, outDir: out });
    const od = readFileSync(join(out, 'outlier_dims.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(od.length).toBe(3 * 4);
    const row = od.find((r) => r.tensor === 'resid.1' && r.step === 2600);
    expect(Object.keys(row)).toEqual(['run', 'step', 'checkpoint', 'tensor', 'dims', 'max_abs', 'ln_gain', 'ln_tensor']);
    expect(row.dims.length).toBe(OUTLIER_TOP_DIMS);
    expect(row.ln_gain['ln.attn'].length).toBe(OUTLIER_TOP_DIMS);
    expect(row.ln_tensor['ln.attn']).toBe('gpt_neox.layers.1.input_layernorm.weight');
    const hs = readFileSync(join(out, 'head_spectra.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(hs.length).toBe(3 * 3 * 3 * 3); // checkpoints x blocks x heads x q/k/v
    const csv = readFileSync(join(out, 'scalars.csv'), 'utf8');
    for (const m of ['head_spectral_norm', 'mp_upper_edge', 'mp_spikes', 'shuffled_spectral_norm', 'spike_ratio']) expect(csv).toContain(`,${m},`);
  });
});

describe('GIF / PNG / SVG of the new views (renderExport)', () => {
  const render = (req: Record<string, unknown>) => engine.renderExport({ runId, ...req } as Parameters<Engine['renderExport']>[0]);

  it('draws the max-ever bars and the outlier dimensions as PNG and SVG, self-described', async () => {
    const png = await render({ view: 'outliers', format: 'png', width: 640, height: 400 });
    const bytes = Buffer.from(png.base64, 'base64');
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(640);
    const svg = Buffer.from((await render({ view: 'outliers', format: 'svg' })).base64, 'base64').toString('utf8');
    expect(svg).toContain('Max |x| ever per block · atlas-demo-tiny');
    expect(svg).toContain('block 2');
    const dims = Buffer.from((await render({ view: 'outliers', format: 'svg', tensor: 'resid.2' })).base64, 'base64').toString('utf8');
    expect(dims).toContain('Outlier dimensions · block 1 · atlas-demo-tiny');
    expect(dims).toContain('ln.attn gain');
    await expect(render({ view: 'outliers', format: 'gif' })).rejects.toThrow(/not an animation/);
    await expect(render({ view: 'outliers', format: 'png', tensor: 'attn.0.head.0.q' })).rejects.toThrow(/resid/);
  });

  it('animates the per-dimension profile and a head spectrum as GIFs, one frame per checkpoint', async () => {
    for (const req of [{ view: 'outliers', tensor: 'resid.1' }, { view: 'head-spectrum', tensor: 'attn.1.head.2.k' }]) {
      const r = await render({ ...req, format: 'gif', width: 360, height: 240 });
      const gif = decodeGif(new Uint8Array(Buffer.from(r.base64, 'base64')));
      expect(gif.frames.length, req.view).toBe(3);
      expect([gif.width, gif.height]).toEqual([360, 240]);
    }
    const svg = Buffer.from((await render({ view: 'head-spectrum', format: 'svg', tensor: 'attn.1.head.2.k', step: 512 })).base64, 'base64').toString('utf8');
    expect(svg).toContain('Head spectrum vs random · attn.1.head.2.k (16×48)');
    expect(svg).toContain('step 512');
    expect(svg).toContain('MP edge');
  });
});

describe('CLI gif / figure of the new views', () => {
  it('writes the head spectrum GIF and the outliers figures from the cache', async () => {
    const { gifCommand, figureCommand } = await import('../../main/export/commands');
    const lines: string[] = [];
    const io = { stdout: (t: string) => lines.push(t), stderr: () => undefined, stderrIsTty: false };
    const db = join(dir, 'atlas.sqlite');
    const g = await gifCommand({ db, run: runId, view: 'head-spectrum', tensor: 'attn.0.head.1.v', out: join(dir, 'cli', 'head.gif'), width: '320', height: '200' } as never, io);
    expect(decodeGif(new Uint8Array(readFileSync(g.path))).frames.length).toBe(3);
    const f = await figureCommand({ db, run: runId, view: 'outliers', out: join(dir, 'cli', 'bars.svg') } as never, io);
    expect(readFileSync(f.path, 'utf8')).toContain('Max |x| ever per block');
    const d = await figureCommand({ db, run: runId, view: 'outliers', tensor: 'resid.0', out: join(dir, 'cli', 'dims.png') } as never, io);
    expect(readFileSync(d.path).subarray(1, 4).toString()).toBe('PNG');
    expect(lines.join('')).toMatch(/head\.gif: 3 frames, 320 x 200/);
    await expect(gifCommand({ db, run: runId, view: 'outliers', out: join(dir, 'cli', 'x.gif') } as never, io)).rejects.toThrow(/not an animation/);
  });
});
