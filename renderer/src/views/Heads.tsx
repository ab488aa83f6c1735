// Per-head spectra against a random-matrix reference: a heads x checkpoints heatmap of one head
// metric (s_max / shuffled by default) for a block, and for the chosen head matrix its spectrum
// beside the shuffled entries' and the Marchenko-Pastur bulk, with the power-law QQ plot of its
// eigenvalue tail, scrubbed over checkpoints (common/charts/head-spectra.ts).
import { useEffect, useMemo, useState } from 'react';
import type { FrameSeries, ScalarGrid } from '../../../common/api';
import { headSpectra, headTensor, parseHeadTensor, QKV_PARTS, type HeadSpectrumFrame, type QkvPart } from '../../../common/analyses/head-spectra';
import { categoryHeatmapOption, formatStep, headSpectrumExtent, headSpectrumOption, powerLawQqOption } from '../../../common/charts';
import { Chart } from '../components/Chart';
import { ExportMenu } from '../components/ExportMenu';
import { Timeline } from '../components/Timeline';
import { errorMessage, useAppState } from '../context';
import { loadFrames } from '../frames-cache';
import { loadGrid } from '../grid-cache';
import { replaceRouteParams } from '../routes';
import type { RunContext } from '../run-context';

const HEAD_METRICS = headSpectra.metrics;

export function Heads({ ctx }: { ctx: RunContext }) {
  const { client } = useAppState();
  const [metric, setMetric] = useState<string>(() => ctx.params.get('headMetric') ?? 'spike_ratio');
  const [grid, setGrid] = useState<ScalarGrid | null>(null);
  const [series, setSeries] = useState<FrameSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [block, setBlock] = useState(() => Number(ctx.params.get('block') ?? 0) || 0);
  const [part, setPart] = useState<QkvPart>(() => (QKV_PARTS.find((p) => p === ctx.params.get('part')) ?? 'q'));
  const [head, setHead] = useState(() => Number(ctx.params.get('head') ?? 0) || 0);
  const [index, setIndex] = useState(0);

  useEffect(() => {
    let live = true;
    loadGrid(client, ctx.runId, metric, ctx.dataVersion).then((g) => live && setGrid(g), (e) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [client, ctx.runId, ctx.dataVersion, metric]);

  const heads = useMemo(() => (grid ? grid.tensors.map((t, i) => ({ i, ...parseHeadTensor(t.tensor)! })).filter((h) => h.block !== undefined) : []), [grid]);
  const blocks = [...new Set(heads.map((h) => h.block))].sort((a, b) => a - b);
  const shownBlock = blocks.includes(block) ? block : (blocks[0] ?? 0);
  const inBlock = heads.filter((h) => h.block === shownBlock).sort((a, b) => QKV_PARTS.indexOf(a.part) - QKV_PARTS.indexOf(b.part) || a.head - b.head);
  const partHeads = [...new Set(inBlock.filter((h) => h.part === part).map((h) => h.head))];
  const shownHead = partHeads.includes(head) ? head : (partHeads[0] ?? 0);
  const tensor = headTensor(shownBlock, shownHead, part);

  useEffect(() => {
    replaceRouteParams({ block: String(shownBlock), part, head: String(shownHead), headMetric: metric === 'spike_ratio' ? null : metric });
    if (!grid || !grid.tensors.some((t) => t.tensor === tensor)) return;
    let live = true;
    loadFrames(client, ctx.runId, 'head_spectrum', tensor, ctx.dataVersion).then(
      (s) => {
        if (!live) return;
        setSeries(s);
        setIndex((i) => Math.min(i || s.frames.length - 1, s.frames.length - 1));
      },
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [client, ctx.runId, ctx.dataVersion, tensor, grid, shownBlock, shownHead, part, metric]);

  const frames = useMemo(() => (series?.frames ?? []) as Array<HeadSpectrumFrame | null>, [series]);
  const extent = useMemo(() => headSpectrumExtent(frames), [frames]);

  if (error) return <p className="notice warn">Head spectra: {error}. Run the “Head spectra” analysis above.</p>;
  if (!grid) return <p className="muted">loading head spectra…</p>;
  if (heads.length === 0) return <p className="notice warn">No head spectra in the cache yet: run the “Head spectra” analysis above.</p>;
  const def = HEAD_METRICS.find((m) => m.id === metric);
  const heatmap = categoryHeatmapOption({
    title: `${def?.label ?? metric} per head · block ${shownBlock} · ${ctx.run.name}`,
    subtitle: `${def?.description ?? ''} [${def?.unit ?? ''}] · rows: each head's Q, K, V matrix`,
    rowLabels: inBlock.map((h) => `${h.part.toUpperCase()} head ${h.head}`),
    steps: grid.steps,
    panels: [{ title: `${def?.label ?? metric}`, values: inBlock.map((h) => grid.values[h.i]), log: def?.logScale ?? false }],
  });
  const frame = series && series.steps.length === frames.length ? (frames[index] ?? null) : null;
  const labels = (series?.steps ?? []).map((s, i) => `step ${formatStep(s)} (${series!.checkpointIds[i]})`);
  const label = series ? { runName: ctx.run.name, tensor, component: `attn.${part}`, block: shownBlock, step: series.steps[index] ?? null, checkpointId: series.checkpointIds[index] ?? '', unit: '' } : null;
  return (
    <div className="heads" data-testid="heads-view">
      <div className="controls" role="group" aria-label="Head spectra settings">
        <label htmlFor="heads-metric">Metric</label>
        <select id="heads-metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
          {HEAD_METRICS.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
        <label htmlFor="heads-block">Block</label>
        <select id="heads-block" value={shownBlock} onChange={(e) => setBlock(Number(e.target.value))}>
          {blocks.map((b) => (
            <option key={b} value={b}>
              block {b}
            </option>
          ))}
        </select>
        <label htmlFor="heads-part">Matrix</label>
        <select id="heads-part" value={part} onChange={(e) => setPart(e.target.value as QkvPart)}>
          {QKV_PARTS.map((p) => (
            <option key={p} value={p}>
              {p.toUpperCase()}
            </option>
          ))}
        </select>
        <label htmlFor="heads-head">Head</label>
        <select id="heads-head" value={shownHead} onChange={(e) => setHead(Number(e.target.value))}>
          {partHeads.map((h) => (
            <option key={h} value={h}>
              head {h}
            </option>
          ))}
        </select>
        <ExportMenu
          formats={['png', 'svg', 'gif']}
          request={{ runId: ctx.runId, view: 'head-spectrum', tensor }}
          extra={{ png: { step: series?.steps[index] }, svg: { step: series?.steps[index] } }}
          what={`the spectrum of ${tensor} of ${ctx.run.name}`}
          testId="export-head-spectrum"
        />
      </div>
      <Chart option={heatmap} height={Math.max(260, 150 + inBlock.length * 14)} replace ariaLabel={`${def?.label ?? metric} per head of block ${shownBlock} over training`} testId="heads-heatmap" dataAttributes={{ rows: inBlock.map((h) => headTensor(h.block, h.head, h.part)).join('|') }} />
      <Timeline count={frames.length} index={index} onIndex={setIndex} labels={labels} />
      <div className="pair">
        {frame && label ? <Chart option={headSpectrumOption(frame, label, extent)} height={340} replace ariaLabel={`Singular values of ${tensor} against its shuffled entries and the Marchenko-Pastur bulk, ${labels[index]}`} testId="heads-spectrum" dataAttributes={{ tensor, step: String(label.step), 's-max': String(frame.singular_values[0]), 'mp-upper': String(frame.mp_upper) }} /> : <p className="muted">not computed at this checkpoint</p>}
        {frame && label ? <Chart option={powerLawQqOption(frame, label)} height={340} replace ariaLabel={`Power-law QQ plot of the eigenvalue tail of ${tensor}, ${labels[index]}`} testId="heads-qq" /> : null}
      </div>
      <p className="muted small">
        WeightWatcher's <code>spectral_norm</code> is the largest eigenvalue s_max²; this app's <code>spectral_norm</code> and head s_max are s_max. MP bulk: σ(√n ± √p) for the matrix's p × n shape and entry std σ.
      </p>
    </div>
  );
}
