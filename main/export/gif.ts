// Animated GIF of one view of a run (histogram, QQ, spectrum, embedding correlation, residual
// stream or gradient histogram), one frame per cached checkpoint in step order, headless.
// Frames are rendered, encoded and written one at a time: the encoder's buffer is emptied into
// the file after every frame, so memory does not grow with the number of frames.
// Dense correlation frames come from the direct rasteriser over one fixed palette (exact colours);
// sparse views are echarts canvas renders of the app's option, quantised per frame.
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { AtlasError } from '../../common/api';
import { clusterOrder, type QqFamily } from '../../common/charts';
import type { Store } from '../store/store';
import { CorrelationRasterizer, type Rgb } from './raster';
import {
  ANALYSIS_OF_VIEW,
  CanvasChart,
  FRAME_KIND_OF_VIEW,
  FrameSequence,
  correlationFrameOf,
  requireRun,
  sparseOption,
  sparseSettings,
  unitOfView,
  type AnimationView,
} from './render';

/** The slice of gifenc (plain JS, no type declarations) the exporter uses. */
interface GifencStream {
  writeHeader(): void;
  writeFrame(index: Uint8Array, width: number, height: number, opts: { palette?: number[][]; first?: boolean; delay?: number; repeat?: number }): void;
  finish(): void;
  bytesView(): Uint8Array;
  bytes(): Uint8Array;
  reset(): void;
}
interface Gifenc {
  GIFEncoder(opts?: { auto?: boolean; initialCapacity?: number }): GifencStream;
  quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, opts?: { format?: string }): number[][];
  applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: number[][], format?: string): Uint8Array;
}
export const gifenc = createRequire(import.meta.url)('gifenc') as Gifenc;

export interface GifOptions {
  runId: string;
  view: AnimationView;
  /** The tensor whose frames are drawn (for `correlation`: the input embedding). */
  tensor: string;
  out: string;
  fps?: number;
  width?: number;
  height?: number;
  /** Inclusive step range [a, b]; omitted = every checkpoint with a frame. */
  steps?: [number, number];
  /** Loop forever (true) or play once. */
  loop?: boolean;
  /** Correlation: show rows in the clustered order of the last frame (one order for all frames). */
  reorder?: boolean;
  /** Histograms: log counts (the app's "log counts" box; default off as in the app). */
  yLog?: boolean;
  /** QQ: the reference family (the app's default is Student-t). */
  family?: QqFamily;
  onProgress?: (done: number, total: number) => void;
}

export interface GifResult {
  path: string;
  frames: number;
  bytes: number;
  width: number;
  height: number;
}

/** Error for a view with nothing cached: names the analysis that computes it. */
export function noFramesError(runId: string, view: AnimationView, tensor: string, steps?: [number, number], anyOutsideRange = false): AtlasError {
  if (steps && anyOutsideRange) {
    return new AtlasError('not-found', `run ${runId}: no ${view} frames of ${tensor} at steps ${steps[0]}..${steps[1]} (frames exist at other steps)`);
  }
  return new AtlasError(
    'not-found',
    `run ${runId}: no ${view} frames of ${tensor} in the cache; compute them with \`checkpoint-atlas analyze <run folder> --analyses ${ANALYSIS_OF_VIEW[view]}\``,
  );
}

export function validSize(name: string, v: number, min: number, max = 4096): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new AtlasError('bad-request', `${name} must be an integer ${min}..${max}, got ${v}`);
  return v;
}

/** A frame source: the same size for every frame, indexed pixels plus the palette they index. */
interface FramePainter {
  paint(i: number): { index: Uint8Array; palette: Rgb[] | number[][]; fixedPalette: boolean };
  dispose(): void;
}

function correlationPainter(seq: FrameSequence, width: number, height: number, reorder: boolean): FramePainter {
  let order: number[] | undefined;
  if (reorder && seq.length > 0) {
    // One order for every frame, from the last frame (as the app does), so rows do not reshuffle.
    const last = correlationFrameOf(seq.raw(seq.length - 1));
    order = last.order ?? clusterOrder(last.matrix);
  }
  const raster = new CorrelationRasterizer(width, height, order ? { order } : {});
  const unit = unitOfView('correlation');
  return {
    paint: (i) => ({ index: raster.render(correlationFrameOf(seq.raw(i)), seq.label(i, unit)), palette: raster.palette, fixedPalette: true }),
    dispose: () => undefined,
  };
}

function chartPainter(seq: FrameSequence, view: Exclude<AnimationView, 'correlation'>, width: number, height: number, options: GifOptions): FramePainter {
  const settings = sparseSettings(view, seq, { ...(options.yLog !== undefined ? { yLog: options.yLog } : {}), ...(options.family ? { family: options.family } : {}) });
  const chart = new CanvasChart(width, height);
  const unit = unitOfView(view);
  return {
    paint: (i) => {
      const rgba = chart.render(sparseOption(settings, seq.raw(i), seq.label(i, unit)));
      const palette = gifenc.quantize(rgba, 256);
      return { index: gifenc.applyPalette(rgba, palette), palette, fixedPalette: false };
    },
    dispose: () => chart.dispose(),
  };
}

export async function renderGif(store: Store, options: GifOptions): Promise<GifResult> {
  const width = validSize('width', options.width ?? 640, 160);
  const height = validSize('height', options.height ?? 480, 120);
  const fps = options.fps ?? 10;
  if (!(fps > 0 && fps <= 100)) throw new AtlasError('bad-request', `fps must be in (0, 100], got ${fps}`);
  const run = requireRun(store, options.runId);
  const meta = store.listTensors(run.id).find((t) => t.tensor === options.tensor);
  if (!meta) throw new AtlasError('not-found', `run ${run.id} has no tensor "${options.tensor}"`);
  const kind = FRAME_KIND_OF_VIEW[options.view];
  const seq = FrameSequence.load(store, run, kind, meta, options.steps);
  if (seq.length === 0) {
    const anyAtAll = options.steps ? FrameSequence.load(store, run, kind, meta).length > 0 : false;
    throw noFramesError(run.id, options.view, meta.tensor, options.steps, anyAtAll);
  }

  const path = resolve(options.out);
  mkdirSync(dirname(path), { recursive: true });
  // Written beside the target and renamed at the end: an interrupted export leaves no truncated GIF.
  const partial = `${path}.partial`;
  const painter = options.view === 'correlation' ? correlationPainter(seq, width, height, options.reorder ?? false) : chartPainter(seq, options.view, width, height, options);
  const fd = openSync(partial, 'w');
  let ok = false;
  try {
    const encoder = gifenc.GIFEncoder({ auto: false, initialCapacity: 1 << 16 });
    const flush = () => {
      const bytes = encoder.bytesView();
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      encoder.reset();
    };
    encoder.writeHeader();
    const delay = Math.round(1000 / fps);
    for (let i = 0; i < seq.length; i++) {
      const frame = painter.paint(i);
      seq.release(i);
      const first = i === 0;
      encoder.writeFrame(frame.index, width, height, {
        first,
        delay,
        repeat: options.loop === false ? -1 : 0,
        // A fixed palette is the global colour table only; per-frame palettes become local tables.
        ...(first || !frame.fixedPalette ? { palette: frame.palette as number[][] } : {}),
      });
      flush();
      options.onProgress?.(i + 1, seq.length);
      // Let the event loop breathe (progress output, signals) between frames.
      if (i % 8 === 7) await new Promise((r) => setImmediate(r));
    }
    encoder.finish();
    flush();
    ok = true;
  } finally {
    closeSync(fd);
    painter.dispose();
    if (!ok) rmSync(partial, { force: true });
  }
  renameSync(partial, path);
  return { path, frames: seq.length, bytes: statSync(path).size, width, height };
}
