// GIF / PNG / SVG of issue 19's views, headless, with the app's own chart functions
// (common/charts/outliers.ts, head-spectra.ts) on the exporters' canvas and SVG renderers
// (render.ts) and GIF encoder (gif.ts's gifenc):
//   outliers, no tensor     the max |x| ever per block (PNG/SVG)
//   outliers, resid.{i}     the outlier dimensions x checkpoints with the norms' gains (PNG/SVG);
//                           GIF: max |x| per residual dimension, one frame per checkpoint
//   head-spectrum, tensor   one head matrix's spectrum vs shuffled and MP bulk at a step (PNG/SVG,
//                           default the last); GIF: one frame per checkpoint on fixed axes
// A file of its own so that the generic exporters (figure.ts, gif.ts) keep their size.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AtlasError } from '../../common/api';
import { maxEverByDepth, outlierDimsOverTime, residIndex, type OutlierDimsFrame } from '../../common/analyses/outliers';
import type { HeadSpectrumFrame } from '../../common/analyses/head-spectra';
import { dimProfileExtent, dimProfileOption, headSpectrumExtent, headSpectrumOption, maxEverOption, outlierDimsOption, type ChartOption, type FrameLabel } from '../../common/charts';
import { FIGURE_DEFAULT_SIZE, GIF_DEFAULT_SIZE } from '../../common/charts/types';
import { EXPORT_LIMITS } from '../../common/api';
import { buildScalarGrid } from '../store/grids';
import type { Store } from '../store/store';
import { gifenc, validSize } from './gif';
import { CanvasChart, drawStill } from './canvas';
import { requireRun } from './lookup';
import { FrameSequence } from './render';
import { runLabel } from '../../common/run-label';

export type StudyView = 'outliers' | 'head-spectrum';

export interface StudyExport {
  runId: string;
  view: StudyView;
  format: 'png' | 'svg' | 'gif';
  tensor?: string;
  step?: number;
  steps?: [number, number];
  width?: number;
  height?: number;
  fps?: number;
  yLog?: boolean;
}

export function isStudyView(view: string): view is StudyView {
  return view === 'outliers' || view === 'head-spectrum';
}

export async function renderStudyView(store: Store, req: StudyExport): Promise<Buffer | string> {
  return (await renderStudy(store, req)).content;
}

/** The CLI's `gif` / `figure --view outliers|head-spectrum`: the same file, written to `out`. */
export async function writeStudyView(store: Store, req: StudyExport, out: string): Promise<{ path: string; bytes: number; frames: number; width: number; height: number }> {
  const { content, frames, width, height } = await renderStudy(store, req);
  const path = resolve(out);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return { path, bytes: Buffer.byteLength(content), frames, width, height };
}

async function renderStudy(store: Store, req: StudyExport): Promise<{ content: Buffer | string; frames: number; width: number; height: number }> {
  const run = requireRun(store, req.runId);
  const size = req.format === 'gif' ? GIF_DEFAULT_SIZE : FIGURE_DEFAULT_SIZE;
  const width = validSize('width', req.width ?? size.width);
  const height = validSize('height', req.height ?? size.height);
  if (req.view === 'outliers' && !req.tensor) {
    if (req.format === 'gif') throw new AtlasError('bad-request', 'the max |x| ever per block is one figure, not an animation; export it as PNG or SVG (or name a resid.{i} tensor for the per-dimension GIF)');
    const grid = buildScalarGrid(store, run.info, 'max_abs');
    const bars = maxEverByDepth(grid.tensors.map((t) => t.tensor), grid.values);
    if (!bars.some((b) => b.maxEver !== null)) throw new AtlasError('not-found', `run ${run.id} has no residual-stream max |x| in the cache; run the activations analysis first`);
    return still1(maxEverOption({ runName: runLabel(run), bars: bars.map((b) => ({ depth: b.depth, maxEver: b.maxEver, step: b.atColumn === null ? null : grid.steps[b.atColumn] })), steps: grid.steps, yLog: req.yLog }), req.format, width, height);
  }
  if (!req.tensor) throw new AtlasError('bad-request', 'name the head matrix: tensor attn.{block}.head.{h}.{q|k|v}');
  const kind = req.view === 'outliers' ? 'outlier_dims' : 'head_spectrum';
  if (req.view === 'outliers' && residIndex(req.tensor) === null) throw new AtlasError('bad-request', `outlier dimensions are per residual stream resid.{i}, not "${req.tensor}"`);
  const meta = store.listTensors(run.id).find((t) => t.tensor === req.tensor);
  if (!meta) throw new AtlasError('not-found', `run ${run.id} has no tensor "${req.tensor}"`);
  const seq = FrameSequence.load(store, run, kind, meta, req.steps);
  if (seq.length === 0) throw new AtlasError('not-found', `run ${run.id} has no ${kind} frames of ${req.tensor}${req.steps ? ` in steps ${req.steps[0]}-${req.steps[1]}` : ''}; run the ${req.view === 'outliers' ? 'activations' : 'head-spectra'} analysis first`);
  const unit = req.view === 'outliers' ? 'activation' : '';
  const frames = Array.from({ length: seq.length }, (_, i) => seq.raw(i));
  const labels = Array.from({ length: seq.length }, (_, i) => seq.label(i, unit));
  let draw: (i: number) => ChartOption;
  if (req.view === 'outliers') {
    const f = frames as OutlierDimsFrame[];
    const extent = dimProfileExtent(f);
    draw = (i) => dimProfileOption(f[i], labels[i], extent);
    if (req.format !== 'gif') {
      const dims = outlierDimsOverTime(f).slice(0, 16);
      return still1(outlierDimsOption({ runName: runLabel(run), depth: residIndex(req.tensor)!, steps: labels.map((l) => l.step ?? Number.NaN), frames: f, dims }), req.format, width, height);
    }
  } else {
    const f = frames as HeadSpectrumFrame[];
    const extent = headSpectrumExtent(f);
    draw = (i) => headSpectrumOption(f[i], labels[i], extent);
  }
  if (req.format !== 'gif') {
    const at = req.step === undefined ? labels.length - 1 : labels.findIndex((l: FrameLabel) => l.step === req.step);
    if (at < 0) throw new AtlasError('not-found', `${req.tensor} has no frame at step ${req.step}`);
    return still1(draw(at), req.format, width, height);
  }
  return { content: await gif(draw, labels.length, width, height, req.fps ?? EXPORT_LIMITS.fps.default), frames: labels.length, width, height };
}

async function still1(option: ChartOption, format: 'png' | 'svg', width: number, height: number): Promise<{ content: Buffer | string; frames: number; width: number; height: number }> {
  return { content: await drawStill(option, format, width, height), frames: 1, width, height };
}

async function gif(draw: (i: number) => ChartOption, count: number, width: number, height: number, fps: number): Promise<Buffer> {
  if (!(fps >= EXPORT_LIMITS.fps.min && fps <= EXPORT_LIMITS.fps.max)) throw new AtlasError('bad-request', `fps must be in [${EXPORT_LIMITS.fps.min}, ${EXPORT_LIMITS.fps.max}], got ${fps}`);
  const chart = new CanvasChart(width, height);
  const encoder = gifenc.GIFEncoder({ auto: false, initialCapacity: 1 << 16 });
  const parts: Uint8Array[] = [];
  try {
    encoder.writeHeader();
    for (let i = 0; i < count; i++) {
      const rgba = chart.render(draw(i));
      const palette = gifenc.quantize(rgba, 256);
      encoder.writeFrame(gifenc.applyPalette(rgba, palette), width, height, { first: i === 0, palette, delay: Math.round(100 / fps) * 10, repeat: 0 });
      parts.push(Uint8Array.from(encoder.bytesView()));
      encoder.reset();
      if (i % 4 === 3) await new Promise((r) => setImmediate(r));
    }
    encoder.finish();
    parts.push(Uint8Array.from(encoder.bytesView()));
    return Buffer.concat(parts);
  } finally {
    chart.dispose();
  }
}

/** The file's bytes (the engine's renderExport: UTF-8 for SVG). */
export async function studyExportBytes(store: Store, req: StudyExport): Promise<Buffer> {
  const content = await renderStudyView(store, req);
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}
