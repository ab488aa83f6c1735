// Lens & induction: what the model predicts over training (common/analyses/probes.ts).
//   Logit lens   block x checkpoint heatmap of lens_loss or lens_top1: each block's residual
//                stream through the final norm and the unembedding (embed = the embedding
//                output), i.e. when each depth becomes predictive.
//   Induction    one head x checkpoint heatmap per block of the induction score on the repeated
//                random-token probe, colour scale shared by all blocks.
//   Loss change  the probe predictions and sequences whose loss changed most between two
//                checkpoints (API tokenLossChange), with their tokens and context.
// The heatmaps are the Overview's panels (hover, arrow keys, PNG/SVG/CSV export).
import { useEffect, useMemo, useState } from 'react';
import type { Response, ScalarGrid } from '../../../common/api';
import { colourScaleFor, formatStep, formatValue, panelsFromGrid, splitHeadPanels, type SequentialScale } from '../../../common/charts';
import { TOKEN_LOSS_TOP_DEFAULT } from '../../../common/api';
import { metricLike } from '../components/MetricSelect';
import { errorMessage, useAppState } from '../context';
import { loadGrid } from '../grid-cache';
import type { RunContext } from '../run-context';
import { HeatmapPanelView, type Readout } from './overview/HeatmapPanel';

type LensMetric = 'lens_loss' | 'lens_top1';

function useGrid(ctx: RunContext, metric: string): { grid: ScalarGrid | null; error: string | null } {
  const { client } = useAppState();
  const [state, setState] = useState<{ grid: ScalarGrid | null; error: string | null }>({ grid: null, error: null });
  useEffect(() => {
    let live = true;
    loadGrid(client, ctx.runId, metric, ctx.dataVersion).then(
      (grid) => live && setState({ grid, error: null }),
      (e) => live && setState({ grid: null, error: errorMessage(e) }),
    );
    return () => {
      live = false;
    };
  }, [client, ctx.runId, metric, ctx.dataVersion]);
  return state;
}

export function Probes({ ctx }: { ctx: RunContext }) {
  const [lensMetric, setLensMetric] = useState<LensMetric>('lens_loss');
  const [palette] = useState<SequentialScale>('viridis');
  // The readout names what it reads (run, metric, block, step, unit): the lens and the induction
  // panels share it, so a bare "attn.0.head.0 · step 2.6k · 0.008" under "Logit lens" said neither.
  const [readout, setReadout] = useState<(Readout & { metric: { label: string; unit: string } }) | null>(null);
  const readLens = (r: Readout | null) => setReadout(r && { ...r, metric: metricLike(lensMetric) });
  const readInduction = (r: Readout | null) => setReadout(r && { ...r, metric: metricLike('induction_score') });
  const lens = useGrid(ctx, lensMetric);
  const induction = useGrid(ctx, 'induction_score');

  const lensPanel = useMemo(() => (lens.grid ? panelsFromGrid(lens.grid, ctx.run.name, metricLike(lensMetric)).find((p) => p.component === 'resid') ?? null : null), [lens.grid, ctx.run.name, lensMetric]);
  const headPanels = useMemo(() => (induction.grid ? splitHeadPanels(panelsFromGrid(induction.grid, ctx.run.name, metricLike('induction_score'))) : []), [induction.grid, ctx.run.name]);
  const headScale = useMemo(() => colourScaleFor(headPanels), [headPanels]);
  const none = <p className="notice warn">Not computed yet: run the “Activations” analysis above (it computes the logit lens, per-token losses and induction scores).</p>;

  return (
    <div className="probes">
      <section aria-labelledby="lens-title">
        <h3 id="lens-title">Logit lens</h3>
        <div className="controls" role="group" aria-label="Logit lens settings">
          <label htmlFor="lens-metric">Score</label>
          <select id="lens-metric" value={lensMetric} onChange={(e) => setLensMetric(e.target.value as LensMetric)} data-testid="lens-metric">
            <option value="lens_loss">loss (nats/token)</option>
            <option value="lens_top1">top-1 accuracy</option>
          </select>
          <span className="muted">each block's residual stream through the final norm and the unembedding, scored on the probe batch; embed = the embedding output, the last block = the model's loss</span>
        </div>
        <output className="readout" data-testid="probes-readout" data-tensor={readout?.tensor ?? ''} data-step={readout?.step ?? ''} data-value={readout?.value ?? ''}>
          {readout ? `${readout.runName} · ${readout.metric.label} · ${readout.component.endsWith(readout.block) ? readout.component : `${readout.component} · ${readout.block}`} (${readout.tensor}) · step ${formatStep(readout.step)} = ${formatValue(readout.value)}${readout.metric.unit ? ` ${readout.metric.unit}` : ''}` : ' '}
        </output>
        {lens.error && <p className="notice error">{lens.error}</p>}
        {lensPanel ? (
          <div className="panels" data-testid="lens-panel">
            <HeatmapPanelView panel={lensPanel} scale={colourScaleFor([lensPanel])} stepScale={ctx.stepScale} palette={palette} onReadout={readLens} />
          </div>
        ) : (
          lens.grid && none
        )}
      </section>
      <section aria-labelledby="induction-title">
        <h3 id="induction-title">Induction score per head</h3>
        <p className="muted">
          Mean attention from each token of a repeated random sequence (4 × 64 ids, each repeated twice) to the token that followed its first occurrence: near 1 for an induction head; uniform causal attention gives about 0.01.
        </p>
        {induction.error && <p className="notice error">{induction.error}</p>}
        {headPanels.length > 0 ? (
          <div className="panels induction-grid" data-testid="induction-panels">
            {headPanels.map((p) => (
              <HeatmapPanelView key={p.block} panel={p} scale={headScale} stepScale={ctx.stepScale} palette={palette} onReadout={readInduction} />
            ))}
          </div>
        ) : (
          induction.grid && none
        )}
      </section>
      <LossChange ctx={ctx} steps={lens.grid?.steps ?? []} />
    </div>
  );
}

function LossChange({ ctx, steps }: { ctx: RunContext; steps: number[] }) {
  const { client } = useAppState();
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [result, setResult] = useState<Response<'tokenLossChange'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const a = from ?? steps[0] ?? null;
  const b = to ?? steps[steps.length - 1] ?? null;
  useEffect(() => {
    if (a === null || b === null) return;
    let live = true;
    setError(null);
    client.api.tokenLossChange({ runId: ctx.runId, from: a, to: b, top: TOKEN_LOSS_TOP_DEFAULT }).then(
      (r) => live && setResult(r),
      (e) => live && (setResult(null), setError(errorMessage(e))),
    );
    return () => {
      live = false;
    };
  }, [client, ctx.runId, a, b, ctx.dataVersion]);
  if (steps.length === 0) return null;
  const stepSelect = (id: string, value: number, set: (v: number) => void) => (
    <select id={id} value={value} onChange={(e) => set(Number(e.target.value))} data-testid={id}>
      {steps.map((s) => (
        <option key={s} value={s}>
          step {formatStep(s)}
        </option>
      ))}
    </select>
  );
  const signed = (v: number) => `${v > 0 ? '+' : ''}${formatValue(v)}`;
  return (
    <section aria-labelledby="losschange-title" data-testid="loss-change">
      <h3 id="losschange-title">Per-token loss change</h3>
      <div className="controls" role="group" aria-label="Loss change settings">
        <label htmlFor="lc-from">From</label>
        {stepSelect('lc-from', a, setFrom)}
        <label htmlFor="lc-to">to</label>
        {stepSelect('lc-to', b, setTo)}
        {result && (
          <span className="muted" data-testid="lc-mean">
            mean probe loss {formatValue(result.meanFrom)} → {formatValue(result.meanTo)} nats/token ({result.batch} × {result.seqLen} tokens; CLI: checkpoint-atlas token-loss)
          </span>
        )}
      </div>
      {error && <p className="notice error">{error}</p>}
      {result && (
        <div className="loss-change">
          <div className="tablewrap">
            <table className="tokens" data-testid="lc-tokens" data-from={result.from.step} data-to={result.to.step}>
              <caption>
                {ctx.run.name}: the {result.tokens.length} predictions whose loss changed most, step {formatStep(result.from.step)} → {formatStep(result.to.step)} (nats)
              </caption>
              <thead>
                <tr>
                  <th scope="col">seq</th>
                  <th scope="col">pos</th>
                  <th scope="col">context → token</th>
                  <th scope="col">from</th>
                  <th scope="col">to</th>
                  <th scope="col">change</th>
                </tr>
              </thead>
              <tbody>
                {result.tokens.map((t) => (
                  <tr key={`${t.sequence}.${t.position}`}>
                    <td>{t.sequence}</td>
                    <td>{t.position}</td>
                    <td>
                      <span className="muted">{JSON.stringify(t.context).slice(1, -1)}</span> <b>{JSON.stringify(t.text).slice(1, -1)}</b>
                    </td>
                    <td className="num">{formatValue(t.from)}</td>
                    <td className="num">{formatValue(t.to)}</td>
                    <td className="num">{signed(t.delta)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="tablewrap">
            <table className="tokens" data-testid="lc-sequences">
              <caption>Sequences by change of their mean loss (nats/token)</caption>
              <thead>
                <tr>
                  <th scope="col">seq</th>
                  <th scope="col">text</th>
                  <th scope="col">from</th>
                  <th scope="col">to</th>
                  <th scope="col">change</th>
                </tr>
              </thead>
              <tbody>
                {result.sequences.map((s) => (
                  <tr key={s.sequence}>
                    <td>{s.sequence}</td>
                    <td className="seq-text">{s.text.length > 160 ? `${s.text.slice(0, 160)}…` : s.text}</td>
                    <td className="num">{formatValue(s.from)}</td>
                    <td className="num">{formatValue(s.to)}</td>
                    <td className="num">{signed(s.delta)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
