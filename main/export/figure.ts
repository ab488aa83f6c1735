// One view of a run as a PNG or SVG figure, headless: the block x checkpoint heatmap and the
// metric curves of a component, or one checkpoint's histogram, QQ plot, spectrum or embedding
// correlation. Every chart is the app's own echarts option (common/charts) with the app's
// defaults (log step axis, per-component colour scale, viridis, log y for curves, fixed axes over
// all frames for the animated views), so the figure is the picture the user saw.
// SVG: echarts server-side rendering; PNG: echarts' canvas renderer on @napi-rs/canvas. The dense
// correlation panel is drawn by the direct rasteriser (PNG) or as vector text around an exact
// embedded bitmap of the matrix (SVG), never as 65,536 chart rectangles.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { AtlasError, FRAME_KIND_OF_VIEW, type ScalarGrid } from '../../common/api';
import { METRIC_BY_ID } from '../../common/catalogue';
import {
  BLUE_ORANGE,
  clusterOrder,
  colourScaleFor,
  correlationPixels,
  correlationSize,
  curvesOption,
  frameSubtitle,
  changeIndex,
  heatmapOption,
  heatmapLegendHeight,
  panelChangeMarks,
  withHeatmapChangeMarks,
  HEAD_COMPONENT,
  splitHeadPanels,
  linesFromGrid,
  panelTitle,
  panelsFromGrid,
  escapeHtml,
  type ChartOption,
  type CorrelationFrame,
  type HeatmapPanel,
  type FrameLabel,
  type LossLine,
  type MetricLike,
  type QqFamily,
  type SequentialScale,
  type StepScale,
} from '../../common/charts';
import { buildScalarGrid } from '../store/grids';
import { metricTrajectories } from '../store/trajectories';
import type { Store, StoredRun } from '../store/store';
import { validSize } from './gif';
import { CorrelationRasterizer, correlationLayout, indexedToRgba } from './raster';
import { FrameSequence, checkpointsInRange, correlationFrameOf, frameLabelOf, streamFrames, sparseOption, sparseSettings } from './render';
import { EXPORT_FONT_FAMILY, INK, LINE, MUTED, PANEL_BACKGROUND, drawStill } from './canvas';
import { ANALYSIS_OF_VIEW, requireRun, unitOfView } from './lookup';
import { runLabel } from '../../common/run-label';
import type { RunInfo } from '../../common/domain';

export type FigureView = 'heatmap' | 'curves' | 'histogram' | 'qq' | 'spectrum' | 'correlation';
export const FIGURE_VIEWS: readonly FigureView[] = ['heatmap', 'curves', 'histogram', 'qq', 'spectrum', 'correlation'];

export interface FigureOptions {
  runId: string;
  view: FigureView;
  /** heatmap / curves: the metric id (catalogue); default frobenius_norm. */
  metric?: string;
  /** heatmap / curves: the component (e.g. attn.qkv, mlp.in); default the first with several blocks. */
  component?: string;
  /** heatmap of a per-head metric (component attn.head): the block whose heads are drawn. */
  block?: string;
  /** heatmap / curves: weight, bias, ... (default: weight when the component has one). */
  kind?: string;
  /** histogram / qq / spectrum / correlation: the tensor. */
  tensor?: string;
  /** histogram / qq / spectrum / correlation: the checkpoint's step; default the last one with a frame. */
  step?: number;
  format: 'png' | 'svg';
  width: number;
  height: number;
  out: string;
  stepScale?: StepScale;
  /** curves: log y (app default on); histograms: log counts (app default off). */
  yLog?: boolean;
  family?: QqFamily;
  palette?: SequentialScale;
  reorder?: boolean;
  /** heatmap: the change-point diamonds of the Overview (default on, as the app's toggle). */
  changePoints?: boolean;
}

export interface FigureResult {
  path: string;
  bytes: number;
  /** What the figure shows, for the CLI's message. */
  description: string;
}

export function metricLike(id: string): MetricLike {
  const def = METRIC_BY_ID.get(id);
  return def ? { id, label: def.label, unit: def.unit, logScale: def.logScale, ...(def.bound ? { bound: def.bound } : {}) } : { id, label: id, unit: '' };
}

function metricGrid(store: Store, run: StoredRun, metric: string): ScalarGrid {
  const def = METRIC_BY_ID.get(metric);
  if (!def) throw new AtlasError('bad-request', `unknown metric "${metric}" (known: ${[...METRIC_BY_ID.keys()].join(', ')})`);
  const grid = buildScalarGrid(store, run.info, metric);
  if (grid.tensors.length === 0) {
    throw new AtlasError('not-found', `run ${run.id}: no values of ${metric} in the cache; compute them with \`checkpoint-atlas analyze <run folder> --analyses ${def.analysis}\``);
  }
  return grid;
}

/** The component x kind panel asked for, or the app's default (first with several blocks). */
function pickPanel<T extends { component: string; kind: string; rows?: unknown[] }>(panels: T[], component: string | undefined, kind: string | undefined, rowsOf: (p: T) => number): T {
  if (component) {
    const ofComponent = panels.filter((p) => p.component === component);
    const pick = kind ? ofComponent.find((p) => p.kind === kind) : (ofComponent.find((p) => p.kind === 'weight') ?? ofComponent[0]);
    if (!pick) {
      const have = panels.map((p) => (p.kind === 'weight' ? p.component : `${p.component} (${p.kind})`)).join(', ');
      throw new AtlasError('not-found', `no ${component}${kind ? ` (${kind})` : ''} panel for this metric; components with values: ${have}`);
    }
    return pick;
  }
  return panels.find((p) => rowsOf(p) > 1) ?? panels[0]!;
}

/**
 * A heatmap option with the Overview's change-point marks of its panel (cached per metric,
 * main/store/trajectories.ts); `on` false (the app's toggle, the CLI's --no-change-points) leaves
 * the option as it is. Single-run figures and comparisons (compare.ts) both draw them here.
 */
export function heatmapWithChangeMarks(store: Store, run: RunInfo, grid: ScalarGrid, panel: HeatmapPanel, plain: ChartOption, stepScale: StepScale, on: boolean): { option: ChartOption; marks: number[][] } {
  const marks = on ? panelChangeMarks(panel, changeIndex(metricTrajectories(store, run, grid.metric, { grid }).changePoints), stepScale) : [];
  return { option: withHeatmapChangeMarks(plain, marks), marks };
}

/** The option of a heatmap or curves figure. */
export function scalarFigureOption(store: Store, run: StoredRun, options: Omit<FigureOptions, 'out'>): { option: ChartOption; description: string } {
  const metricId = options.metric ?? 'frobenius_norm';
  const grid = metricGrid(store, run, metricId);
  const metric = metricLike(metricId);
  const stepScale = options.stepScale ?? 'log';
  const all = panelsFromGrid(grid, runLabel(run), metric);
  const panels = options.block !== undefined && options.view === 'heatmap' && options.component === HEAD_COMPONENT ? splitHeadPanels(all).filter((p) => String(p.block) === options.block) : all;
  const panel = pickPanel(panels, options.component, options.kind, (p) => p.rows.length);
  if (options.view === 'heatmap') {
    // Plot area = height - 74 (grid top 40 + bottom 34); room for the bar's end labels (as the app).
    const colour = colourScaleFor([panel]);
    const plain = heatmapOption(panel, { stepScale, colour, palette: options.palette ?? 'viridis', colourBarHeight: Math.max(24, options.height - 74 - 30 - heatmapLegendHeight(panel, colour)) });
    const { option, marks } = heatmapWithChangeMarks(store, run.info, grid, panel, plain, stepScale, options.changePoints !== false);
    return { option, description: `heatmap of ${metricId}, ${panelTitle(panel)}, ${panel.rows.length} ${panel.rowName ?? 'block'}s x ${panel.steps.length} checkpoints${marks.length ? `, ${marks.length} change point${marks.length > 1 ? 's' : ''}` : ''}` };
  }
  const lines = linesFromGrid(grid, runLabel(run), 0, panel.component, panel.kind);
  const loss: LossLine[] = [];
  const log = (run.info.trainingLog ?? []).filter((e) => typeof e.loss === 'number');
  if (log.length) loss.push({ runName: runLabel(run), runIndex: 0, label: 'training loss', steps: log.map((e) => e.step), values: log.map((e) => e.loss!) });
  if (metricId !== 'loss' && store.listMetrics(run.id).includes('loss')) {
    const probe = buildScalarGrid(store, run.info, 'loss');
    const i = probe.tensors.findIndex((t) => t.tensor === 'probe');
    if (i >= 0) loss.push({ runName: runLabel(run), runIndex: 0, label: 'probe loss', steps: probe.steps, values: probe.values[i] });
  }
  const title = `${panel.component}${panel.kind !== 'weight' ? ` (${panel.kind})` : ''} · ${runLabel(run)}`;
  const option = curvesOption({ title, metric, lines, loss, stepScale, yLog: options.yLog ?? true });
  return { option, description: `curves of ${metricId}, ${panelTitle(panel)}, ${lines.length} lines` };
}

function frameIndexAt(seq: FrameSequence, step: number | undefined): number {
  if (step === undefined) return seq.length - 1;
  const i = seq.checkpoints.findIndex((c) => c.step === step);
  if (i < 0) {
    const steps = seq.checkpoints.map((c) => c.step).join(', ');
    throw new AtlasError('not-found', `no frame at step ${step}; steps with a frame: ${steps}`);
  }
  return i;
}

function loadSequence(store: Store, run: StoredRun, view: Exclude<FigureView, 'heatmap' | 'curves' | 'correlation'>, tensor: string | undefined): FrameSequence {
  if (!tensor) throw new AtlasError('bad-request', `the ${view} figure needs a tensor (--tensor NAME, or --component C --block B)`);
  const meta = store.listTensors(run.id).find((t) => t.tensor === tensor);
  if (!meta) throw new AtlasError('not-found', `run ${run.id} has no tensor "${tensor}"`);
  const seq = FrameSequence.load(store, run, FRAME_KIND_OF_VIEW[view], meta);
  if (seq.length === 0) {
    throw new AtlasError('not-found', `run ${run.id}: no ${view} frames of ${tensor} in the cache; compute them with \`checkpoint-atlas analyze <run folder> --analyses ${ANALYSIS_OF_VIEW[view]}\``);
  }
  return seq;
}

/**
 * The correlation frame at a step (default: the last), and with `reorder` the clustered order of
 * the last frame, streamed from the cache: at most two frames are held, however long the run.
 */
function correlationAt(store: Store, run: StoredRun, tensor: string | undefined, step: number | undefined, reorder: boolean): { frame: CorrelationFrame; label: FrameLabel; order?: number[] } {
  if (!tensor) throw new AtlasError('bad-request', 'the correlation figure needs the embedding tensor (--tensor NAME)');
  const meta = store.listTensors(run.id).find((t) => t.tensor === tensor);
  if (!meta) throw new AtlasError('not-found', `run ${run.id} has no tensor "${tensor}"`);
  const checkpoints = checkpointsInRange(run);
  const positions = new Map(checkpoints.map((c, i) => [c.id, i]));
  const want = step === undefined ? -1 : checkpoints.findIndex((c) => c.step === step);
  let last: { position: number; frame: unknown } | null = null;
  let found: unknown = null;
  const present: number[] = [];
  for (const f of streamFrames(store, run.id, FRAME_KIND_OF_VIEW.correlation, meta.tensor, positions)) {
    present.push(f.position);
    if (f.position === want) found = f.frame;
    if (!last || f.position > last.position) last = f;
  }
  if (!last) {
    throw new AtlasError('not-found', `run ${run.id}: no correlation frames of ${tensor} in the cache; compute them with \`checkpoint-atlas analyze <run folder> --analyses ${ANALYSIS_OF_VIEW.correlation}\``);
  }
  if (step !== undefined && found === null) {
    const steps = present.sort((a, b) => a - b).map((p) => checkpoints[p].step).join(', ');
    throw new AtlasError('not-found', `no frame at step ${step}; steps with a frame: ${steps}`);
  }
  const lastFrame = correlationFrameOf(last.frame);
  const frame = step === undefined ? lastFrame : correlationFrameOf(found);
  const position = step === undefined ? last.position : want;
  const order = reorder ? (lastFrame.order ?? clusterOrder(lastFrame.matrix)) : undefined;
  return { frame, label: frameLabelOf(run, meta, checkpoints[position], unitOfView('correlation')), ...(order ? { order } : {}) };
}

/** SVG of the correlation panel: vector text and colour bar around the matrix as an exact n x n bitmap. */
async function correlationSvg(frame: CorrelationFrame, label: FrameLabel, width: number, height: number, order: number[] | undefined): Promise<string> {
  const L = correlationLayout(width, height);
  const n = correlationSize(frame.matrix);
  const canvas = createCanvas(n, n);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(n, n);
  img.data.set(correlationPixels(frame, order));
  ctx.putImageData(img, 0, 0);
  const png = (await canvas.encode('png')).toString('base64');
  const stops = BLUE_ORANGE.map((c, k) => `<stop offset="${(k / (BLUE_ORANGE.length - 1)).toFixed(4)}" stop-color="${c}"/>`).join('');
  const font = escapeHtml(EXPORT_FONT_FAMILY);
  const barCentre = L.barX + L.barWidth / 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${font}">`,
    `<rect width="${width}" height="${height}" fill="${PANEL_BACKGROUND}"/>`,
    `<text x="8" y="19" font-size="13" font-weight="bold" fill="${INK}">${escapeHtml(CorrelationRasterizer.title(frame, order !== undefined))}</text>`,
    `<text x="8" y="36" font-size="11" fill="${MUTED}">${escapeHtml(frameSubtitle(label))}</text>`,
    `<rect x="${L.matrixX - 0.5}" y="${L.matrixY - 0.5}" width="${L.side + 1}" height="${L.side + 1}" fill="none" stroke="${LINE}"/>`,
    `<image x="${L.matrixX}" y="${L.matrixY}" width="${L.side}" height="${L.side}" preserveAspectRatio="none" style="image-rendering:pixelated" image-rendering="optimizeSpeed" href="data:image/png;base64,${png}"/>`,
    // The app's bar is linear-gradient(to top, ...): the first stop (−1) at the bottom.
    `<defs><linearGradient id="corr-scale" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient></defs>`,
    `<rect x="${L.barX}" y="${L.barY}" width="${L.barWidth}" height="${L.barHeight}" fill="url(#corr-scale)"/>`,
    `<text x="${barCentre}" y="${L.barY - 4}" font-size="10" text-anchor="middle" fill="${MUTED}">+1</text>`,
    `<text x="${barCentre}" y="${L.barY + L.barHeight + 12}" font-size="10" text-anchor="middle" fill="${MUTED}">−1</text>`,
    '</svg>',
  ].join('\n');
}

async function encodeRgbaPng(rgba: Uint8ClampedArray, width: number, height: number): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(width, height);
  img.data.set(rgba);
  ctx.putImageData(img, 0, 0);
  return canvas.encode('png');
}

/** Draw the figure in memory (the app's renderExport sends these bytes back without a file). */
export async function drawFigure(store: Store, options: Omit<FigureOptions, 'out'>): Promise<{ content: Buffer | string; description: string }> {
  const width = validSize('width', options.width);
  const height = validSize('height', options.height);
  if (options.format !== 'png' && options.format !== 'svg') throw new AtlasError('bad-request', `--format must be png or svg, got ${String(options.format)}`);
  const run = requireRun(store, options.runId);
  let content: Buffer | string;
  let description: string;
  if (options.view === 'heatmap' || options.view === 'curves') {
    const built = scalarFigureOption(store, run, { ...options, width, height });
    description = built.description;
    content = await drawStill(built.option, options.format, width, height);
  } else if (options.view === 'correlation') {
    const { frame, label, order } = correlationAt(store, run, options.tensor, options.step, options.reorder === true);
    if (options.format === 'svg') {
      content = await correlationSvg(frame, label, width, height, order);
    } else {
      const raster = new CorrelationRasterizer(width, height, order ? { order } : {});
      content = await encodeRgbaPng(indexedToRgba(raster.render(frame, label), raster.palette), width, height);
    }
    description = `embedding correlation of ${label.tensor} at step ${label.step ?? label.checkpointId}`;
  } else {
    const view = options.view;
    if (!FIGURE_VIEWS.includes(view)) throw new AtlasError('bad-request', `unknown view "${String(view)}" (views: ${FIGURE_VIEWS.join(', ')})`);
    const seq = loadSequence(store, run, view, options.tensor);
    const i = frameIndexAt(seq, options.step);
    // Axes fixed over every frame, as the app's animation panel fixes them.
    const settings = sparseSettings(view, seq, { ...(options.yLog !== undefined ? { yLog: options.yLog } : {}), ...(options.family ? { family: options.family } : {}) });
    const option = sparseOption(settings, seq.raw(i), seq.label(i, unitOfView(view)));
    content = await drawStill(option, options.format, width, height);
    description = `${view} of ${seq.meta.tensor} at step ${seq.checkpoints[i].step ?? seq.checkpoints[i].id}`;
  }
  return { content, description };
}

/** Draw the figure into options.out (the CLI). */
export async function renderFigure(store: Store, options: FigureOptions): Promise<FigureResult> {
  const { content, description } = await drawFigure(store, options);
  const path = resolve(options.out);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return { path, bytes: Buffer.byteLength(content), description };
}

