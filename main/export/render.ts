// Shared by the GIF and figure exporters: find a run's frames in the cache (chart views' small
// frames read at once and decoded one at a time in step order; the large correlation frames
// streamed row by row), and turn each into exactly the echarts option the app draws (the option
// functions of common/charts, with the same settings and frame labels as
// renderer/src/views/Animations.tsx), so an exported frame is the picture the user saw.
// Also the echarts canvas renderer on @napi-rs/canvas (no display, no browser) for sparse views.
import { createCanvas } from '@napi-rs/canvas';
import * as echarts from 'echarts';
import { AtlasError, type FrameKind, type TensorMeta } from '../../common/api';
import type { CheckpointInfo } from '../../common/domain';
import { decodeFrame } from '../../common/frames';
import {
  asCorrelationFrame,
  asHistogramFrame,
  asQqFrame,
  asSpectrumFrame,
  histogramOption,
  histogramYMax,
  qqOption,
  qqPoints,
  spectrumExtent,
  spectrumOption,
  spectrumPoints,
  type ChartOption,
  type CorrelationFrame,
  type FrameLabel,
  type HistogramFrame,
  type QqFamily,
  type QqFrame,
  type SpectrumExtent,
  type SpectrumFrame,
} from '../../common/charts';
import { presentCheckpoints } from '../store/grids';
import type { Store, StoredRun } from '../store/store';

// The animated views and their frame kinds live in common/api.ts (the renderer uses them too).
export { ANIMATION_VIEWS, FRAME_KIND_OF_VIEW, type AnimationView } from '../../common/api';
import { ANIMATION_VIEWS, type AnimationView } from '../../common/api';

/** Which `analyze --analyses` value computes the frames of a view (for "nothing cached" errors). */
export const ANALYSIS_OF_VIEW: Record<AnimationView, string> = {
  histogram: 'weights',
  qq: 'weights',
  spectrum: 'spectra',
  correlation: 'embedding',
  activations: 'activations',
  gradients: 'gradients',
};

/** The unit each panel of the app prints in its frame label (Animations.tsx: FramePanel, CorrelationPanel). */
export function unitOfView(view: AnimationView): string {
  return view === 'gradients' ? '∂loss/∂w' : view === 'qq' ? 'σ' : view === 'correlation' ? 'Pearson r' : 'value';
}

/** The app's white panel, ink and muted text colours (renderer/src/styles.css --panel, --ink, --muted, --line). */
export const PANEL_BACKGROUND = '#ffffff';
export const INK = '#1d232b';
export const MUTED = '#5d6673';
export const LINE = '#d8dde4';

export function isAnimationView(v: string): v is AnimationView {
  return (ANIMATION_VIEWS as readonly string[]).includes(v);
}

/** The run with this id, or else the one run with this name (the CLI accepts either). */
export function requireRun(store: Store, runId: string): StoredRun {
  const run = store.getRun(runId);
  if (run) return run;
  const runs = store.listRuns();
  const named = runs.filter((r) => r.name === runId);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    throw new AtlasError('bad-request', `${named.length} runs in the cache ${store.path} are named "${runId}"; give one id:\n${named.map((r) => `  ${r.id}  (${r.name}: ${r.root})`).join('\n')}`, store.path);
  }
  const list = runs.length ? runs.map((r) => `  ${r.id}  (${r.name})`).join('\n') : '  (none: run `checkpoint-atlas analyze <folder>` first)';
  throw new AtlasError('not-found', `no run "${runId}" in the cache ${store.path}; runs there:\n${list}`, store.path);
}

/** Parse "A:B" (either end may be empty) into an inclusive step range. */
export function parseStepRange(text: string): [number, number] {
  const m = /^\s*(-?\d+(?:\.\d+)?)?\s*:\s*(-?\d+(?:\.\d+)?)?\s*$/.exec(text);
  if (!m) throw new AtlasError('bad-request', `--steps must look like A:B (e.g. 0:1000, 512:, :2000), got "${text}"`);
  const a = m[1] === undefined ? -Infinity : Number(m[1]);
  const b = m[2] === undefined ? Infinity : Number(m[2]);
  if (a > b) throw new AtlasError('bad-request', `--steps ${text}: the first step is after the last`);
  return [a, b];
}

/** A tensor's frames of one kind: the checkpoints that have one, in step order, decoded on demand. */
export class FrameSequence {
  private constructor(
    readonly run: StoredRun,
    readonly kind: FrameKind,
    readonly meta: TensorMeta,
    /** Checkpoints with a cached frame, in step order (within the asked step range). */
    readonly checkpoints: CheckpointInfo[],
    private readonly encoded: Map<string, unknown>,
  ) {}

  static load(store: Store, run: StoredRun, kind: FrameKind, meta: TensorMeta, steps?: [number, number]): FrameSequence {
    const encoded = store.frames(run.id, kind, meta.tensor);
    const checkpoints = checkpointsInRange(run, steps).filter((c) => encoded.has(c.id));
    // Frames outside the range are never decoded: drop them now rather than hold them.
    const kept = new Set(checkpoints.map((c) => c.id));
    for (const id of [...encoded.keys()]) if (!kept.has(id)) encoded.delete(id);
    return new FrameSequence(run, kind, meta, checkpoints, encoded);
  }

  get length(): number {
    return this.checkpoints.length;
  }

  /** The decoded frame i (a fresh object each call: callers drop it when drawn). */
  raw(i: number): unknown {
    const c = this.checkpoints[i];
    if (!c) throw new RangeError(`frame ${i} of ${this.length}`);
    return decodeFrame(this.encoded.get(c.id));
  }

  /** Release the stored text of frame i once it is drawn for the last time. */
  release(i: number): void {
    const c = this.checkpoints[i];
    if (c) this.encoded.delete(c.id);
  }

  label(i: number, unit: string): FrameLabel {
    return frameLabelOf(this.run, this.meta, this.checkpoints[i]!, unit);
  }
}

/** What a frame says about itself: run, tensor, component, block, step, unit (as the app's panels). */
export function frameLabelOf(run: StoredRun, meta: TensorMeta, c: CheckpointInfo, unit: string): FrameLabel {
  return { runName: run.name, tensor: meta.tensor, component: meta.component, block: meta.block, step: c.step, checkpointId: c.id, unit };
}

/** The run's checkpoints in step order, within an inclusive step range when one is given. */
export function checkpointsInRange(run: StoredRun, steps?: [number, number]): CheckpointInfo[] {
  return presentCheckpoints(run.info).filter((c) => !steps || (c.step !== null && c.step >= steps[0] && c.step <= steps[1]));
}

/**
 * One tensor's frames of a kind, streamed from the cache one row at a time in storage order (not
 * step order), each yielded with its position among `positions` (checkpoints not listed are
 * skipped). Nothing else may use the store while the stream is open.
 */
export function* streamFrames(store: Store, runId: string, kind: FrameKind, tensor: string, positions: ReadonlyMap<string, number>): Generator<{ position: number; frame: unknown }> {
  let seen = false;
  for (const row of store.iterateArrays(runId, kind)) {
    if (row.tensor !== tensor) {
      // Rows come ordered by tensor: past ours, there is nothing more to read.
      if (seen) return;
      continue;
    }
    seen = true;
    const position = positions.get(row.checkpointId);
    if (position !== undefined) yield { position, frame: decodeFrame(row.data) };
  }
}

/** The chart settings the app fixes over all frames (one y range, one QQ extent, one spectrum extent). */
export type SparseSettings =
  | { view: 'histogram' | 'activations' | 'gradients'; yLog: boolean; yMax: number; xName: string }
  | { view: 'qq'; family: QqFamily; extent: [number, number] }
  | { view: 'spectrum'; extent: SpectrumExtent };

export type SparseView = SparseSettings['view'];

/** One pass over the frames (each decoded and dropped) for the ranges the app fixes per animation. */
export function sparseSettings(view: SparseView, seq: FrameSequence, options: { yLog?: boolean; family?: QqFamily } = {}): SparseSettings {
  if (view === 'qq') {
    // The union of every frame's points, padded as qqExtent pads (equal to qqExtent(allFrames)).
    const family = options.family ?? 'student_t';
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < seq.length; i++) {
      for (const [x, y] of qqPoints(asQqFrame(seq.raw(i)) as QqFrame, family)) {
        lo = Math.min(lo, x!, y!);
        hi = Math.max(hi, x!, y!);
      }
    }
    return { view, family, extent: padded(lo, hi) };
  }
  if (view === 'spectrum') {
    // Equal to spectrumExtent(allFrames), one frame in memory at a time.
    let maxRank = 1;
    let sMin = Infinity;
    let sMax = -Infinity;
    for (let i = 0; i < seq.length; i++) {
      for (const [r, s] of spectrumPoints(asSpectrumFrame(seq.raw(i)) as SpectrumFrame)) {
        maxRank = Math.max(maxRank, r!);
        sMin = Math.min(sMin, s!);
        sMax = Math.max(sMax, s!);
      }
    }
    return { view, extent: sMin > sMax ? spectrumExtent([]) : { maxRank, sMin, sMax } };
  }
  let yMax = 0;
  for (let i = 0; i < seq.length; i++) yMax = Math.max(yMax, histogramYMax([asHistogramFrame(seq.raw(i))]));
  const xName = view === 'gradients' ? 'gradient' : view === 'activations' ? 'activation' : 'weight';
  return { view, yLog: options.yLog ?? false, yMax, xName };
}

/** qqExtent's padding of a union range (same arithmetic as common/charts/qq.ts). */
function padded(lo: number, hi: number): [number, number] {
  if (lo > hi) return [-1, 1];
  const pad = (hi - lo) * 0.03 || 0.5;
  return [lo - pad, hi + pad];
}

/** The full echarts option of frame i of a sparse view: what the app shows at that checkpoint. */
export function sparseOption(settings: SparseSettings, frame: unknown, label: FrameLabel): ChartOption {
  switch (settings.view) {
    case 'qq':
      return qqOption(asQqFrame(frame) as QqFrame, label, { family: settings.family, extent: settings.extent });
    case 'spectrum':
      return spectrumOption(asSpectrumFrame(frame) as SpectrumFrame, label, settings.extent);
    default:
      return histogramOption(asHistogramFrame(frame) as HistogramFrame, label, { yLog: settings.yLog, yMax: settings.yMax, xName: settings.xName });
  }
}

export function correlationFrameOf(frame: unknown): CorrelationFrame {
  const f = asCorrelationFrame(frame);
  if (!f) throw new AtlasError('format', 'embedding_correlation frame is empty');
  return f;
}

/** The font the exporter draws with (installed fonts are found by @napi-rs/canvas; sans-serif falls back). */
export const EXPORT_FONT_FAMILY = 'Liberation Sans, DejaVu Sans, Arial, sans-serif';

/** Options every exported chart adds: the app's white panel and a font that exists headless. */
export function withExportLook(option: ChartOption): ChartOption {
  return { ...option, backgroundColor: PANEL_BACKGROUND, textStyle: { fontFamily: EXPORT_FONT_FAMILY } };
}

let platformSet = false;

/**
 * echarts on a @napi-rs/canvas canvas: one instance reused for every frame (setOption without
 * merge, so each frame is exactly its own option). dispose() is required, or Node never exits.
 */
export class CanvasChart {
  private readonly canvas;
  private readonly chart;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    if (!platformSet) {
      // echarts measures text on a canvas it creates itself: give it one (there is no document).
      echarts.setPlatformAPI({ createCanvas: () => createCanvas(32, 32) as unknown as HTMLCanvasElement });
      platformSet = true;
    }
    this.canvas = createCanvas(width, height);
    this.chart = echarts.init(this.canvas as unknown as HTMLCanvasElement, null, { width, height, devicePixelRatio: 1, renderer: 'canvas' });
  }

  /** Draw an option and return its RGBA pixels (width * height * 4). */
  render(option: ChartOption): Uint8ClampedArray {
    this.chart.setOption(withExportLook(option) as echarts.EChartsOption, { notMerge: true, lazyUpdate: false });
    // echarts paints on its own schedule; force the pending frame now.
    (this.chart as unknown as { getZr(): { flush(): void } }).getZr().flush();
    const ctx = this.canvas.getContext('2d');
    return ctx.getImageData(0, 0, this.width, this.height).data;
  }

  async png(option: ChartOption): Promise<Buffer> {
    this.render(option);
    return this.canvas.encode('png');
  }

  dispose(): void {
    this.chart.dispose();
  }
}

/**
 * The option for echarts' SVG renderer: series in `large` mode (histogram bars drawn as one path
 * per series for the canvas) are drawn element by element, because the SVG renderer writes
 * their batched path as `d=""` and the figure would have no bars (issue 15 #2).
 */
export function forSvg(option: ChartOption): ChartOption {
  const series = option.series;
  if (!Array.isArray(series)) return option;
  return { ...option, series: series.map((s: Record<string, unknown>) => (s && s.large ? { ...s, large: false } : s)) };
}

/** echarts server-side SVG of an option (the figure exporter's vector output). */
export function renderSvg(option: ChartOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(withExportLook(forSvg(option)) as echarts.EChartsOption);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Resolve --tensor, or --component and --block, to one of the run's tensors. */
export function resolveTensor(store: Store, runId: string, want: { tensor?: string; component?: string; block?: string }, accept: (t: TensorMeta) => boolean = () => true): TensorMeta {
  const all = store.listTensors(runId);
  if (want.tensor) {
    const t = all.find((x) => x.tensor === want.tensor);
    if (!t) throw new AtlasError('not-found', `run ${runId} has no tensor "${want.tensor}"; tensors: ${all.map((x) => x.tensor).join(', ') || '(none registered)'}`);
    return t;
  }
  if (want.component) {
    const blockText = want.block;
    const matches = all.filter((t) => t.component === want.component && (blockText === undefined || String(t.block) === blockText) && accept(t));
    const weight = matches.filter((t) => t.kind === 'weight');
    const pick = weight.length === 1 ? weight : matches;
    if (pick.length === 1) return pick[0]!;
    const components = [...new Set(all.map((t) => t.component))].join(', ');
    if (pick.length === 0) throw new AtlasError('not-found', `run ${runId} has no tensor of component "${want.component}"${blockText === undefined ? '' : ` in block ${blockText}`} (components: ${components})`);
    throw new AtlasError('bad-request', `--component ${want.component}${blockText === undefined ? '' : ` --block ${blockText}`} matches ${pick.length} tensors (${pick.map((t) => t.tensor).join(', ')}); add --block or name one with --tensor`);
  }
  throw new AtlasError('bad-request', 'name the tensor: --tensor NAME, or --component C --block B');
}
