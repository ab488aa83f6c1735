// Exports of a run analysed only in part (issue 15 #14 and the CLI part of #11): after an analysis
// of `embedding` alone, `gif --view correlation` draws one frame per checkpoint (it failed with
// "run ... has no tensor ...; tensors: (none registered)" because only the weights unit registered
// tensors); after `spectra` alone, `figure --view spectrum --tensor NAME` finds the tensor; and
// `gif`/`figure` accept a run's name as well as its id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { figureCommand, gifCommand, type CommandIo } from '../../main/export/commands';
import { gifBlocks } from '../e2e/gif-blocks';
import { GIF_DEFAULT_SIZE } from '../../common/charts/types';
import { makeRun, type MadeRun } from './make-run';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../main/paths';

let dir: string;
let made: MadeRun;
const io: CommandIo = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-partial-'));
  made = makeRun(join(dir, 'run'), { checkpoints: 3, d: 8, layers: 1, vocab: 300 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function analyse(db: string, analyses: Array<'spectra' | 'embedding'>): Promise<{ id: string; name: string }> {
  const store = new Store(db);
  const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
  try {
    const opened = await engine.openPaths({ paths: [made.root] });
    const run = opened.runs[0];
    const { jobId } = await engine.startAnalysis({ runId: run.id, analyses });
    expect((await engine.jobs.wait(jobId)).state).toBe('done');
    return { id: run.id, name: run.name };
  } finally {
    await engine.close();
    store.close();
  }
}

describe('exports after a partial analysis', () => {
  it('gif --view correlation after an embedding-only analysis has one frame per checkpoint', async () => {
    const db = join(dir, 'embedding.sqlite');
    const run = await analyse(db, ['embedding']);
    const out = join(dir, 'corr.gif');
    const result = await gifCommand({ db, run: run.id, view: 'correlation', out, width: '320', height: '240' }, io);
    expect(result.frames).toBe(made.steps.length);
    const gif = gifBlocks(new Uint8Array(readFileSync(out)));
    expect([gif.signature, gif.width, gif.height, gif.frames.length]).toEqual(['GIF89a', 320, 240, made.steps.length]);
    // Issue 15 #11: without --width/--height the CLI draws the app's GIF size.
    const byDefault = await gifCommand({ db, run: run.id, view: 'correlation', out: join(dir, 'corr-default.gif') }, io);
    expect([byDefault.width, byDefault.height]).toEqual([GIF_DEFAULT_SIZE.width, GIF_DEFAULT_SIZE.height]);
    expect(GIF_DEFAULT_SIZE).toEqual({ width: 720, height: 450 });
  });

  it('figure --view spectrum --tensor NAME after a spectra-only analysis; the run named by its name', async () => {
    const db = join(dir, 'spectra.sqlite');
    const run = await analyse(db, ['spectra']);
    const out = join(dir, 'spectrum.svg');
    const tensor = 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight';
    const r = await figureCommand({ db, run: run.name, view: 'spectrum', tensor, out, width: '400', height: '300' }, io);
    expect(r.bytes).toBeGreaterThan(1000);
    expect(readFileSync(out, 'utf8')).toContain('<svg');
    // A name no run has: the error lists the runs, ids and names.
    await expect(figureCommand({ db, run: 'no-such-run', view: 'spectrum', tensor, out }, io)).rejects.toThrow(new RegExp(`no run "no-such-run".*\\n.*${run.id}.*\\(${run.name}\\)`));
  });

  it('issue 15 #11: export file names differ by component and step; `runs` lists the cache; --version', async () => {
    const db = join(dir, 'names.sqlite');
    const run = await analyse(db, ['spectra']);
    const store = new Store(db);
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
    try {
      const names = new Set<string>();
      for (const component of ['mlp.in', 'mlp.out']) {
        const r = await engine.renderExport({ runId: run.id, format: 'csv', view: 'heatmap', metric: 'spectral_norm', component });
        expect(r.filename).toContain(component);
        names.add(r.filename);
      }
      const tensor = 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight';
      for (const step of made.steps.slice(0, 2)) {
        const r = await engine.renderExport({ runId: run.id, format: 'svg', view: 'spectrum', tensor, step, width: 400, height: 300 });
        expect(r.filename).toContain(`step${step}`);
        names.add(r.filename);
      }
      expect(names.size, [...names].join(' ')).toBe(4);
    } finally {
      await engine.close();
      store.close();
    }
    const cli = join(projectRoot(), 'out', 'main', 'cli.js');
    const listed = spawnSync(process.execPath, [cli, 'runs', '--db', db, '--json'], { encoding: 'utf8' });
    expect(listed.status, listed.stderr).toBe(0);
    const json = JSON.parse(listed.stdout) as { runs: Array<{ id: string; name: string; checkpoints: number; analysed: string[]; folder: string }> };
    expect(json.runs).toEqual([{ id: run.id, name: run.name, source: 'opened', checkpoints: made.steps.length, analysed: ['spectra'], folder: made.root, folderExists: true }]);
    const version = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version);
  });
});
