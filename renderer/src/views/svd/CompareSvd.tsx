// SVD directions of a comparison: the token tables of every shown run side by side (one column
// per run, captioned with the run in its fixed colour) for the same block/component on one
// shared timeline (the union of the runs' steps; each run at its step or its latest before), and
// closeness to final as one average line per run in the run's colour. The CSV holds every table.
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
import { framesOnTimeline } from '../animations/ComparePanel';

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

  const steps = useMemo(() => [...new Set((loaded ?? []).flatMap((l) => (l.series ? l.series.steps.filter((_, i) => l.frames[i]) : [])))].sort((a, b) => a - b), [loaded]);
  const groups = useMemo(() => {
    for (const l of loaded ?? []) {
      const last = [...l.frames].reverse().find((f) => f !== null);
      if (last) return svdGroups(last);
    }
    return [];
  }, [loaded]);
  const at = useMemo(() => (loaded ?? []).map((l) => (l.series ? framesOnTimeline(steps, l.series.steps, l.frames.map((f) => f !== null)) : steps.map(() => -1))), [loaded, steps]);
  const closeness = useMemo(() => {
    if (!loaded) return null;
    const lines: CurveLine[] = loaded.flatMap((l, k) => (l.series && l.frames.some((f) => f) ? [{ runName: l.run.name, runIndex: k, block: null, tensor: `${l.run.id}:average`, label: 'average', steps: l.series.steps, values: closenessToFinal(l.frames).average, colour: colourOfRun(ctx, l.run.id), line: 'solid' as const }] : []));
    return curvesOption({ title: `Closeness to final · ${loaded.map((l) => l.run.name).join(' vs ')}`, metric: { id: 'svd_closeness', label: 'token matches with final (average over blocks)', unit: 'tokens per direction' }, lines, loss: [], stepScale: ctx.stepScale, yLog: false });
  }, [loaded, ctx.stepScale]);

  if (!loaded) return <p className="muted">loading SVD directions of {ctx.runs.length} runs…</p>;
  if (groups.length === 0) return <p className="notice warn">No SVD directions of any shown run in the cache yet: run the “SVD directions” analysis of each run above.</p>;
  const chosen = groups.find((g) => g.label === group) ?? groups[0];
  const i = index === null ? steps.length - 1 : Math.min(index, steps.length - 1);
  const label = `step ${formatStep(steps[i] ?? 0)}`;
  const tables = loaded.map((l, k) => {
    const f = at[k]?.[i] ?? -1;
    const frame = f >= 0 ? l.frames[f] : null;
    return { l, k, rows: frame ? svdTableRows(frame, chosen) : [], step: f >= 0 ? l.series!.steps[f] : null };
  });
  const csv = () => {
    const lines = ['run,run_name,step,direction,singular_value,top_tokens_pos,top_tokens_neg'];
    for (const t of tables) for (const d of t.rows) lines.push([t.l.run.id, t.l.run.name, t.step, d.index, d.singularValue, d.tokens.map((x) => JSON.stringify(x)).join(' '), d.negTokens.map((x) => JSON.stringify(x)).join(' ')].map(csvField).join(','));
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
          local={[{ format: 'csv', make: () => ({ filename: `svd-${chosen.label.replace(/[^A-Za-z0-9._-]+/g, '_')}-step${steps[i]}-${loaded.length}-runs.csv`, mime: 'text/csv', text: csv() }) }]}
          what={`the SVD token tables of ${chosen.label} at ${label} in ${loaded.length} runs`}
          testId="export-svd"
        />
      </div>
      <Timeline count={steps.length} index={i} onIndex={setIndex} labels={steps.map((s) => `step ${formatStep(s)} (${loaded.length} runs)`)} />
      <div className="svdcompare" style={{ gridTemplateColumns: `repeat(${loaded.length}, minmax(0, 1fr))` }}>
        {tables.map(({ l, rows, step }) => (
          <div key={l.run.id} className="tablewrap" data-testid="svd-run-table" data-run-id={l.run.id}>
            <table className="tokens" aria-label={`Top tokens per singular direction, ${l.run.name}, ${chosen.label}, ${label}`}>
              <caption>
                <span className="swatch" style={{ background: colourOfRun(ctx, l.run.id) }} aria-hidden="true" /> <b>{l.run.name}</b> · {chosen.label} · {step === null ? 'not computed' : `step ${formatStep(step)}`}
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
