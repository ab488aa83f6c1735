// `checkpoint-atlas figure` end to end: PNGs decode (@napi-rs/canvas loadImage) at the asked size
// and equal a fresh render of the app's option; SVGs parse (loadImage renders them) and carry the
// labels (run, component, block, step, metric); the correlation figure carries the stored matrix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { Store } from '../../main/store/store';
import { decodeFrame } from '../../common/frames';
import { buildScalarGrid } from '../../main/store/grids';
import { asCorrelationFrame, colourScaleFor, correlationPixels, heatmapOption, panelsFromGrid } from '../../common/charts';
import { figureCommand, type CommandIo } from '../../main/export/commands';
import { metricLike } from '../../main/export/figure';
import { CanvasChart } from '../../main/export/canvas';
import { cellMap, correlationLayout, correlationPalette } from '../../main/export/raster';
import { EMBED, MLP_IN, writeSyntheticRun } from '../unit/export/synthetic';

const STEPS = [0, 100, 200, 400];
const N = 16;
const RUN = 'fig';
let dir: string;
let db: string;
const io: CommandIo = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-export-fig-'));
  db = join(dir, 'cache.sqlite');
  const store = new Store(db);
  writeSyntheticRun(store, { id: RUN, steps: STEPS, n: N });
  store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pixels(path: string): Promise<{ width: number; height: number; rgba: Uint8ClampedArray }> {
  const img = await loadImage(readFileSync(path));
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, rgba: ctx.getImageData(0, 0, img.width, img.height).data };
}

const views: Array<{ view: string; args: Record<string, string>; labels: RegExp[] }> = [
  { view: 'heatmap', args: { metric: 'frobenius_norm', component: 'mlp.in' }, labels: [/mlp\.in/, /synthetic-fig · Frobenius norm/] },
  { view: 'curves', args: { metric: 'frobenius_norm', component: 'mlp.in' }, labels: [/mlp\.in · synthetic-fig/, /block 1/, /training loss/] },
  { view: 'histogram', args: { component: 'mlp.in', block: '0', step: '200' }, labels: [/Histogram · gpt_neox\.layers\.0/, /synthetic-fig · mlp\.in · block 0 · step 200/] },
  { view: 'qq', args: { tensor: MLP_IN[1] }, labels: [/QQ vs Student-t/, /block 1 · step 400 · standardised/] },
  { view: 'spectrum', args: { tensor: MLP_IN[1], step: '0' }, labels: [/Singular values/, /step 0/] },
  { view: 'correlation', args: { step: '100' }, labels: [/Embedding row correlation · rows 0–15/, /synthetic-fig · embed · step 100 · Pearson r/] },
];

describe('figure', () => {
  for (const v of views) {
    it(`${v.view}: PNG at the asked size, SVG that parses and carries the labels`, async () => {
      const png = join(dir, `${v.view}.png`);
      await figureCommand({ db, run: RUN, view: v.view, out: png, width: '500', height: '360', ...v.args }, io);
      const p = await pixels(png);
      expect([p.width, p.height]).toEqual([500, 360]);
      const svgPath = join(dir, `${v.view}.svg`);
      const r = await figureCommand({ db, run: RUN, view: v.view, out: svgPath, width: '500', height: '360', ...v.args }, io);
      const svg = readFileSync(svgPath, 'utf8');
      expect(r.bytes).toBe(Buffer.byteLength(svg));
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      for (const l of v.labels) expect(svg).toMatch(l);
      const s = await pixels(svgPath);
      expect([s.width, s.height]).toEqual([500, 360]);
    });
  }

  it('the heatmap PNG is the app option drawn again (same renderer, identical pixels)', async () => {
    const out = join(dir, 'heat-ref.png');
    await figureCommand({ db, run: RUN, view: 'heatmap', metric: 'frobenius_norm', component: 'mlp.in', out, width: '420', height: '300' }, io);
    const store = new Store(db, { readonly: true });
    const run = store.getRun(RUN)!;
    const panel = panelsFromGrid(buildScalarGrid(store, run.info, 'frobenius_norm'), run.name, metricLike('frobenius_norm')).find((p) => p.component === 'mlp.in')!;
    store.close();
    const chart = new CanvasChart(420, 300);
    const reference = chart.render(heatmapOption(panel, { stepScale: 'log', colour: colourScaleFor([panel]), palette: 'viridis', colourBarHeight: 300 - 104 }));
    chart.dispose();
    const got = (await pixels(out)).rgba;
    let differing = 0;
    for (let i = 0; i < got.length; i++) if (Math.abs(got[i] - reference[i]) > 1) differing++;
    expect(differing).toBe(0);
  });

  it('the correlation PNG carries the stored matrix at the asked step', async () => {
    const out = join(dir, 'corr-step.png');
    await figureCommand({ db, run: RUN, view: 'correlation', step: '200', out, width: '300', height: '250' }, io);
    const store = new Store(db, { readonly: true });
    const frame = asCorrelationFrame(decodeFrame(store.frames(RUN, 'embedding_correlation', EMBED).get('step200')))!;
    store.close();
    const app = correlationPixels(frame);
    const { rgba } = await pixels(out);
    const L = correlationLayout(300, 250);
    const map = cellMap(L.side, N);
    const { maxCellError } = correlationPalette();
    for (let y = 0; y < L.side; y += 3) {
      for (let x = 0; x < L.side; x += 3) {
        const o = ((L.matrixY + y) * 300 + L.matrixX + x) * 4;
        const a = (map[y] * N + map[x]) * 4;
        for (let c = 0; c < 3; c++) expect(Math.abs(rgba[o + c] - app[a + c])).toBeLessThanOrEqual(maxCellError);
      }
    }
  });

  it('names the fix when something is missing', async () => {
    await expect(figureCommand({ db, run: RUN, view: 'heatmap', metric: 'mean_abs_gradient_nope', out: join(dir, 'x.png') }, io)).rejects.toThrow(/unknown metric/);
    await expect(figureCommand({ db, run: RUN, view: 'heatmap', metric: 'stable_rank', out: join(dir, 'x.png') }, io)).rejects.toThrow(/--analyses/);
    await expect(figureCommand({ db, run: RUN, view: 'histogram', tensor: MLP_IN[0], step: '300', out: join(dir, 'x.png') }, io)).rejects.toThrow(/no frame at step 300; steps with a frame: 0, 100, 200, 400/);
    await expect(figureCommand({ db, run: RUN, view: 'histogram', tensor: MLP_IN[0], out: join(dir, 'x.gif') }, io)).rejects.toThrow(/--format must be png or svg/);
    await expect(figureCommand({ db, run: RUN, view: 'correlation', step: '300', out: join(dir, 'x.png') }, io)).rejects.toThrow(/no frame at step 300; steps with a frame: 0, 100, 200, 400/);
  });

  it('the correlation figure defaults to the last checkpoint', async () => {
    const out = join(dir, 'corr-last.svg');
    await figureCommand({ db, run: RUN, view: 'correlation', out }, io);
    expect(readFileSync(out, 'utf8')).toMatch(/ · embed · step 400 · Pearson r/);
    expect(readFileSync(out, 'utf8')).not.toMatch(/embed · embed/);
  });
});
