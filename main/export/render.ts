// Shared by the GIF and figure exporters: find a run's frames in the cache (chart views' small
// frames read at once and decoded one at a time in step order; the large correlation frames
// streamed row by row), and turn each into exactly the echarts option the app draws (the option
// functions of common/charts, with the same settings and frame labels as
// renderer/src/views/Animations.tsx), so an exported frame is the picture the user saw.
// Drawing them: ./canvas.ts; finding the run, view and tensor: ./lookup.ts.
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
import { runLabel } from '../../common/run-label';

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
    return frameLabelOf(this.run, this.meta, this.checkpoints[i], unit);
  }
}

/** What a frame says about itself: run, tensor, component, block, step, unit (as the app's panels). */
export function frameLabelOf(run: StoredRun, meta: TensorMeta, c: CheckpointInfo, unit: string): FrameLabel {
  return { runName: runLabel(run), tensor: meta.tensor, component: meta.component, block: meta.block, step: c.step, checkpointId: c.id, unit };
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
        lo = Math.min(lo, x, y);
        hi = Math.max(hi, x, y);
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
        maxRank = Math.max(maxRank, r);
        sMin = Math.min(sMin, s);
        sMax = Math.max(sMax, s);
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
