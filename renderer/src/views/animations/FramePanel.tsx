// One echarts animation panel of the Animations tab (histogram, QQ, spectrum, gradient and
// activation histograms): the full option is built once per series and settings, a timeline tick
// sends only the changed data. Also the frame loader shared with CorrelationPanel.tsx.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FrameKind, FrameSeries, TensorMeta } from '../../../../common/api';
import {
  isSignedLogEdges,
  linearRange,
  toLinearBins,
  type HistogramFrame,
  asHistogramFrame,
  asQqFrame,
  asSpectrumFrame,
  frameSubtitle,
  histogramOption,
  histogramUpdate,
  histogramYMax,
  qqExtent,
  qqOption,
  qqUpdate,
  spectrumExtent,
  spectrumOption,
  type SpectrumFrame,
  type ChartOption,
  type FrameLabel,
  type QqFamily,
} from '../../../../common/charts';
import { flatSpectrum } from '../../../../common/charts/flat-points';
import { Chart, type ChartHandle } from '../../components/Chart';
import { ExportMenu, type ExportFormat, type ExportRequest } from '../../components/ExportMenu';
import { errorMessage, useAppState } from '../../context';
import { loadFrames } from '../../frames-cache';
import type { RunContext } from '../../run-context';
import { activationLabel, EXPORT_VIEW, GIF_SIZE, PANEL_LABEL, type PanelKind } from './panels';

/** One run's frames of a kind and tensor: the page's run, or `runId` (a compared run's correlation panel). */
export function useFrames(ctx: RunContext, kind: FrameKind, tensor: string, runId: string = ctx.runId) {
  const { client } = useAppState();
  const [series, setSeries] = useState<FrameSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setSeries(null);
    setError(null);
    loadFrames(client, runId, kind, tensor, ctx.dataVersion).then(
      (s) => live && setSeries(s),
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [client, runId, kind, tensor, ctx.dataVersion]);
  return { series, error };
}

export function frameLabel(ctx: RunContext, meta: TensorMeta, series: FrameSeries, i: number, unit: string): FrameLabel {
  return {
    runName: ctx.run.name,
    tensor: meta.tensor,
    component: meta.component,
    block: meta.block,
    step: series.steps[i] ?? null,
    checkpointId: series.checkpointIds[i] ?? '',
    unit,
  };
}

export interface PanelSettings {
  yLog?: boolean;
  family?: QqFamily;
  /** Activation/gradient histograms: redraw their signed-log bins on a linear axis. */
  xLinear?: boolean;
}

/** One echarts animation panel; the full option is built once per series/settings, ticks only update data. */
export function FramePanel({ ctx, kind, meta, index, checkpointIds, settings }: { ctx: RunContext; kind: Exclude<PanelKind, 'embedding_correlation'>; meta: TensorMeta; index: number; checkpointIds: string[]; settings: PanelSettings }) {
  const { series, error } = useFrames(ctx, kind, meta.tensor);
  const chart = useRef<ChartHandle>(null);
  // Singular values carry the weight's own (unnamed) unit: no unit label rather than a vague one.
  const unit = kind === 'grad_histogram' ? '∂loss/∂w' : kind === 'qq' ? 'σ' : kind === 'spectrum' ? '' : 'value';

  // Parse once; map timeline index (run checkpoints) -> frame index (series order).
  const parsed = useMemo(() => {
    if (!series) return null;
    try {
      const parse = kind === 'qq' ? asQqFrame : kind === 'spectrum' ? asSpectrumFrame : asHistogramFrame;
      let frames = series.frames.map((f) => parse(f)) as Array<ReturnType<typeof parse>>;
      const first = frames.find((f) => f !== null) as HistogramFrame | undefined;
      if (settings.xLinear && first && 'edges' in first && isSignedLogEdges(first.edges)) {
        // One range for every frame, so frames compare by eye.
        const range = linearRange(frames as Array<HistogramFrame | null>);
        frames = (frames as Array<HistogramFrame | null>).map((f) => (f ? toLinearBins(f, range) : null)) as typeof frames;
      }
      const byCheckpoint = new Map(series.checkpointIds.map((id, i) => [id, i]));
      return { frames, byCheckpoint, error: null as string | null };
    } catch (e) {
      return { frames: [], byCheckpoint: new Map<string, number>(), error: errorMessage(e) };
    }
  }, [series, kind, settings.xLinear]);

  const frameIndex = parsed?.byCheckpoint.get(checkpointIds[index] ?? '') ?? -1;
  const firstFrame = parsed?.frames.findIndex((f) => f !== null) ?? -1;

  // An activation histogram is of the residual stream or of an MLP's hidden activations (mlp.i).
  const panelLabel = kind === 'resid_histogram' ? activationLabel(meta) : PANEL_LABEL[kind];
  const fullOption = useMemo<ChartOption | null>(() => {
    if (!parsed || !series || firstFrame < 0) return null;
    const label = frameLabel(ctx, meta, series, firstFrame, unit);
    const f = parsed.frames[firstFrame]!;
    if (kind === 'qq') {
      const frames = parsed.frames as ReturnType<typeof asQqFrame>[];
      return qqOption(f as never, label, { family: settings.family ?? 'gaussian', extent: qqExtent(frames, settings.family ?? 'gaussian') });
    }
    if (kind === 'spectrum') return spectrumOption(f as never, label, spectrumExtent(parsed.frames as ReturnType<typeof asSpectrumFrame>[]));
    const xName = kind === 'grad_histogram' ? 'gradient' : kind === 'resid_histogram' ? 'activation' : 'weight';
    return histogramOption(f as never, label, { yLog: settings.yLog ?? false, yMax: histogramYMax(parsed.frames as ReturnType<typeof asHistogramFrame>[]), xName, titlePrefix: panelLabel, linearOf: settings.xLinear === true && kind !== 'histogram' });
  }, [parsed, series, firstFrame, settings.family, settings.yLog, settings.xLinear, kind, meta.tensor]);

  // Per tick: only the series data and the frame label.
  useEffect(() => {
    if (!fullOption || !parsed || !series) return;
    const f = frameIndex >= 0 ? parsed.frames[frameIndex] : null;
    const label = frameLabel(ctx, meta, series, Math.max(0, frameIndex), unit);
    if (!f) {
      const missing = { title: [{ subtext: `${frameSubtitle({ ...label, step: null, checkpointId: checkpointIds[index] ?? '' })} · not computed` }], series: [{ data: [] }, { data: [] }] };
      chart.current?.update(kind === 'spectrum' || kind === 'qq' ? { ...missing, series: [{ data: [] }] } : missing);
      return;
    }
    // A spectrum's up to thousands of [rank, value] pairs go as one flat typed array
    // (common/charts/flat-points.ts): echarts takes it without cloning every pair.
    const update =
      kind === 'qq'
        ? qqUpdate(f as never, label, { family: settings.family ?? 'gaussian' })
        : kind === 'spectrum'
          ? { title: [{ subtext: frameSubtitle(label) }], series: [{ data: flatSpectrum(f as SpectrumFrame) }] }
          : histogramUpdate(f as never, label, { yLog: settings.yLog ?? false });
    chart.current?.update(update);
  }, [frameIndex, fullOption]);

  const title = `${panelLabel} of ${meta.tensor}`;
  // PNG/SVG: the frame on screen; the engine renders single frames of these three views only.
  const figure = kind === 'histogram' || kind === 'qq' || kind === 'spectrum';
  const shownStep = frameIndex >= 0 && parsed?.frames[frameIndex] ? series?.steps[frameIndex] : undefined;
  const formats: ExportFormat[] = figure && shownStep !== undefined ? ['gif', 'png', 'svg'] : ['gif'];
  const exportRequest: ExportRequest | null =
    series && firstFrame >= 0
      ? { runId: ctx.runId, view: EXPORT_VIEW[kind], tensor: meta.tensor, ...GIF_SIZE, ...(kind === 'qq' ? { family: settings.family ?? 'gaussian' } : {}), ...(settings.yLog !== undefined && kind !== 'qq' && kind !== 'spectrum' ? { yLog: settings.yLog } : {}) }
      : null;
  return (
    <div className="panel anim" data-testid={`anim-${kind}`}>
      <div className="panelbar">
        <ExportMenu formats={formats} request={exportRequest} extra={{ png: { step: shownStep }, svg: { step: shownStep } }} what={title} testId={`export-${kind}`} initDist={kind === 'histogram' && shownStep !== undefined ? { run: ctx.runId, tensor: meta.tensor, step: shownStep } : null} />
      </div>
      {error && <p className="notice warn">{panelLabel}: {error}</p>}
      {parsed?.error && <p className="notice error">{parsed.error}</p>}
      {series && firstFrame < 0 && <p className="notice warn">{panelLabel} of {meta.tensor}: nothing computed yet: run the matching analysis.</p>}
      {!series && !error && <p className="muted">loading {panelLabel.toLowerCase()}…</p>}
      {fullOption && <Chart ref={chart} option={fullOption} height={300} ariaLabel={title} />}
    </div>
  );
}
