// SVD directions of a comparison: the token tables of every shown run side by side (one column
// per run, captioned with the run in its fixed colour, its step and tokens seen) for the same
// block/component on one shared timeline: the positions where a run has a frame, aligned by step
// or, when the page's x axis is tokens seen, by tokens (the Animations timeline's alignment,
// animations/timeline.ts; each run at its frame there or its latest before, by the rule of
// common/charts/compare-timeline.ts), and closeness to final as one average line per run in the
// run's colour. The CSV holds every table.
import { useEffect, useMemo, useState } from 'react';
import type { FrameSeries, RunSummary } from '../../../../common/api';
import { SVD_FRAME_KIND, SVD_TENSOR } from '../../../../common/analyses/svd-directions';
import { asSvdDirectionsFrame, closenessToFinal, curvesOption, formatStep, svdGroups, svdTableRows, tokenForDisplay, type CurveLine, type SvdDirectionsFrame } from '../../../../common/charts';
import { Chart } from '../../components/Chart';
import { ExportMenu } from '../../components/ExportMenu';
import { Timeline } from '../../components/Timeline';
import { errorMessage, useAppState } from '../../context';
import { loadFrames } from '../../frames-cache';
import { colourOfRun, type RunContext } from '../../run-context';
import { comparisonFrames, positionLabel } from '../../../../common/charts/compare-timeline';
import { useSharedTimeline } from '../animations/timeline';
import { XAxisSelect } from '../x-axis';

interface Loaded {
  run: RunSummary;
  series: FrameSeries | null;
  frames: Array<SvdDirectionsFrame | null>;
  error: string | null;
}

function csvField(v: string | number | null): string {
  const t = v === null ? '' : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

export function CompareSvd({ ctx }: { ctx: RunContext }) {
  const { client } = useAppState();
  const [loaded, setLoaded] = useState<Loaded[] | null>(null);
  const [group, setGroup] = useState('');
  const [index, setIndex] = useState<number | null>(null);
  const key = ctx.runs.map((r) => r.id).join(',');
  useEffect(() => {
    let live = true;
    Promise.all(
      ctx.runs.map((run) =>
        loadFrames(client, run.id, SVD_FRAME_KIND, SVD_TENSOR, ctx.dataVersion).then(
          (series): Loaded => {
            try {
              return { run, series, frames: series.frames.map((f) => asSvdDirectionsFrame(f)), error: null };
            } catch (e) {
              return { run, series, frames: [], error: errorMessage(e) };
            }
          },
          (e): Loaded => ({ run, series: null, frames: [], error: errorMessage(e) }),
        ),
      ),
    ).then((l) => live && setLoaded(l));
    return () => {
      live = false;
    };
  }, [client, key, ctx.dataVersion]);

  // The Animations timeline's alignment (step, or tokens when the page's axis is tokens and every
  // run's are known); positions where some run has SVD directions.
  const shared = useSharedTimeline(ctx);
  const timeline = useMemo(
    () => (loaded && shared ? comparisonFrames(shared, loaded.map((l) => ({ id: l.run.id, steps: l.series?.steps ?? [], present: l.frames.map((f) => f !== null) }))) : null),
    [loaded, shared],
  );
  const steps = timeline?.positions ?? [];
  const groups = useMemo(() => {
    for (const l of loaded ?? []) {
      const last = [...l.frames].reverse().find((f) => f !== null);
      if (last) return svdGroups(last);
    }
    return [];
  }, [loaded]);
  const closeness = useMemo(() => {
    if (!loaded || !shared) return null;
    // On the timeline's axis: steps, or each run's tokens seen.
    const x = (id: string) => shared.xOf.get(id) ?? ((s: number) => s);
    const lines: CurveLine[] = loaded.flatMap((l, k) => (l.series && l.frames.some((f) => f) ? [{ runName: l.run.name, runIndex: k, block: null, tensor: `${l.run.id}:average`, label: 'average', steps: l.series.steps.map(x(l.run.id)), values: closenessToFinal(l.frames).average, colour: colourOfRun(ctx, l.run.id), line: 'solid' as const }] : []));
    return curvesOption({ title: `Closeness to final · ${loaded.map((l) => l.run.name).join(' vs ')}`, metric: { id: 'svd_closeness', label: 'token matches with final (average over blocks)', unit: 'tokens per direction' }, lines, loss: [], stepScale: ctx.stepScale, yLog: false, xName: shared.byTokens ? 'tokens' : 'step' });
  }, [loaded, shared, ctx.stepScale]);

  if (!loaded || !shared || !timeline) return <p className="muted">loading SVD directions of {ctx.runs.length} runs…</p>;
  if (groups.length === 0) return <p className="notice warn">No SVD directions of any shown run in the cache yet: run the “SVD directions” analysis of each run above.</p>;
  const chosen = groups.find((g) => g.label === group) ?? groups[0];
  const i = index === null ? steps.length - 1 : Math.min(index, steps.length - 1);
  const label = positionLabel(shared.byTokens, steps[i] ?? 0);
  const tables = loaded.map((l, k) => {
    const f = timeline.picks[k]?.[i] ?? -1;
    const frame = f >= 0 ? l.frames[f] : null;
    const step = f >= 0 && l.series ? l.series.steps[f] : null;
    const tokensOf = shared.tokensOf.get(l.run.id);
    return { l, k, rows: frame ? svdTableRows(frame, chosen) : [], step, tokens: step !== null && tokensOf ? tokensOf(step) : null };
  });
  const csv = () => {
    const lines = ['run,run_name,step,tokens,direction,singular_value,top_tokens_pos,top_tokens_neg'];
    for (const t of tables) for (const d of t.rows) lines.push([t.l.run.id, t.l.run.name, t.step, t.tokens, d.index, d.singularValue, d.tokens.map((x) => JSON.stringify(x)).join(' '), d.negTokens.map((x) => JSON.stringify(x)).join(' ')].map(csvField).join(','));
    return `${lines.join('\n')}\n`;
  };
  return (
    <div className="svd">
      <div className="controls" role="group" aria-label="SVD direction settings">
        <label htmlFor="svd-group">Block / component</label>
        <select id="svd-group" value={chosen.label} onChange={(e) => setGroup(e.target.value)}>
          {groups.map((g) => (
            <option key={g.label} value={g.label}>
              {g.label}
            </option>
          ))}
        </select>
        <ExportMenu
          formats={[]}
          request={null}
          local={[{ format: 'csv', make: () => ({ filename: `svd-${chosen.label.replace(/[^A-Za-z0-9._-]+/g, '_')}-${shared.byTokens ? 'tokens' : 'step'}${steps[i]}-${loaded.length}-runs.csv`, mime: 'text/csv', text: csv() }) }]}
          what={`the SVD token tables of ${chosen.label} at ${label} in ${loaded.length} runs`}
          testId="export-svd"
        />
        <XAxisSelect ctx={ctx} available={shared.tokensOf.get(ctx.runId) != null} id="svd-x" />
      </div>
      <Timeline count={steps.length} index={i} onIndex={setIndex} labels={steps.map((s) => `${positionLabel(shared.byTokens, s)} (${loaded.length} runs)`)} />
      <div className="svdcompare" style={{ gridTemplateColumns: `repeat(${loaded.length}, minmax(0, 1fr))` }}>
        {tables.map(({ l, rows, step, tokens }) => (
          <div key={l.run.id} className="tablewrap" data-testid="svd-run-table" data-run-id={l.run.id} data-step={step ?? ''} data-tokens={tokens ?? ''}>
            <table className="tokens" aria-label={`Top tokens per singular direction, ${l.run.name}, ${chosen.label}, ${label}`}>
              <caption>
                <span className="swatch" style={{ background: colourOfRun(ctx, l.run.id) }} aria-hidden="true" /> <b>{l.run.name}</b> · {chosen.label} · {step === null ? 'not computed' : `step ${formatStep(step)}${tokens === null ? '' : ` · ${formatStep(tokens)} tokens`}`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">s</th>
                  <th scope="col">top tokens (+v)</th>
                  <th scope="col">top tokens (−v)</th>
                </tr>
              </thead>
              <tbody>
                {l.error && (
                  <tr>
                    <td colSpan={4} className="muted">
                      {l.error}
                    </td>
                  </tr>
                )}
                {!l.error && rows.length === 0 && (
                  <tr>
                    <td colSpan={4} className="muted">
                      not computed at this step
                    </td>
                  </tr>
                )}
                {rows.map((d) => (
                  <tr key={d.index}>
                    <td className="num">{d.index}</td>
                    <td className="num">{d.singularValue === null ? '–' : d.singularValue.toPrecision(4)}</td>
                    <td className="toklist">{d.tokens.slice(0, 6).map((t, j) => <code key={j}>{tokenForDisplay(t)}</code>)}</td>
                    <td className="toklist">{d.negTokens.slice(0, 6).map((t, j) => <code key={j}>{tokenForDisplay(t)}</code>)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      </div>
      {closeness && <Chart option={closeness} height={340} ariaLabel="Closeness of SVD directions to the final checkpoint, one average line per run" testId="svd-closeness" />}
    </div>
  );
}
