// Animations: histogram, QQ and spectrum of a chosen weight tensor, its gradient histogram, the
// residual-stream histogram of a chosen block and the embedding correlation matrix, all driven by
// ONE timeline. Frames are fetched once and played from memory: a tick sends only the changed
// series data to echarts (setOption merge, lazyUpdate); the 256x256 correlation matrix is painted
// as pixels (putImageData), which keeps 30+ fps where 65,536 chart rectangles would not.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FrameKind, FrameSeries, TensorMeta } from '../../../common/api';
import {
  GIF_DEFAULT_SIZE,
  isSignedLogEdges,
  linearRange,
  toLinearBins,
  type HistogramFrame,
  asCorrelationFrame,
  asHistogramFrame,
  asQqFrame,
  asSpectrumFrame,
  clusterOrder,
  correlationPixels,
  correlationSize,
  correlationAt,
  formatStep,
  formatValue,
  frameSubtitle,
  histogramOption,
  histogramUpdate,
  histogramYMax,
  qqExtent,
  qqOption,
  qqUpdate,
  spectrumExtent,
  spectrumOption,
  spectrumUpdate,
  QQ_FAMILY_LABEL,
  type ChartOption,
  type CorrelationFrame,
  type FrameLabel,
  type QqFamily,
} from '../../../common/charts';
import { BLUE_ORANGE } from '../../../common/charts/palette';
import { Chart, type ChartHandle } from '../components/Chart';
import { ExportMenu, type ExportFormat, type ExportRequest } from '../components/ExportMenu';
import { Timeline } from '../components/Timeline';
import { errorMessage, useAppState } from '../context';
import { loadFrames } from '../frames-cache';
import { replaceRouteParams } from '../routes';
import type { RunContext } from '../run-context';

type PanelKind = 'histogram' | 'qq' | 'spectrum' | 'grad_histogram' | 'resid_histogram' | 'embedding_correlation';
const PANEL_LABEL: Record<PanelKind, string> = {
  histogram: 'Weight histogram',
  qq: 'QQ plot',
  spectrum: 'Spectrum',
  grad_histogram: 'Gradient histogram',
  resid_histogram: 'Activation histogram',
  embedding_correlation: 'Embedding correlation',
};

/** The engine's export view (renderExport) of each animation panel. */
const EXPORT_VIEW: Record<PanelKind, ExportRequest['view']> = {
  histogram: 'histogram',
  qq: 'qq',
  spectrum: 'spectrum',
  grad_histogram: 'gradients',
  resid_histogram: 'activations',
  embedding_correlation: 'correlation',
};
/** Animated GIF size: the app's panel proportions. */
const GIF_SIZE = GIF_DEFAULT_SIZE;

/** Forward-pass activations: the residual stream (resid.i, final_norm) and MLP hidden activations (mlp.i, component mlp.act). */
const isActivation = (t: TensorMeta) => t.kind === 'activation' || t.component === 'resid' || t.component === 'mlp.act' || /^(resid|mlp)\.\d+$/.test(t.tensor) || t.tensor === 'final_norm';
/** What an activation histogram is of. */
const activationLabel = (t: TensorMeta | null) => (t?.component === 'mlp.act' ? 'MLP hidden activation histogram' : 'Residual stream histogram');
const isParameter = (t: TensorMeta) => !isActivation(t) && t.tensor !== 'probe' && (t.kind === 'weight' || t.kind === 'bias' || t.kind === 'other');

export function Animations({ ctx }: { ctx: RunContext }) {
  const checkpoints = useMemo(
    () => ctx.run.checkpoints.filter((c) => !c.missing).sort((a, b) => (a.step ?? 0) - (b.step ?? 0)),
    [ctx.run],
  );
  const labels = useMemo(() => checkpoints.map((c) => (c.step === null ? c.label : `step ${formatStep(c.step)} (${c.id})`)), [checkpoints]);
  const params = useMemo(() => ctx.tensors.filter(isParameter), [ctx.tensors]);
  const activations = useMemo(() => ctx.tensors.filter(isActivation), [ctx.tensors]);
  const embeds = useMemo(() => params.filter((t) => t.component === 'embed' && t.kind === 'weight'), [params]);
  const checkpointIds = useMemo(() => checkpoints.map((c) => c.id), [checkpoints]);

  const initialTensor = ctx.params.get('tensor');
  const initialCheckpoint = ctx.params.get('checkpoint');
  // Opened from a heatmap cell by Enter: the cell's panel is gone, so focus would fall to the
  // page body; put it on the timeline, where the keyboard reader continues.
  useEffect(() => {
    if (!initialCheckpoint) return;
    let tries = 0;
    let raf = 0;
    const focus = () => {
      if (document.activeElement && document.activeElement !== document.body) return;
      const el = document.querySelector<HTMLElement>('[data-testid=timeline-slider]');
      if (el) el.focus();
      else if (tries++ < 300) raf = requestAnimationFrame(focus);
    };
    raf = requestAnimationFrame(focus);
    return () => cancelAnimationFrame(raf);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const [tensor, setTensor] = useState<string>('');
  const [resid, setResid] = useState<string>('');
  const [index, setIndex] = useState(() => Math.max(0, checkpoints.findIndex((c) => c.id === initialCheckpoint)));
  const [shown, setShown] = useState<PanelKind[]>(['histogram', 'qq', 'spectrum', 'embedding_correlation']);
  const [family, setFamily] = useState<QqFamily>('student_t');
  const [yLog, setYLog] = useState(() => ctx.params.get('ylog') === '1');
  const [reorder, setReorder] = useState(false);
  const [xLinear, setXLinear] = useState(() => ctx.params.get('x') === 'linear');

  useEffect(() => {
    if (tensor && params.some((t) => t.tensor === tensor)) return;
    const pick = params.find((t) => t.tensor === initialTensor) ?? params.find((t) => t.component === 'mlp.in' && t.kind === 'weight') ?? params[0];
    if (pick) setTensor(pick.tensor);
    if (initialTensor && activations.some((t) => t.tensor === initialTensor)) {
      setResid(initialTensor);
      setShown((s) => (s.includes('resid_histogram') ? s : [...s, 'resid_histogram']));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ctx.tensors]);
  useEffect(() => {
    if (resid || !activations[0]) return;
    setResid(activations.some((t) => t.tensor === initialTensor) ? initialTensor! : activations[0].tensor);
  }, [activations, resid, initialTensor]);

  // Deep link: the tensor, the checkpoint on the timeline and log counts go into the address
  // (debounced: the timeline moves up to 50 times a second while playing).
  useEffect(() => {
    if (!tensor) return;
    const t = setTimeout(() => replaceRouteParams({ tensor, checkpoint: checkpointIds[index] ?? null, ylog: yLog ? '1' : null }), 300);
    return () => clearTimeout(t);
  }, [tensor, index, checkpointIds, yLog]);

  const meta = params.find((t) => t.tensor === tensor) ?? null;
  const residMeta = activations.find((t) => t.tensor === resid) ?? null;
  const onIndex = useCallback((i: number) => setIndex(i), []);
  const is2d = (meta?.shape?.length ?? 2) === 2;

  // The settings bar does not depend on the frame index: kept out of the per-tick re-render.
  const controls = useMemo(
    () => (
      <div className="controls" role="group" aria-label="Animation settings">
        <label htmlFor="an-tensor">Tensor</label>
        <select id="an-tensor" value={tensor} onChange={(e) => setTensor(e.target.value)} data-testid="tensor-select">
          {params.map((t) => (
            <option key={t.tensor} value={t.tensor}>
              {t.tensor} ({t.component}, {t.block ?? '–'})
            </option>
          ))}
        </select>
        {activations.length > 0 && (
          <>
            <label htmlFor="an-resid">Activations</label>
            <select id="an-resid" value={resid} onChange={(e) => setResid(e.target.value)}>
              {activations.map((t) => (
                <option key={t.tensor} value={t.tensor}>
                  {t.tensor} ({t.component === 'mlp.act' ? 'MLP hidden' : 'residual'}, {t.block ?? '–'})
                </option>
              ))}
            </select>
          </>
        )}
        <fieldset className="inline">
          <legend>Show</legend>
          {(Object.keys(PANEL_LABEL) as PanelKind[]).map((k) => (
            <label key={k} className="check">
              <input type="checkbox" checked={shown.includes(k)} onChange={(e) => setShown(e.target.checked ? [...shown, k] : shown.filter((x) => x !== k))} />
              {PANEL_LABEL[k]}
            </label>
          ))}
        </fieldset>
        <label htmlFor="an-family">QQ vs</label>
        <select id="an-family" value={family} onChange={(e) => setFamily(e.target.value as QqFamily)}>
          {(Object.keys(QQ_FAMILY_LABEL) as QqFamily[]).map((f) => (
            <option key={f} value={f}>
              {QQ_FAMILY_LABEL[f]}
            </option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" checked={yLog} onChange={(e) => setYLog(e.target.checked)} /> log counts
        </label>
        {(shown.includes('grad_histogram') || shown.includes('resid_histogram')) && (
          <>
            <label htmlFor="an-xscale" title="Activation and gradient histograms are binned on a signed-log scale (decades either side of 0); linear spreads each bin evenly">
              activation/gradient x
            </label>
            <select id="an-xscale" value={xLinear ? 'linear' : 'signed-log'} onChange={(e) => setXLinear(e.target.value === 'linear')} data-testid="x-scale">
              <option value="signed-log">signed log</option>
              <option value="linear">linear</option>
            </select>
          </>
        )}
        <label className="check">
          <input type="checkbox" checked={reorder} onChange={(e) => setReorder(e.target.checked)} data-testid="reorder" /> cluster rows
        </label>
      </div>
    ),
    [tensor, resid, shown, family, yLog, xLinear, reorder, params, activations],
  );

  return (
    <div className="animations">
      {controls}
      <Timeline count={checkpoints.length} index={Math.min(index, Math.max(0, checkpoints.length - 1))} onIndex={onIndex} labels={labels} />
      <div className="animgrid">
        {meta && shown.includes('histogram') && <FramePanel ctx={ctx} kind="histogram" meta={meta} index={index} checkpointIds={checkpointIds} settings={{ yLog }} />}
        {meta && shown.includes('qq') && <FramePanel ctx={ctx} kind="qq" meta={meta} index={index} checkpointIds={checkpointIds} settings={{ family }} />}
        {meta && shown.includes('spectrum') && (is2d ? <FramePanel ctx={ctx} kind="spectrum" meta={meta} index={index} checkpointIds={checkpointIds} settings={{}} /> : <div className="panel missing">Spectrum: {meta.tensor} is not a matrix.</div>)}
        {meta && shown.includes('grad_histogram') && <FramePanel ctx={ctx} kind="grad_histogram" meta={meta} index={index} checkpointIds={checkpointIds} settings={{ yLog, xLinear }} />}
        {shown.includes('resid_histogram') && (residMeta ? <FramePanel ctx={ctx} kind="resid_histogram" meta={residMeta} index={index} checkpointIds={checkpointIds} settings={{ yLog, xLinear }} /> : <div className="panel missing">Residual stream: run the activations analysis first.</div>)}
        {shown.includes('embedding_correlation') && (embeds[0] ? <CorrelationPanel ctx={ctx} meta={embeds[0]} index={index} checkpointIds={checkpointIds} reorder={reorder} /> : <div className="panel missing">No input embedding in this run.</div>)}
      </div>
    </div>
  );
}

function useFrames(ctx: RunContext, kind: FrameKind, tensor: string) {
  const { client } = useAppState();
  const [series, setSeries] = useState<FrameSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setSeries(null);
    setError(null);
    loadFrames(client, ctx.runId, kind, tensor, ctx.dataVersion).then(
      (s) => live && setSeries(s),
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [client, ctx.runId, kind, tensor, ctx.dataVersion]);
  return { series, error };
}

function frameLabel(ctx: RunContext, meta: TensorMeta, series: FrameSeries, i: number, unit: string): FrameLabel {
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

interface PanelSettings {
  yLog?: boolean;
  family?: QqFamily;
  /** Activation/gradient histograms: redraw their signed-log bins on a linear axis. */
  xLinear?: boolean;
}

/** One echarts animation panel; the full option is built once per series/settings, ticks only update data. */
function FramePanel({ ctx, kind, meta, index, checkpointIds, settings }: { ctx: RunContext; kind: Exclude<PanelKind, 'embedding_correlation'>; meta: TensorMeta; index: number; checkpointIds: string[]; settings: PanelSettings }) {
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
    // eslint-disable-next-line react-hooks/exhaustive-deps
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
    const update =
      kind === 'qq' ? qqUpdate(f as never, label, { family: settings.family ?? 'gaussian' }) : kind === 'spectrum' ? spectrumUpdate(f as never, label) : histogramUpdate(f as never, label, { yLog: settings.yLog ?? false });
    chart.current?.update(update);
    // eslint-disable-next-line react-hooks/exhaustive-deps
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
        <ExportMenu formats={formats} request={exportRequest} extra={{ png: { step: shownStep }, svg: { step: shownStep } }} what={title} testId={`export-${kind}`} />
      </div>
      {error && <p className="notice warn">{panelLabel}: {error}</p>}
      {parsed?.error && <p className="notice error">{parsed.error}</p>}
      {series && firstFrame < 0 && <p className="notice warn">{panelLabel} of {meta.tensor}: nothing computed yet: run the matching analysis.</p>}
      {!series && !error && <p className="muted">loading {panelLabel.toLowerCase()}…</p>}
      {fullOption && <Chart ref={chart} option={fullOption} height={300} ariaLabel={title} />}
    </div>
  );
}

/** The correlation matrix painted as pixels, one putImageData per frame; hover reads r exactly. */
function CorrelationPanel({ ctx, meta, index, checkpointIds, reorder }: { ctx: RunContext; meta: TensorMeta; index: number; checkpointIds: string[]; reorder: boolean }) {
  const { series, error } = useFrames(ctx, 'embedding_correlation', meta.tensor);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string | null>(null);
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null);
  const parsed = useMemo(() => {
    if (!series) return null;
    try {
      const frames = series.frames.map((f) => asCorrelationFrame(f));
      return { frames, byCheckpoint: new Map(series.checkpointIds.map((id, i) => [id, i])), error: null as string | null };
    } catch (e) {
      return { frames: [] as Array<CorrelationFrame | null>, byCheckpoint: new Map<string, number>(), error: errorMessage(e) };
    }
  }, [series]);
  // One order for every frame (from the last computed frame) so the animation does not reshuffle.
  const order = useMemo(() => {
    if (!reorder || !parsed) return undefined;
    const last = [...parsed.frames].reverse().find((f) => f !== null);
    return last ? (last.order ?? clusterOrder(last.matrix)) : undefined;
  }, [reorder, parsed]);
  const pixels = useRef(new Map<string, ImageData>());
  useEffect(() => {
    pixels.current.clear();
    if (!parsed) return;
    // Paint every frame's pixels in the background (8 ms slices) so playback only blits.
    let cancelled = false;
    let i = 0;
    const slice = () => {
      const t0 = performance.now();
      while (i < parsed.frames.length && performance.now() - t0 < 8) {
        const f = parsed.frames[i];
        if (f && !pixels.current.has(String(i))) {
          const size = correlationSize(f.matrix);
          pixels.current.set(String(i), new ImageData(correlationPixels(f, order) as Uint8ClampedArray<ArrayBuffer>, size, size));
        }
        i++;
      }
      if (!cancelled && i < parsed.frames.length) setTimeout(slice, 0);
    };
    const timer = setTimeout(slice, 0);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [parsed, order]);

  const frameIndex = parsed?.byCheckpoint.get(checkpointIds[index] ?? '') ?? -1;
  const frame = frameIndex >= 0 ? (parsed?.frames[frameIndex] ?? null) : null;
  const n = frame ? correlationSize(frame.matrix) : 0;

  useEffect(() => {
    const el = canvas.current;
    if (!el || !frame) return;
    if (el.width !== n) {
      el.width = n;
      el.height = n;
    }
    const key = `${frameIndex}`;
    let img = pixels.current.get(key);
    if (!img) {
      img = new ImageData(correlationPixels(frame, order) as Uint8ClampedArray<ArrayBuffer>, n, n);
      pixels.current.set(key, img);
    }
    el.getContext('2d')!.putImageData(img, 0, 0);
  }, [frame, frameIndex, n, order]);

  const label = series && frame ? frameLabel(ctx, meta, series, frameIndex, 'Pearson r') : null;
  /** Token ids and r of the cell at display position (x column, y row), through the row order. */
  const cellAt = (x: number, y: number) => {
    const rx = order ? order[x]! : x;
    const ry = order ? order[y]! : y;
    return { i: frame!.rows[0] + ry, j: frame!.rows[0] + rx, r: correlationAt(frame!.matrix, n, ry, rx) };
  };
  const describe = (c: { i: number; j: number; r: number }) => `token ${c.i} × token ${c.j}: r = ${formatValue(c.r)}`;
  const onMove = (e: React.MouseEvent<HTMLCanvasElement>) => {
    if (!frame) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const x = Math.floor(((e.clientX - rect.left) / rect.width) * n);
    const y = Math.floor(((e.clientY - rect.top) / rect.height) * n);
    if (x < 0 || y < 0 || x >= n || y >= n) return;
    setHover(describe(cellAt(x, y)));
  };
  // Keyboard reading (the Overview heatmaps' pattern): arrows move a cell cursor (Shift: 10
  // cells), Home/End jump to the row's ends; the readout names both tokens and r.
  const onKey = (e: React.KeyboardEvent<HTMLCanvasElement>) => {
    if (!frame || n === 0) return;
    const stride = e.shiftKey ? 10 : 1;
    const moves: Record<string, [number, number]> = { ArrowUp: [0, -stride], ArrowDown: [0, stride], ArrowLeft: [-stride, 0], ArrowRight: [stride, 0] };
    const at = cursor ?? { x: 0, y: 0 };
    let next: { x: number; y: number } | null = null;
    if (moves[e.key]) next = { x: at.x + moves[e.key]![0], y: at.y + moves[e.key]![1] };
    else if (e.key === 'Home') next = { x: 0, y: at.y };
    else if (e.key === 'End') next = { x: n - 1, y: at.y };
    else if (e.key === 'Escape') setCursor(null);
    if (!next) return;
    e.preventDefault();
    e.stopPropagation();
    setCursor({ x: Math.max(0, Math.min(n - 1, next.x)), y: Math.max(0, Math.min(n - 1, next.y)) });
  };
  const cursorCell = frame && cursor && cursor.x < n && cursor.y < n ? cellAt(cursor.x, cursor.y) : null;
  const gradient = `linear-gradient(to top, ${BLUE_ORANGE.join(', ')})`;
  return (
    <div className="panel anim corr" data-testid="anim-embedding_correlation">
      <div className="panelbar">
        <ExportMenu
          formats={frame && series ? ['gif', 'png', 'svg'] : ['gif']}
          request={series && parsed?.frames.some((f) => f !== null) ? { runId: ctx.runId, view: 'correlation', tensor: meta.tensor, reorder, ...GIF_SIZE } : null}
          extra={{ png: { step: series?.steps[frameIndex] }, svg: { step: series?.steps[frameIndex] } }}
          what={`embedding correlation of ${meta.tensor}`}
          testId="export-embedding_correlation"
        />
      </div>
      {error && <p className="notice warn">Embedding correlation: {error}</p>}
      {parsed?.error && <p className="notice error">{parsed.error}</p>}
      {!series && !error && <p className="muted">loading embedding correlation…</p>}
      {series && !frame && <p className="notice warn">Embedding correlation: not computed at {checkpointIds[index]}: run the embedding analysis.</p>}
      {frame && label && (
        <>
          <div className="paneltitle">
            <b>
              Embedding row correlation · rows {frame.rows[0]}–{frame.rows[1] - 1}
              {order ? ' (clustered order)' : ''}
            </b>
            <div className="sub">{frameSubtitle(label)}</div>
          </div>
          <div className="corrbody">
            <div className="corrwrap">
              <canvas
                ref={canvas}
                className="corrcanvas"
                role="img"
                tabIndex={0}
                data-testid="corr-canvas"
                aria-label={`Correlation matrix of embedding rows ${frame.rows[0]}–${frame.rows[1] - 1} at ${label.checkpointId}: ${n} by ${n}. Arrow keys move a cell cursor and read r.`}
                onMouseMove={onMove}
                onMouseLeave={() => setHover(null)}
                onKeyDown={onKey}
                onFocus={() => setCursor((c) => c ?? { x: 0, y: 0 })}
              />
              {cursor && cursorCell && (
                <div className="corrcursor" aria-hidden="true" style={{ left: `${(cursor.x / n) * 100}%`, top: `${(cursor.y / n) * 100}%`, width: `${100 / n}%`, height: `${100 / n}%` }} />
              )}
            </div>
            <div className="colourbar" aria-hidden="true">
              <span>+1</span>
              <div style={{ background: gradient }} />
              <span>−1</span>
            </div>
          </div>
          <output
            className="sub corrreadout"
            data-testid="corr-readout"
            data-token-i={cursorCell ? String(cursorCell.i) : ''}
            data-token-j={cursorCell ? String(cursorCell.j) : ''}
            data-r={cursorCell ? String(cursorCell.r) : ''}
            aria-live="polite"
          >
            {hover ?? (cursorCell ? describe(cursorCell) : 'hover the matrix, or focus it and use the arrow keys, to read r')}
          </output>
        </>
      )}
    </div>
  );
}
