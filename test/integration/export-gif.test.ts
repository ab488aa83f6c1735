// `checkpoint-atlas gif` end to end on a real SQLite cache: the file decodes (test decoder), has
// one frame per cached checkpoint (or per checkpoint in --steps), the asked size, delay and loop;
// correlation frames carry the app's pixels of the stored matrices; chart frames equal a fresh
// render of the app's option for that checkpoint up to GIF quantisation; errors name the fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { decodeFrame } from '../../common/frames';
import {
  asCorrelationFrame,
  asHistogramFrame,
  asQqFrame,
  asSpectrumFrame,
  clusterOrder,
  correlationPixels,
  histogramOption,
  histogramYMax,
  qqExtent,
  qqOption,
  spectrumExtent,
  spectrumOption,
  type ChartOption,
  type FrameLabel,
} from '../../common/charts';
import { gifCommand, type CommandIo } from '../../main/export/commands';
import { renderGif } from '../../main/export/gif';
import { CanvasChart } from '../../main/export/canvas';
import { cellMap, correlationLayout, correlationPalette } from '../../main/export/raster';
import { decodeGif, type DecodedGif } from '../unit/export/gif-decode';
import { EMBED, MLP_IN, RESID, writeSyntheticRun } from '../unit/export/synthetic';

const STEPS = [0, 100, 200, 400, 800, 1600];
const N = 32;
let dir: string;
let db: string;
const RUN = 'synth';
const messages: string[] = [];
const io: CommandIo = { stdout: (t) => void messages.push(t), stderr: (t) => void messages.push(t), stderrIsTty: false };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-export-gif-'));
  db = join(dir, 'cache.sqlite');
  const store = new Store(db);
  writeSyntheticRun(store, { id: RUN, steps: STEPS, n: N, nan: true });
  writeSyntheticRun(store, { id: 'other', steps: [0], n: 8, sparse: false });
  store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Stored frames of a tensor, decoded independently of the exporter, in step order. */
function storedFrames(kind: string, tensor: string, steps = STEPS): unknown[] {
  const store = new Store(db, { readonly: true });
  try {
    const m = store.frames(RUN, kind, tensor);
    return steps.map((s) => decodeFrame(m.get(`step${s}`)));
  } finally {
    store.close();
  }
}

const label = (tensor: string, component: string, block: FrameLabel['block'], step: number, unit: string): FrameLabel => ({
  runName: `synthetic-${RUN}`,
  tensor,
  component,
  block,
  step,
  checkpointId: `step${step}`,
  unit,
});

function readGif(path: string): DecodedGif {
  return decodeGif(readFileSync(path));
}

function expectCorrelationFrames(gif: DecodedGif, width: number, height: number, steps: number[], order?: number[]) {
  const L = correlationLayout(width, height);
  const { maxCellError } = correlationPalette();
  const map = cellMap(L.side, N);
  const frames = storedFrames('embedding_correlation', EMBED, steps);
  gif.frames.forEach((f, k) => {
    const app = correlationPixels(asCorrelationFrame(frames[k])!, order);
    let worst = 0;
    for (let y = 0; y < L.side; y++) {
      for (let x = 0; x < L.side; x++) {
        const o = ((L.matrixY + y) * width + L.matrixX + x) * 4;
        const a = (map[y] * N + map[x]) * 4;
        for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(f.rgba[o + c] - app[a + c]));
      }
    }
    expect(worst).toBeLessThanOrEqual(maxCellError);
  });
}

describe('gif --view correlation', () => {
  it('writes one frame per checkpoint, the asked size, delay and loop, with the app pixels of each stored matrix', async () => {
    const out = join(dir, 'corr.gif');
    const result = await gifCommand({ db, run: RUN, view: 'correlation', out, width: '400', height: '300', fps: '12.5' }, io);
    expect(result.frames).toBe(STEPS.length);
    const gif = readGif(out);
    expect([gif.width, gif.height, gif.frames.length, gif.loopCount]).toEqual([400, 300, STEPS.length, 0]);
    expect(result.bytes).toBe(readFileSync(out).length);
    for (const f of gif.frames) {
      expect(f.delayMs).toBe(80);
      // One fixed palette: the global table only.
      expect(f.local).toBe(false);
    }
    expectCorrelationFrames(gif, 400, 300, STEPS);
    // Successive frames differ (the matrices drift), and no partial file is left.
    expect(Buffer.from(gif.frames[0].index).equals(Buffer.from(gif.frames[5].index))).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(existsSync(`${out}.partial.frames`)).toBe(false);
    expect(messages.join('')).toMatch(/frame 6\/6/);
  });

  it('--steps keeps the checkpoints in the range; --no-loop plays once', async () => {
    const out = join(dir, 'corr-range.gif');
    const result = await gifCommand({ db, run: RUN, view: 'correlation', out, steps: '100:800', loop: false }, io);
    expect(result.frames).toBe(4);
    const gif = readGif(out);
    // No --width/--height: the app's GIF size (common/charts/types.ts GIF_DEFAULT_SIZE, issue 15 #11).
    expect([gif.width, gif.height, gif.frames.length, gif.loopCount]).toEqual([720, 450, 4, null]);
    expectCorrelationFrames(gif, 720, 450, [100, 200, 400, 800]);
  });

  it('--reorder applies the clustered order of the last frame to every frame', async () => {
    const out = join(dir, 'corr-order.gif');
    await gifCommand({ db, run: RUN, view: 'correlation', out, width: '300', height: '260', reorder: true }, io);
    const last = asCorrelationFrame(storedFrames('embedding_correlation', EMBED).at(-1))!;
    expectCorrelationFrames(readGif(out), 300, 260, STEPS, clusterOrder(last.matrix));
  });
});

/** Mean absolute channel difference and the share of pixels off by more than `tol` in any channel. */
function compare(a: Uint8ClampedArray, b: Uint8ClampedArray, tol: number): { mean: number; off: number } {
  let sum = 0;
  let off = 0;
  for (let p = 0; p < a.length; p += 4) {
    let worst = 0;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a[p + c] - b[p + c]);
      sum += d;
      worst = Math.max(worst, d);
    }
    if (worst > tol) off++;
  }
  return { mean: sum / ((a.length / 4) * 3), off: off / (a.length / 4) };
}

describe('gif of chart views', () => {
  const W = 480;
  const H = 320;
  const cases: Array<{ view: string; kind: string; tensor: string; args: Record<string, string | boolean>; option: (frames: unknown[], k: number) => ChartOption }> = [
    {
      view: 'histogram',
      kind: 'histogram',
      tensor: MLP_IN[0],
      args: { tensor: MLP_IN[0], yLog: true, loop: false },
      option: (frames, k) => {
        const hs = frames.map((f) => asHistogramFrame(f));
        return histogramOption(hs[k]!, label(MLP_IN[0], 'mlp.in', 0, STEPS[k], 'value'), { yLog: true, yMax: histogramYMax(hs), xName: 'weight' });
      },
    },
    {
      view: 'histogram',
      kind: 'histogram',
      tensor: MLP_IN[1],
      args: { component: 'mlp.in', block: '1' },
      option: (frames, k) => {
        const hs = frames.map((f) => asHistogramFrame(f));
        return histogramOption(hs[k]!, label(MLP_IN[1], 'mlp.in', 1, STEPS[k], 'value'), { yLog: false, yMax: histogramYMax(hs), xName: 'weight' });
      },
    },
    {
      view: 'qq',
      kind: 'qq',
      tensor: MLP_IN[0],
      args: { tensor: MLP_IN[0] },
      option: (frames, k) => {
        const qs = frames.map((f) => asQqFrame(f));
        return qqOption(qs[k]!, label(MLP_IN[0], 'mlp.in', 0, STEPS[k], 'σ'), { family: 'student_t', extent: qqExtent(qs, 'student_t') });
      },
    },
    {
      view: 'spectrum',
      kind: 'spectrum',
      tensor: MLP_IN[0],
      args: { component: 'mlp.in', block: '0' },
      option: (frames, k) => {
        const ss = frames.map((f) => asSpectrumFrame(f));
        return spectrumOption(ss[k]!, label(MLP_IN[0], 'mlp.in', 0, STEPS[k], 'value'), spectrumExtent(ss));
      },
    },
    {
      view: 'gradients',
      kind: 'grad_histogram',
      tensor: MLP_IN[0],
      args: { tensor: MLP_IN[0] },
      option: (frames, k) => {
        const hs = frames.map((f) => asHistogramFrame(f));
        return histogramOption(hs[k]!, label(MLP_IN[0], 'mlp.in', 0, STEPS[k], '∂loss/∂w'), { yLog: false, yMax: histogramYMax(hs), xName: 'gradient' });
      },
    },
    {
      view: 'activations',
      kind: 'resid_histogram',
      tensor: RESID,
      args: { block: '0' },
      option: (frames, k) => {
        const hs = frames.map((f) => asHistogramFrame(f));
        return histogramOption(hs[k]!, label(RESID, 'resid', 0, STEPS[k], 'value'), { yLog: false, yMax: histogramYMax(hs), xName: 'activation' });
      },
    },
  ];

  for (const c of cases) {
    it(`${c.view}${c.args.yLog ? ' (log counts, play once)' : ''}: every frame is the app's option for its checkpoint, up to GIF quantisation`, async () => {
      const out = join(dir, `${c.view}.gif`);
      const result = await gifCommand({ db, run: RUN, view: c.view, out, width: String(W), height: String(H), ...c.args }, io);
      expect(result.frames).toBe(STEPS.length);
      const gif = readGif(out);
      expect([gif.width, gif.height, gif.frames.length, gif.loopCount]).toEqual([W, H, STEPS.length, c.args.loop === false ? null : 0]);
      // Per-frame palettes: the first is the global table, the others local tables.
      expect(gif.frames.map((f) => f.local)).toEqual(STEPS.map((_, k) => k > 0));
      const frames = storedFrames(c.kind, c.tensor);
      // The reference: the same option functions with ranges computed over all frames at once
      // (as the app does), drawn by a separate echarts instance.
      const chart = new CanvasChart(W, H);
      try {
        for (const k of [0, 3, STEPS.length - 1]) {
          const reference = chart.render(c.option(frames, k));
          const d = compare(gif.frames[k].rgba, reference, 24);
          // Measured: mean 0.05-0.2, no pixel off by more than 24; the neighbouring checkpoint's
          // frame is at mean 0.9-16 and 1-11 % of pixels off, so these bounds tell frames apart.
          expect(d.mean).toBeLessThan(0.4);
          expect(d.off).toBeLessThan(0.001);
        }
        // And frames are not all alike: a different checkpoint's reference is further away.
        const other = chart.render(c.option(frames, 0));
        expect(compare(gif.frames[STEPS.length - 1].rgba, other, 24).off).toBeGreaterThan(compare(gif.frames[0].rgba, other, 24).off);
      } finally {
        chart.dispose();
      }
    });
  }
});

describe('gif beside other users of the same Store', () => {
  it('the caller\'s connection keeps answering queries while a correlation GIF renders', async () => {
    const store = new Store(db);
    const errors: unknown[] = [];
    let queries = 0;
    const timer = setInterval(() => {
      try {
        store.listRuns();
        store.frames(RUN, 'histogram', MLP_IN[0]);
        queries++;
      } catch (err) {
        errors.push(err);
      }
    }, 0);
    try {
      const result = await renderGif(store, { runId: RUN, view: 'correlation', tensor: EMBED, out: join(dir, 'shared.gif'), width: 320, height: 240 });
      expect(result.frames).toBe(STEPS.length);
    } finally {
      clearInterval(timer);
      store.close();
    }
    expect(errors).toEqual([]);
    expect(queries).toBeGreaterThan(0);
  });
});

describe('gif errors', () => {
  it('an unknown run lists the runs in the cache', async () => {
    await expect(gifCommand({ db, run: 'nope', view: 'correlation', out: join(dir, 'x.gif') }, io)).rejects.toThrow(/no run "nope".*\n\s+other .*\n\s+synth/s);
  });
  it('a view with nothing cached names the analysis that computes it', async () => {
    await expect(gifCommand({ db, run: 'other', view: 'spectrum', tensor: EMBED, out: join(dir, 'x.gif') }, io)).rejects.toThrow(/--analyses spectra/);
    await expect(gifCommand({ db, run: RUN, view: 'correlation', steps: '5000:6000', out: join(dir, 'x.gif') }, io)).rejects.toThrow(/frames exist at other steps/);
  });
  it('ambiguous or unknown tensors, bad options', async () => {
    await expect(gifCommand({ db, run: RUN, view: 'histogram', component: 'mlp.in', out: join(dir, 'x.gif') }, io)).rejects.toThrow(/matches 2 tensors/);
    await expect(gifCommand({ db, run: RUN, view: 'histogram', component: 'attn', out: join(dir, 'x.gif') }, io)).rejects.toThrow(/no tensor of component "attn"/);
    await expect(gifCommand({ db, run: RUN, view: 'movie', out: join(dir, 'x.gif') }, io)).rejects.toThrow(/--view must be one of/);
    await expect(gifCommand({ db, run: RUN, view: 'correlation', width: '12', out: join(dir, 'x.gif') }, io)).rejects.toThrow(/width must be an integer 160/);
    await expect(gifCommand({ db: join(dir, 'missing.sqlite'), run: RUN, view: 'correlation', out: join(dir, 'x.gif') }, io)).rejects.toThrow(/no cache database/);
    expect(existsSync(join(dir, 'x.gif'))).toBe(false);
  });
});

describe('one request, one set of limits, a sink instead of a file', () => {
  it('the CLI checks its gif/figure options with the app schema: the same limits, naming the option', async () => {
    const { EXPORT_LIMITS, parseRequest } = await import('../../common/api');
    const { figureCommand } = await import('../../main/export/commands');
    await expect(gifCommand({ db, run: RUN, view: 'correlation', fps: '55', out: join(dir, 'x.gif') }, io)).rejects.toThrow(`--fps must be in [1, ${EXPORT_LIMITS.fps.max}], got 55`);
    await expect(gifCommand({ db, run: RUN, view: 'correlation', height: '5000', out: join(dir, 'x.gif') }, io)).rejects.toThrow('--height must be an integer 120..4096, got 5000');
    await expect(figureCommand({ db, run: RUN, view: 'heatmap', width: '100', out: join(dir, 'x.png') }, io)).rejects.toThrow('--width must be an integer 160..4096, got 100');
    // The app's request is refused at the same bounds, and accepted at them.
    expect(() => parseRequest('renderExport', { runId: RUN, format: 'gif', view: 'qq', fps: 55 })).toThrow(/fps: must be in \[1, 50\]/);
    expect(() => parseRequest('renderExport', { runId: RUN, format: 'png', view: 'heatmap', width: 159 })).toThrow(/width: must be an integer 160\.\.4096/);
    expect(parseRequest<'renderExport'>('renderExport', { runId: RUN, format: 'gif', view: 'qq', fps: 50, width: 160, height: 120 }).request.width).toBe(160);
    expect(existsSync(join(dir, 'x.gif'))).toBe(false);
  });

  it("the app's renderExport (memory sink) returns the bytes the CLI writes (file sink), and leaves no file behind", async () => {
    const { Engine } = await import('../../main/api/engine');
    const { readdirSync } = await import('node:fs');
    const store = new Store(db, { readonly: true });
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, watchRuns: false });
    const tmpBefore = readdirSync(tmpdir()).filter((f) => f.startsWith('atlas-export-')).length;
    try {
      const cli = join(dir, 'cli-correlation.gif');
      await gifCommand({ db, run: RUN, view: 'correlation', width: '320', height: '240', fps: '5', out: cli }, io);
      const app = await engine.renderExport({ runId: RUN, format: 'gif', view: 'correlation', tensor: EMBED, width: 320, height: 240, fps: 5 });
      expect(Buffer.from(app.base64, 'base64').equals(readFileSync(cli))).toBe(true);
      expect(app.bytes).toBe(readFileSync(cli).length);
      const cliHist = join(dir, 'cli-histogram.gif');
      await gifCommand({ db, run: RUN, view: 'histogram', tensor: MLP_IN[0], width: '320', height: '240', out: cliHist }, io);
      const appHist = await engine.renderExport({ runId: RUN, format: 'gif', view: 'histogram', tensor: MLP_IN[0], width: 320, height: 240 });
      expect(Buffer.from(appHist.base64, 'base64').equals(readFileSync(cliHist))).toBe(true);
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith('atlas-export-')).length).toBe(tmpBefore);
      expect(readdirSync(dir).filter((f) => f.endsWith('.partial') || f.endsWith('.frames'))).toEqual([]);
    } finally {
      await engine.close();
      store.close();
    }
  });
});
