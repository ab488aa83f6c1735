// In-app exports through the API (what the Export control calls): CSV read back equals the API's
// own grid, a GIF decodes to one frame per checkpoint at the asked size, PNG/SVG are well formed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { makeRun } from './make-run';
import { decodeGif } from '../unit/export/gif-decode';

let dir: string;
let store: Store;
let engine: Engine;
let runId: string;
const CHECKPOINTS = 5;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-render-export-'));
  const made = makeRun(join(dir, 'run'), { checkpoints: CHECKPOINTS, d: 8, layers: 2, vocab: 300 });
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
  const opened = await engine.openPaths({ paths: [made.root] });
  runId = opened.runs[0].id;
  const { jobId } = await engine.startAnalysis({ runId, analyses: ['weights', 'spectra', 'embedding'] });
  expect((await engine.jobs.wait(jobId)).failed).toBe(0);
});

afterAll(async () => {
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('renderExport', () => {
  it('CSV of a heatmap reads back equal to the API grid, value for value', async () => {
    const grid = await engine.scalarGrid({ runId, metric: 'frobenius_norm' });
    const res = await engine.renderExport({ runId, format: 'csv', view: 'heatmap', metric: 'frobenius_norm', component: 'mlp.in' });
    expect(res.mime).toBe('text/csv');
    const [header, ...lines] = Buffer.from(res.base64, 'base64').toString('utf8').trim().split('\n');
    expect(header).toBe('run,step,checkpoint,tensor,role,block,metric,value');
    const wanted = grid.tensors.map((t, i) => ({ t, i })).filter(({ t }) => t.component === 'mlp.in');
    expect(wanted.length).toBe(4); // weight and bias of 2 blocks
    expect(lines).toHaveLength(wanted.length * CHECKPOINTS);
    for (const line of lines) {
      const [run, step, checkpoint, tensor, role, , metric, value] = line.split(',');
      expect(run).toBe(runId);
      expect(role).toBe('mlp.in');
      expect(metric).toBe('frobenius_norm');
      const i = grid.tensors.findIndex((t) => t.tensor === tensor);
      const j = grid.checkpointIds.indexOf(checkpoint);
      expect(grid.steps[j]).toBe(Number(step));
      expect(Number(value)).toBe(grid.values[i][j]);
    }
  });

  it('GIF of the embedding correlation: one frame per checkpoint, the asked size', async () => {
    const res = await engine.renderExport({ runId, format: 'gif', view: 'correlation', component: 'embed', width: 200, height: 180 });
    const gif = decodeGif(new Uint8Array(Buffer.from(res.base64, 'base64')));
    expect(gif.width).toBe(200);
    expect(gif.height).toBe(180);
    expect(gif.frames.length).toBe(CHECKPOINTS);
  });

  it('PNG and SVG figures are well formed', async () => {
    const png = Buffer.from((await engine.renderExport({ runId, format: 'png', view: 'heatmap', metric: 'std', component: 'attn.qkv', width: 400, height: 300 })).base64, 'base64');
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(400);
    expect(png.readUInt32BE(20)).toBe(300);
    const svg = Buffer.from((await engine.renderExport({ runId, format: 'svg', view: 'curves', metric: 'std', component: 'attn.qkv' })).base64, 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });

  it('refuses formats a view does not have, with a clear message', async () => {
    await expect(engine.renderExport({ runId, format: 'gif', view: 'heatmap' })).rejects.toThrow(/not an animation/);
    await expect(engine.renderExport({ runId, format: 'csv', view: 'spectrum' })).rejects.toThrow(/CSV export covers heatmaps/);
  });
});
