// The CLI handlers of `checkpoint-atlas gif` and `checkpoint-atlas figure` (main/cli.ts wires them
// into commander): parse and check the string options, resolve --component/--block to a tensor,
// open the cache read-only, render headless, report progress on stderr and the file on stdout.
// Errors are AtlasErrors with the fix in the message (unknown run: the runs in the cache; nothing
// cached: the `analyze --analyses` that computes it).
import { extname, resolve } from 'node:path';
import { AtlasError, EXPORT_LIMITS, methods, type Request, type TensorMeta } from '../../common/api';
import { FIGURE_DEFAULT_SIZE, GIF_DEFAULT_SIZE, type QqFamily, type SequentialScale, type StepScale } from '../../common/charts';
import { escapeTerminal } from '../../common/terminal';
import { Store, defaultDbPath } from '../store/store';
import { renderFigure, FIGURE_VIEWS, type FigureView } from './figure';
import { renderGif, type GifResult } from './gif';
import { isStudyView, writeStudyView, type StudyView } from './study-views';
import { ANIMATION_VIEWS, FRAME_KIND_OF_VIEW, type AnimationView } from '../../common/api';
import { isAnimationView, parseStepRange, requireRun, resolveTensor } from './lookup';

export interface GifCommandOptions {
  db?: string;
  run?: string;
  view?: string;
  tensor?: string;
  component?: string;
  block?: string;
  out?: string;
  fps?: string;
  width?: string;
  height?: string;
  steps?: string;
  /** commander's --no-loop gives loop: false. */
  loop?: boolean;
  reorder?: boolean;
  yLog?: boolean;
  family?: string;
}

export interface FigureCommandOptions {
  db?: string;
  run?: string;
  view?: string;
  metric?: string;
  component?: string;
  kind?: string;
  block?: string;
  tensor?: string;
  step?: string;
  format?: string;
  width?: string;
  height?: string;
  out?: string;
  stepScale?: string;
  yLog?: boolean;
  family?: string;
  palette?: string;
  reorder?: boolean;
  /** heatmap: commander's --change-points / --no-change-points (undefined: on, as the app). */
  changePoints?: boolean;
}

/** Where messages go (tests pass their own). */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTty: boolean;
}

const processIo: CommandIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  stderrIsTty: process.stderr.isTTY === true,
};

function required(name: string, v: string | undefined): string {
  if (v === undefined || v === '') throw new AtlasError('bad-request', `--${name} is required`);
  return v;
}

export function parseIntOption(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\s*\d+\s*$/.test(v)) throw new AtlasError('bad-request', `--${name} must be a positive integer, got "${v}"`);
  return Number(v);
}

function parseNumberOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new AtlasError('bad-request', `--${name} must be a number, got "${v}"`);
  return x;
}

const QQ_FAMILIES: readonly QqFamily[] = ['gaussian', 'logistic', 'student_t'];
function parseFamily(v: string | undefined): QqFamily | undefined {
  if (v === undefined) return undefined;
  const f = v === 'student-t' || v === 'studentT' ? 'student_t' : v;
  if (!(QQ_FAMILIES as readonly string[]).includes(f)) throw new AtlasError('bad-request', `--family must be one of ${QQ_FAMILIES.join(', ')}, got "${v}"`);
  return f as QqFamily;
}

/**
 * The CLI's gif/figure build the same request as the app's Export menu (renderExport) and check it
 * with the same zod schema, so both accept the same views, sizes and frame rates
 * (common/api.ts EXPORT_LIMITS). A problem names the command-line option.
 */
export function checkAsAppRequest(req: Request<'renderExport'>): Request<'renderExport'> {
  const parsed = methods.renderExport.request.safeParse(req);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue.path[0] ?? 'request');
  const given = (req as Record<string, unknown>)[key];
  const option = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  throw new AtlasError('bad-request', `--${option} ${issue.message}${given === undefined ? '' : `, got ${JSON.stringify(given)}`}`);
}

function openCache(db: string | undefined): Store {
  // Read-only: exporting never changes the cache, and may run beside an analysis writing it.
  return new Store(resolve(db ?? defaultDbPath()), { readonly: true });
}

/** The tensor a view draws: --tensor, --component/--block, or the view's natural default. */
export function tensorForView(store: Store, runId: string, view: AnimationView, opts: { tensor?: string; component?: string; block?: string }): TensorMeta {
  const kind = FRAME_KIND_OF_VIEW[view];
  const withFrames = new Set(store.arrayKinds(runId).filter((a) => a.kind === kind).map((a) => a.tensor));
  if (opts.tensor || opts.component) {
    // Activations are the residual stream: --block alone (or --component resid) names resid.B.
    return resolveTensor(store, runId, opts, (t) => withFrames.size === 0 || withFrames.has(t.tensor));
  }
  if (view === 'activations' && opts.block !== undefined) return resolveTensor(store, runId, { component: 'resid', block: opts.block });
  if (view === 'correlation') {
    const tensors = store.listTensors(runId);
    // The app's correlation panel shows the input embedding.
    const embed = tensors.find((t) => t.component === 'embed' && t.kind === 'weight' && withFrames.has(t.tensor)) ?? tensors.find((t) => withFrames.has(t.tensor));
    if (embed) return embed;
  }
  if (withFrames.size === 1) return store.listTensors(runId).find((t) => withFrames.has(t.tensor)) ?? resolveTensor(store, runId, { tensor: [...withFrames][0] });
  throw new AtlasError('bad-request', `--view ${view} needs a tensor: --tensor NAME or --component C --block B${withFrames.size ? ` (tensors with ${kind} frames: ${[...withFrames].slice(0, 12).join(', ')}${withFrames.size > 12 ? ', ...' : ''})` : ''}`);
}

function progressReporter(io: CommandIo, rawWhat: string): (done: number, total: number) => void {
  const what = escapeTerminal(rawWhat);
  let lastTenth = -1;
  return (done, total) => {
    if (io.stderrIsTty) {
      io.stderr(`\r${what}: frame ${done}/${total}${done === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth || done === total) {
      lastTenth = tenth;
      io.stderr(`${what}: frame ${done}/${total}\n`);
    }
  };
}

/** `checkpoint-atlas gif`: an animation of one view of a run. */
export async function gifCommand(opts: GifCommandOptions, io: CommandIo = processIo): Promise<GifResult> {
  const runRef = required('run', opts.run);
  const view = required('view', opts.view);
  if (isStudyView(view)) return studyCommand(opts, view, 'gif', io);
  if (!isAnimationView(view)) throw new AtlasError('bad-request', `--view must be one of ${ANIMATION_VIEWS.join(', ')}, got "${view}"`);
  const out = required('out', opts.out);
  const steps = opts.steps === undefined ? undefined : parseStepRange(opts.steps);
  const family = parseFamily(opts.family);
  const req = checkAsAppRequest({
    runId: runRef,
    format: 'gif',
    view,
    fps: parseNumberOption('fps', opts.fps) ?? EXPORT_LIMITS.fps.default,
    width: parseIntOption('width', opts.width, GIF_DEFAULT_SIZE.width),
    height: parseIntOption('height', opts.height, GIF_DEFAULT_SIZE.height),
    ...(steps ? { steps } : {}),
    reorder: opts.reorder === true,
    ...(opts.yLog !== undefined ? { yLog: opts.yLog } : {}),
    ...(family ? { family } : {}),
  });
  const store = openCache(opts.db);
  try {
    const runId = requireRun(store, runRef).id;
    const meta = tensorForView(store, runId, view, opts);
    const result = await renderGif(store, {
      ...req,
      runId,
      view,
      tensor: meta.tensor,
      out,
      loop: opts.loop !== false,
      onProgress: progressReporter(io, `${view} of ${meta.tensor}`),
    });
    io.stdout(`wrote ${escapeTerminal(result.path)}: ${result.frames} frames, ${result.width} x ${result.height}, ${(result.bytes / 1024).toFixed(1)} KiB\n`);
    return result;
  } finally {
    store.close();
  }
}

/** `checkpoint-atlas figure`: one view of a run as PNG or SVG. */
export async function figureCommand(opts: FigureCommandOptions, io: CommandIo = processIo): Promise<{ path: string; bytes: number }> {
  const runRef = required('run', opts.run);
  const view = required('view', opts.view);
  if (isStudyView(view)) {
    const format = opts.format ?? extname(required('out', opts.out)).slice(1).toLowerCase();
    if (format !== 'png' && format !== 'svg') throw new AtlasError('bad-request', `--format must be png or svg (or give --out a .png/.svg name), got "${format}"`);
    return studyCommand(opts, view, format, io);
  }
  if (!(FIGURE_VIEWS as readonly string[]).includes(view)) throw new AtlasError('bad-request', `--view must be one of ${FIGURE_VIEWS.join(', ')}, got "${view}"`);
  const out = required('out', opts.out);
  const format = opts.format ?? extname(out).slice(1).toLowerCase();
  if (format !== 'png' && format !== 'svg') throw new AtlasError('bad-request', `--format must be png or svg (or give --out a .png/.svg name), got "${format}"`);
  const step = parseNumberOption('step', opts.step);
  const { width, height } = checkAsAppRequest({
    runId: runRef,
    format,
    view: view as FigureView,
    width: parseIntOption('width', opts.width, FIGURE_DEFAULT_SIZE.width),
    height: parseIntOption('height', opts.height, FIGURE_DEFAULT_SIZE.height),
    ...(step !== undefined ? { step } : {}),
    ...(opts.changePoints !== undefined ? { changePoints: opts.changePoints } : {}),
  }) as { width: number; height: number };
  const stepScale = opts.stepScale;
  if (stepScale !== undefined && stepScale !== 'log' && stepScale !== 'linear') throw new AtlasError('bad-request', `--step-scale must be log or linear, got "${stepScale}"`);
  const palette = opts.palette;
  if (palette !== undefined && palette !== 'viridis' && palette !== 'cividis') throw new AtlasError('bad-request', `--palette must be viridis or cividis, got "${palette}"`);
  const family = parseFamily(opts.family);
  const store = openCache(opts.db);
  try {
    const runId = requireRun(store, runRef).id;
    let tensor: string | undefined;
    if (view !== 'heatmap' && view !== 'curves') tensor = tensorForView(store, runId, view as AnimationView, opts).tensor;
    const result = await renderFigure(store, {
      runId,
      view: view as FigureView,
      format,
      width,
      height,
      out,
      ...(opts.metric ? { metric: opts.metric } : {}),
      ...(opts.component && (view === 'heatmap' || view === 'curves') ? { component: opts.component } : {}),
      ...(opts.kind ? { kind: opts.kind } : {}),
      ...(opts.block !== undefined && view === 'heatmap' ? { block: opts.block } : {}),
      ...(tensor ? { tensor } : {}),
      ...(step !== undefined ? { step } : {}),
      ...(stepScale ? { stepScale: stepScale as StepScale } : {}),
      ...(opts.yLog !== undefined ? { yLog: opts.yLog } : {}),
      ...(family ? { family } : {}),
      ...(palette ? { palette: palette as SequentialScale } : {}),
      reorder: opts.reorder === true,
      ...(opts.changePoints !== undefined ? { changePoints: opts.changePoints } : {}),
    });
    io.stderr(`${escapeTerminal(result.description)}\n`);
    io.stdout(`wrote ${escapeTerminal(result.path)} (${(result.bytes / 1024).toFixed(1)} KiB)\n`);
    return result;
  } finally {
    store.close();
  }
}

/** `gif` / `figure` of the Outliers and Head spectra views (main/export/study-views.ts). */
async function studyCommand(opts: GifCommandOptions & FigureCommandOptions, view: StudyView, format: 'gif' | 'png' | 'svg', io: CommandIo): Promise<GifResult> {
  const out = required('out', opts.out);
  const steps = opts.steps === undefined ? undefined : parseStepRange(opts.steps);
  const step = parseNumberOption('step', opts.step);
  const size = format === 'gif' ? GIF_DEFAULT_SIZE : FIGURE_DEFAULT_SIZE;
  const req = checkAsAppRequest({
    runId: required('run', opts.run), format, view,
    width: parseIntOption('width', opts.width, size.width), height: parseIntOption('height', opts.height, size.height),
    ...(format === 'gif' ? { fps: parseNumberOption('fps', opts.fps) ?? EXPORT_LIMITS.fps.default } : {}),
    ...(steps ? { steps } : {}), ...(step !== undefined ? { step } : {}), ...(opts.tensor ? { tensor: opts.tensor } : {}), ...(opts.yLog !== undefined ? { yLog: opts.yLog } : {}),
  });
  const store = openCache(opts.db);
  try {
    const runId = requireRun(store, req.runId).id;
    const r = await writeStudyView(store, { ...req, runId, view, format }, out);
    io.stdout(`wrote ${escapeTerminal(r.path)}: ${r.frames} frame${r.frames === 1 ? '' : 's'}, ${r.width} x ${r.height}, ${(r.bytes / 1024).toFixed(1)} KiB\n`);
    return r;
  } finally {
    store.close();
  }
}
