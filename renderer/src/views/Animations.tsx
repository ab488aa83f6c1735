// Animations: histogram, QQ and spectrum of a chosen weight tensor, its gradient histogram, the
// residual-stream histogram of a chosen block and the embedding correlation matrix, all driven by
// ONE timeline. Frames are fetched once and played from memory: a tick sends only the changed
// series data to echarts (setOption merge, lazyUpdate); the 256x256 correlation matrix is painted
// as pixels (putImageData), which keeps 30+ fps where 65,536 chart rectangles would not.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { TensorMeta } from '../../../common/api';
import { QQ_FAMILY_LABEL, type QqFamily } from '../../../common/charts';
import { Timeline } from '../components/Timeline';
import { replaceRouteParams } from '../routes';
import type { RunContext } from '../run-context';
import { CorrelationPanel } from './animations/CorrelationPanel';
import { CompareCorrelation } from './animations/CompareCorrelation';
import { FramePanel, type PanelSettings } from './animations/FramePanel';
import { CompareFramePanel } from './animations/ComparePanel';
import { useSharedTimeline } from './animations/timeline';
import { isActivation, isParameter, PANEL_LABEL, type PanelKind } from './animations/panels';
import { XAxisSelect, checkpointLabels } from './x-axis';
import { ScheduleStrip, ScheduleToggle, useScheduleToggle } from '../components/ScheduleStrip';
import { tokensOfSteps } from '../../../common/charts/step-axis';

export function Animations({ ctx }: { ctx: RunContext }) {
  const checkpoints = useMemo(
    () => ctx.run.checkpoints.filter((c) => !c.missing).sort((a, b) => (a.step ?? 0) - (b.step ?? 0)),
    [ctx.run],
  );
  const labels = useMemo(() => checkpointLabels(ctx.xUnit, ctx.run.checkpoints, checkpoints), [checkpoints, ctx.xUnit, ctx.run]);
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
  }, []);
  const [tensor, setTensor] = useState<string>('');
  const [resid, setResid] = useState<string>('');
  const [index, setIndex] = useState(() => Math.max(0, checkpoints.findIndex((c) => c.id === initialCheckpoint)));
  const [shown, setShown] = useState<PanelKind[]>(['histogram', 'qq', 'spectrum', 'embedding_correlation']);
  const [family, setFamily] = useState<QqFamily>('student_t');
  const [yLog, setYLog] = useState(() => ctx.params.get('ylog') === '1');
  const [reorder, setReorder] = useState(false);
  const [showSchedule, setShowSchedule] = useScheduleToggle(ctx);
  const [xLinear, setXLinear] = useState(() => ctx.params.get('x') === 'linear');

  useEffect(() => {
    if (tensor && params.some((t) => t.tensor === tensor)) return;
    const pick = params.find((t) => t.tensor === initialTensor) ?? params.find((t) => t.component === 'mlp.in' && t.kind === 'weight') ?? params[0];
    if (pick) setTensor(pick.tensor);
    if (initialTensor && activations.some((t) => t.tensor === initialTensor)) {
      setResid(initialTensor);
      setShown((s) => (s.includes('resid_histogram') ? s : [...s, 'resid_histogram']));
    }
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
        <XAxisSelect ctx={ctx} available={tokensOfSteps(ctx.run.checkpoints) !== null} id="an-x" />
        <ScheduleToggle on={showSchedule} setOn={setShowSchedule} />
      </div>
    ),
    [tensor, resid, shown, family, yLog, xLinear, reorder, params, activations, ctx.xUnit, ctx.run, showSchedule],
  );

  // A comparison: every shown run in one chart per panel, on the union of their steps.
  const shared = useSharedTimeline(ctx);
  const count = shared ? shared.steps.length : checkpoints.length;
  const at = Math.min(index, Math.max(0, count - 1));
  const chartPanel = (kind: Exclude<PanelKind, 'embedding_correlation'>, m: TensorMeta, settings: PanelSettings) =>
    shared ? (
      <CompareFramePanel runs={ctx.runs} kind={kind} meta={m} steps={shared.steps} xOf={shared.xOf} byTokens={shared.byTokens} index={at} settings={settings} dataVersion={ctx.dataVersion} />
    ) : (
      <FramePanel ctx={ctx} kind={kind} meta={m} index={at} checkpointIds={checkpointIds} settings={settings} />
    );
  return (
    <div className="animations">
      {controls}
      <Timeline count={count} index={at} onIndex={onIndex} labels={shared ? shared.labels : labels} />
      <div className="animgrid">
        {meta && shown.includes('histogram') && chartPanel('histogram', meta, { yLog })}
        {meta && shown.includes('qq') && chartPanel('qq', meta, { family })}
        {meta && shown.includes('spectrum') && (is2d ? chartPanel('spectrum', meta, {}) : <div className="panel missing">Spectrum: {meta.tensor} is not a matrix.</div>)}
        {meta && shown.includes('grad_histogram') && chartPanel('grad_histogram', meta, { yLog, xLinear })}
        {shown.includes('resid_histogram') && (residMeta ? chartPanel('resid_histogram', residMeta, { yLog, xLinear }) : <div className="panel missing">Residual stream: run the activations analysis first.</div>)}
        {shown.includes('embedding_correlation') && shared && embeds[0] ? (
          <CompareCorrelation ctx={ctx} meta={embeds[0]} shared={shared} index={at} reorder={reorder} />
        ) : shown.includes('embedding_correlation') && (embeds[0] ? <CorrelationPanel ctx={ctx} meta={embeds[0]} index={shared ? Math.max(0, checkpoints.findIndex((c) => c.step !== null && shared.xOf.get(ctx.runId)!(c.step) === shared.steps[at])) : at} checkpointIds={checkpointIds} reorder={reorder} /> : <div className="panel missing">No input embedding in this run.</div>)}
      </div>
      {showSchedule && <ScheduleStrip ctx={ctx} runId={ctx.runId} cursorStep={shared ? null : (checkpoints[at]?.step ?? null)} />}
    </div>
  );
}
