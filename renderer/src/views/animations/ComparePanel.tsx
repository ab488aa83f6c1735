// An animation panel of a comparison: every shown run's frames of one tensor in one chart on the
// shared timeline (common/charts/compare-frames.ts: histograms as overlaid density step lines,
// QQ points and spectra overlaid, one extent over every run's frames). The timeline is the union
// of the runs' steps; each run shows its frame at the step, or its latest one before it (the
// subtitle names the step each run is at). Ticks send only the series data, as FramePanel does.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FrameKind, FrameSeries, RunSummary, TensorMeta } from '../../../../common/api';
import { asHistogramFrame, asQqFrame, asSpectrumFrame, overlayExtent, overlayOption, overlayRunPart, overlaySubtitle, runStyles, type ChartOption, type OverlayKind, type OverlayRun, type QqFamily } from '../../../../common/charts';
import { flatOverlayUpdate } from '../../../../common/charts/flat-points';
import { Chart, type ChartHandle } from '../../components/Chart';
import { ExportMenu, type ExportFormat } from '../../components/ExportMenu';
import { errorMessage, useAppState } from '../../context';
import { loadFrames } from '../../frames-cache';
import { framesOnTimeline } from '../../../../common/charts/compare-timeline';
import { activationLabel, EXPORT_VIEW, GIF_SIZE, PANEL_LABEL, type PanelKind } from './panels';

type ChartKind = Exclude<PanelKind, 'embedding_correlation'>;

interface Loaded {
  run: RunSummary;
  series: FrameSeries | null;
  error: string | null;
}

/** Every shown run's frames of one kind and tensor. */
function useRunsFrames(runs: readonly RunSummary[], kind: FrameKind, tensor: string, dataVersion: number): Loaded[] {
  const { client } = useAppState();
  const [loaded, setLoaded] = useState<Loaded[]>([]);
  const key = runs.map((r) => r.id).join(',');
  useEffect(() => {
    let live = true;
    setLoaded([]);
    Promise.all(
      runs.map((run) =>
        loadFrames(client, run.id, kind, tensor, dataVersion).then(
          (series) => ({ run, series, error: null }),
          (e) => ({ run, series: null, error: errorMessage(e) }),
        ),
      ),
    ).then((l) => live && setLoaded(l));
    return () => {
      live = false;
    };
  }, [client, key, kind, tensor, dataVersion]);
  return loaded;
}

/** The view's rule for a run's frame at a timeline position (the exporter's too): common/charts/compare-timeline.ts. */
export { framesOnTimeline } from '../../../../common/charts/compare-timeline';

/**
 * The on-screen option: the QQ overlay's quantiles (8 runs x 200 points) drawn in echarts' large
 * mode, one path per run instead of one element per point, which cut a tick's script from ~35 to
 * ~25 ms with 8 runs (bench/compare-ui.mjs). Markers keep their 3 px size; under 4 px echarts fills
 * them as squares, the same footprint on screen. Exports keep common/charts' option as it is.
 */
function onScreen(option: ChartOption): ChartOption {
  return { ...option, series: (option.series as Array<Record<string, unknown>>).map((s) => (s.type === 'scatter' ? { ...s, large: true, largeThreshold: 100 } : s)) };
}

export function CompareFramePanel({ runs, kind, meta, steps, xOf, byTokens = false, index, settings, dataVersion }: {
  runs: RunSummary[];
  kind: ChartKind;
  meta: TensorMeta;
  /** Timeline positions (steps or tokens seen) and each run's step -> position. */
  steps: number[];
  xOf: ReadonlyMap<string, (step: number) => number>;
  /** The positions are tokens seen: subtitles name each run's tokens, exports align by tokens. */
  byTokens?: boolean;
  index: number;
  settings: { yLog?: boolean; family?: QqFamily };
  dataVersion: number;
}) {
  const loaded = useRunsFrames(runs, kind, meta.tensor, dataVersion);
  // Each run's own colour (its stored slot through runStyles, as the exporter computes it).
  const styles = useMemo(() => runStyles(runs), [runs]);
  const chart = useRef<ChartHandle>(null);
  const overlay: OverlayKind = kind === 'qq' ? 'qq' : kind === 'spectrum' ? 'spectrum' : 'histogram';
  const unit = kind === 'grad_histogram' ? '∂loss/∂w' : kind === 'qq' ? 'σ' : kind === 'spectrum' ? '' : 'value';
  const panelLabel = kind === 'resid_histogram' ? activationLabel(meta) : PANEL_LABEL[kind];

  const parsed = useMemo(() => {
    try {
      const parse = overlay === 'qq' ? asQqFrame : overlay === 'spectrum' ? asSpectrumFrame : asHistogramFrame;
      const perRun = loaded.map((l) => {
        const frames = l.series ? l.series.frames.map((f) => parse(f) as unknown) : [];
        const x = xOf.get(l.run.id) ?? ((v: number) => v);
        const at = l.series ? framesOnTimeline(steps, l.series.steps.map(x), frames.map((f) => f !== null)) : steps.map(() => -1);
        return { ...l, frames, at };
      });
      return { perRun, extent: overlayExtent(overlay, perRun.flatMap((r) => r.frames), settings.family), error: null as string | null };
    } catch (e) {
      return { perRun: [], extent: {}, error: errorMessage(e) };
    }
  }, [loaded, steps, xOf, overlay, settings.family]);

  const runsAt = (i: number): Array<OverlayRun<unknown>> =>
    parsed.perRun.map((r) => {
      const f = r.at[i] ?? -1;
      const s = r.series;
      const step = f >= 0 && s ? (s.steps[f] ?? null) : null;
      return {
        ...(byTokens ? { tokens: step === null ? null : (xOf.get(r.run.id)?.(step) ?? null) } : {}),
        runName: r.run.name,
        colour: styles.get(r.run.id)?.colour ?? '#000000',
        frame: f >= 0 ? r.frames[f] : null,
        label: f >= 0 && s ? { runName: r.run.name, tensor: meta.tensor, component: meta.component, block: meta.block, step: s.steps[f] ?? null, checkpointId: s.checkpointIds[f] ?? '', unit } : null,
      };
    });
  // On screen each run's colour, step and tokens are listed above the chart (RunLines, beside the
  // Export menu), wrapping with the panel: in the canvas subtitle three runs by tokens ran past
  // the panel's right edge. The chart's subtitle keeps what the runs share.
  const overlaySettings = { kind: overlay, extent: parsed.extent, yLog: settings.yLog, family: settings.family, titlePrefix: panelLabel, xName: kind === 'grad_histogram' ? 'gradient' : kind === 'resid_histogram' ? 'activation' : 'weight', runsInSubtitle: false };
  const anyFrame = parsed.perRun.some((r) => r.frames.some((f) => f !== null));
  const fullOption = useMemo<ChartOption | null>(
    () => (anyFrame ? onScreen(overlayOption(runsAt(index), meta.tensor, overlaySettings)) : null),
    // Rebuilt on new data or settings only; ticks update the series below.
    [parsed, anyFrame, settings.yLog, settings.family, meta.tensor, byTokens],
  );
  useEffect(() => {
    if (!fullOption) return;
    // overlayUpdate's points as flat typed arrays (common/charts/flat-points.ts): echarts neither
    // clones them point by point nor runs its per-item option pass, the bulk of a tick's script.
    chart.current?.update(flatOverlayUpdate(runsAt(index), overlaySettings));
  }, [index, fullOption]);

  // Stills are asked at the timeline's position (a step, or tokens seen with align "tokens"): the
  // engine picks every run's frame there by the same rule (common/charts/compare-timeline.ts).
  const step = steps[index];
  const figure = kind === 'histogram' || kind === 'qq' || kind === 'spectrum';
  const formats: ExportFormat[] = figure && step !== undefined ? ['gif', 'png', 'svg'] : ['gif'];
  const title = `${panelLabel} of ${meta.tensor}, ${runs.length} runs`;
  return (
    <div className="panel anim" data-testid={`anim-${kind}`} data-runs={runs.length} data-step={steps[index] ?? ''} data-frame-label={anyFrame ? overlaySubtitle(runsAt(index)) : ''}>
      <div className="panelbar">
        {fullOption && <RunLines runs={runsAt(index)} />}
        <ExportMenu
          formats={formats}
          request={anyFrame ? { runId: runs[0].id, compare: runs.slice(1).map((r) => r.id), ...(byTokens ? { align: 'tokens' as const } : {}), view: EXPORT_VIEW[kind], tensor: meta.tensor, ...GIF_SIZE, ...(kind === 'qq' ? { family: settings.family ?? 'gaussian' } : {}), ...(settings.yLog !== undefined && kind !== 'qq' && kind !== 'spectrum' ? { yLog: settings.yLog } : {}) } : null}
          extra={byTokens ? { png: { tokens: step }, svg: { tokens: step } } : { png: { step }, svg: { step } }}
          what={title}
          testId={`export-${kind}`}
        />
      </div>
      {loaded.map((l) => l.error && <p key={l.run.id} className="notice warn">{l.run.name}: {l.error}</p>)}
      {parsed.error && <p className="notice error">{parsed.error}</p>}
      {loaded.length === 0 && <p className="muted">loading {panelLabel.toLowerCase()} of {runs.length} runs…</p>}
      {loaded.length > 0 && !anyFrame && <p className="notice warn">{panelLabel} of {meta.tensor}: nothing computed yet in any shown run: run the matching analysis.</p>}
      {fullOption && <Chart ref={chart} option={fullOption} height={300} ariaLabel={title} />}
    </div>
  );
}

/** The overlay's legend: each run in its colour with the step (and tokens) its frame is from. */
function RunLines({ runs }: { runs: ReadonlyArray<OverlayRun<unknown>> }) {
  return (
    <ul className="overlay-runs" data-testid="overlay-runs" aria-label="Runs, each at the step its frame is from">
      {runs.map((r, i) => (
        <li key={i} data-testid="overlay-run">
          <span className="swatch" style={{ background: r.colour }} aria-hidden="true" />
          <span>{overlayRunPart(r)}</span>
        </li>
      ))}
    </ul>
  );
}
