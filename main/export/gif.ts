// Animated GIF of one view of a run (histogram, QQ, spectrum, embedding correlation, residual
// stream or gradient histogram), one frame per cached checkpoint in step order, headless.
// Frames are rendered, encoded and written one at a time: the encoder's buffer is emptied into
// the file after every frame, and the large correlation frames are streamed from the cache row by
// row, so memory does not grow with the number of frames.
// Dense correlation frames come from the direct rasteriser over one fixed palette (the app's
// colours, see raster.ts); chart views are echarts canvas renders of the app's option, quantised
// per frame.
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { AtlasError, EXPORT_LIMITS, FRAME_KIND_OF_VIEW, type AnimationView, type TensorMeta } from '../../common/api';
import type { CheckpointInfo } from '../../common/domain';
import { GIF_DEFAULT_SIZE, clusterOrder, type QqFamily } from '../../common/charts';
import { Store, type StoredRun } from '../store/store';
import { CorrelationRasterizer, correlationLayout } from './raster';
import { FrameSequence, checkpointsInRange, correlationFrameOf, frameLabelOf, streamFrames, sparseOption, sparseSettings } from './render';
import { CanvasChart } from './canvas';
import { ANALYSIS_OF_VIEW, requireRun, unitOfView } from './lookup';

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

/** Width or height within the one set of export limits (common/api.ts EXPORT_LIMITS). */
export function validSize(name: 'width' | 'height', v: number): number {
  const { min, max } = EXPORT_LIMITS[name];
  if (!Number.isInteger(v) || v < min || v > max) throw new AtlasError('bad-request', `${name} must be an integer ${min}..${max}, got ${v}`);
  return v;
}

/** Write all of `bytes` at the file's current position. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Where an exporter writes its bytes: a file (the CLI: written beside the target and renamed at
 * the end, so an interrupted export leaves no truncated file) or memory (the app's renderExport,
 * whose bytes go back over the API without a temporary file).
 */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  /** A folder for scratch files (frame blocks of a correlation GIF), or null to keep them in memory. */
  readonly scratchDir: string | null;
}

export class FileSink implements ByteSink {
  readonly partial: string;
  readonly scratchDir: string;
  private fd: number | null;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.partial = `${path}.partial`;
    this.scratchDir = dirname(path);
    this.fd = openSync(this.partial, 'w');
  }
  write(bytes: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: already closed`);
    writeAll(this.fd, bytes);
  }
  /** Close and move the finished file into place; returns its size. */
  commit(): number {
    this.close();
    renameSync(this.partial, this.path);
    return statSync(this.path).size;
  }
  /** Close and remove what was written. */
  abort(): void {
    this.close();
    rmSync(this.partial, { force: true });
  }
  private close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export class MemorySink implements ByteSink {
  readonly scratchDir = null;
  private readonly chunks: Buffer[] = [];
  write(bytes: Uint8Array): void {
    // Copied: gifenc reuses its output buffer after reset().
    this.chunks.push(Buffer.from(bytes));
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * The GIF89a header, logical screen descriptor, global colour table and (when looping) the
 * Netscape loop extension: what gifenc writes before its first frame, written here separately
 * because the correlation frames are encoded before the first one (in step order) is known.
 */
export function gifHeader(width: number, height: number, palette: readonly (readonly number[])[], loop: boolean): Uint8Array {
  const bits = Math.max(1, Math.ceil(Math.log2(palette.length)));
  const out: number[] = [...'GIF89a'].map((ch) => ch.charCodeAt(0));
  out.push(width & 255, width >> 8, height & 255, height >> 8, 0x80 | (7 << 4) | (bits - 1), 0, 0);
  for (let i = 0; i < 1 << bits; i++) {
    const c = palette[i] ?? [0, 0, 0];
    out.push(c[0], c[1], c[2]);
  }
  if (loop) out.push(0x21, 0xff, 11, ...[...'NETSCAPE2.0'].map((ch) => ch.charCodeAt(0)), 3, 1, 0, 0, 0);
  return Uint8Array.from(out);
}

interface Target {
  width: number;
  height: number;
  delay: number;
  loop: boolean;
  sink: ByteSink;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Correlation frames: streamed from the cache one row at a time (storage order), each rasterised,
 * LZW-encoded and appended to a side file, then the blocks are copied into the GIF in step order.
 * Memory holds one decoded frame and one encoded block, whatever the number of frames.
 */
async function writeCorrelationGif(store: Store, run: StoredRun, meta: TensorMeta, checkpoints: CheckpointInfo[], reorder: boolean, t: Target): Promise<number> {
  const positions = new Map(checkpoints.map((c, i) => [c.id, i]));
  const kind = FRAME_KIND_OF_VIEW.correlation;
  let order: number[] | undefined;
  if (reorder) {
    // One order for every frame, from the last frame (as the app does), so rows do not reshuffle.
    let last: { position: number; frame: unknown } | null = null;
    for (const f of streamFrames(store, run.id, kind, meta.tensor, positions)) if (!last || f.position > last.position) last = f;
    if (last) {
      const frame = correlationFrameOf(last.frame);
      order = frame.order ?? clusterOrder(frame.matrix);
    }
  }
  const raster = new CorrelationRasterizer(t.width, t.height, order ? { order } : {});
  const unit = unitOfView('correlation');
  // The row stream runs on a private read-only connection when one can be opened, so that the
  // caller's Store stays free across the event-loop turns below (the app's engine keeps serving
  // queries while a GIF renders; a connection with an open iterator refuses other statements).
  const reader = privateReader(store);
  // Encoded frames arrive in storage order and are written in step order: kept in a scratch file
  // beside a file target (memory stays at one frame), in memory for a memory target.
  const blocksPath = t.sink.scratchDir ? resolve(t.sink.scratchDir, `.atlas-gif-${process.pid}-${Date.now()}.frames`) : null;
  const blocks: Array<{ offset: number; length: number; bytes?: Buffer } | undefined> = new Array(checkpoints.length);
  let count = 0;
  const blocksFd = blocksPath ? openSync(blocksPath, 'w+') : null;
  try {
    const encoder = gifenc.GIFEncoder({ auto: false, initialCapacity: 1 << 16 });
    let offset = 0;
    let longest = 0;
    for (const { position, frame } of streamFrames(reader ?? store, run.id, kind, meta.tensor, positions)) {
      const index = raster.render(correlationFrameOf(frame), frameLabelOf(run, meta, checkpoints[position], unit));
      // Not the first frame: gifenc writes control extension, descriptor (global table) and pixels.
      encoder.writeFrame(index, t.width, t.height, { first: false, delay: t.delay });
      const bytes = encoder.bytesView();
      if (blocksFd !== null) writeAll(blocksFd, bytes);
      blocks[position] = { offset, length: bytes.length, ...(blocksFd === null ? { bytes: Buffer.from(bytes) } : {}) };
      offset += bytes.length;
      longest = Math.max(longest, bytes.length);
      encoder.reset();
      count++;
      t.onProgress?.(count, checkpoints.length);
      // @napi-rs/canvas frees the pixel buffers it hands out (getImageData) in finalizers that run
      // only when the event loop turns: without this, native memory grows by a frame's text band
      // per frame (measured). Only on a private connection: the stream stays open across the wait.
      if (reader && count % 4 === 0) await new Promise((r) => setImmediate(r));
    }
    if (count === 0) return 0;
    if (count < checkpoints.length) t.onProgress?.(count, count);
    t.sink.write(gifHeader(t.width, t.height, raster.palette, t.loop));
    const buffer = Buffer.alloc(longest);
    for (const b of blocks) {
      if (!b) continue;
      if (b.bytes) t.sink.write(b.bytes);
      else {
        readSync(blocksFd!, buffer, 0, b.length, b.offset);
        t.sink.write(buffer.subarray(0, b.length));
      }
    }
    t.sink.write(Uint8Array.of(0x3b));
    return count;
  } finally {
    if (blocksFd !== null) closeSync(blocksFd);
    if (blocksPath) rmSync(blocksPath, { force: true });
    reader?.close();
  }
}

/**
 * A second, read-only connection to the caller's cache file, or null where there is none to open
 * (an in-memory database, or a better-sqlite3 build this plain Node cannot load, as in Electron):
 * then the stream runs on the caller's Store without yielding.
 */
function privateReader(store: Store): Store | null {
  if (store.path === ':memory:' || store.path === '') return null;
  try {
    return new Store(store.path, { readonly: true });
  } catch {
    return null;
  }
}

/**
 * Chart views: frames in step order, each drawn by echarts on a canvas, quantised to its own
 * palette (local colour table) and written to the file at once. Their stored frames are small.
 */
async function writeChartGif(store: Store, run: StoredRun, meta: TensorMeta, view: Exclude<AnimationView, 'correlation'>, steps: [number, number] | undefined, options: Omit<GifOptions, 'out'>, t: Target): Promise<number> {
  const seq = FrameSequence.load(store, run, FRAME_KIND_OF_VIEW[view], meta, steps);
  if (seq.length === 0) return 0;
  const settings = sparseSettings(view, seq, { ...(options.yLog !== undefined ? { yLog: options.yLog } : {}), ...(options.family ? { family: options.family } : {}) });
  const chart = new CanvasChart(t.width, t.height);
  const unit = unitOfView(view);
  try {
    const encoder = gifenc.GIFEncoder({ auto: false, initialCapacity: 1 << 16 });
    encoder.writeHeader();
    for (let i = 0; i < seq.length; i++) {
      const rgba = chart.render(sparseOption(settings, seq.raw(i), seq.label(i, unit)));
      seq.release(i);
      const palette = gifenc.quantize(rgba, 256);
      // The first frame's palette is the global table; later frames carry local tables.
      encoder.writeFrame(gifenc.applyPalette(rgba, palette), t.width, t.height, { first: i === 0, palette, delay: t.delay, repeat: t.loop ? 0 : -1 });
      t.sink.write(encoder.bytesView());
      encoder.reset();
      t.onProgress?.(i + 1, seq.length);
      // Let the event loop turn: progress output, and @napi-rs/canvas frees its pixel buffers
      // (getImageData) only then (see writeCorrelationGif).
      if (i % 4 === 3) await new Promise((r) => setImmediate(r));
    }
    encoder.finish();
    t.sink.write(encoder.bytesView());
    return seq.length;
  } finally {
    chart.dispose();
  }
}

/**
 * Render the GIF into a sink. Safe beside other users of the same Store (the app's engine): the
 * correlation stream reads through its own connection, and the chart views read their frames in
 * one query.
 */
export async function renderGifTo(store: Store, options: Omit<GifOptions, 'out'>, sink: ByteSink): Promise<{ frames: number; width: number; height: number }> {
  const width = validSize('width', options.width ?? GIF_DEFAULT_SIZE.width);
  const height = validSize('height', options.height ?? GIF_DEFAULT_SIZE.height);
  const fps = options.fps ?? EXPORT_LIMITS.fps.default;
  // GIF delays are whole centiseconds, and browsers play delays under 20 ms as 100 ms.
  if (!(fps >= EXPORT_LIMITS.fps.min && fps <= EXPORT_LIMITS.fps.max)) {
    throw new AtlasError('bad-request', `fps must be in [${EXPORT_LIMITS.fps.min}, ${EXPORT_LIMITS.fps.max}] (GIF players slow shorter frame delays down), got ${fps}`);
  }
  if (options.view === 'correlation') correlationLayout(width, height);
  const run = requireRun(store, options.runId);
  const meta = store.listTensors(run.id).find((t) => t.tensor === options.tensor);
  if (!meta) throw new AtlasError('not-found', `run ${run.id} has no tensor "${options.tensor}"`);
  const kind = FRAME_KIND_OF_VIEW[options.view];
  const target: Target = { width, height, delay: Math.round(100 / fps) * 10, loop: options.loop !== false, sink, ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  const frames =
    options.view === 'correlation'
      ? await writeCorrelationGif(store, run, meta, checkpointsInRange(run, options.steps), options.reorder ?? false, target)
      : await writeChartGif(store, run, meta, options.view, options.steps, options, target);
  if (frames === 0) {
    const anyAtAll = store.arrayKinds(run.id).some((a) => a.kind === kind && a.tensor === meta.tensor);
    throw noFramesError(run.id, options.view, meta.tensor, options.steps, anyAtAll);
  }
  return { frames, width, height };
}

/** Render the GIF to options.out (the CLI). */
export async function renderGif(store: Store, options: GifOptions): Promise<GifResult> {
  const path = resolve(options.out);
  const sink = new FileSink(path);
  try {
    const { frames, width, height } = await renderGifTo(store, options, sink);
    return { path, frames, bytes: sink.commit(), width, height };
  } catch (err) {
    sink.abort();
    throw err;
  }
}
