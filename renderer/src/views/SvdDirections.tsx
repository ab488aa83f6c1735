// SVD directions: for a chosen block/component (and head) and checkpoint, the top singular
// directions mapped through the unembedding as token tables; below, "closeness to final" (token
// matches with the final checkpoint, sign-agnostic) per block and averaged, over training.
import { useEffect, useMemo, useState } from 'react';
import type { FrameSeries } from '../../../common/api';
import { SVD_FRAME_KIND, SVD_TENSOR } from '../../../common/analyses/svd-directions';
import { asSvdDirectionsFrame, closenessToFinal, curvesOption, svdGroups, svdTableRows, tokenForDisplay, type CurveLine, type SvdDirectionsFrame } from '../../../common/charts';
import { Chart } from '../components/Chart';
import { ExportMenu } from '../components/ExportMenu';
import { Timeline } from '../components/Timeline';
import { errorMessage, useAppState } from '../context';
import { loadFrames } from '../frames-cache';
import type { RunContext } from '../run-context';
import { CompareSvd } from './svd/CompareSvd';
import { xOfRun } from '../../../common/charts/step-axis';
import { XAxisSelect, checkpointLabels } from './x-axis';


export function SvdDirections({ ctx }: { ctx: RunContext }) {
  // Several runs shown: their tables side by side on one timeline (svd/CompareSvd.tsx).
  return ctx.runs.length > 1 ? <CompareSvd ctx={ctx} /> : <SvdOfRun ctx={ctx} />;
}

function SvdOfRun({ ctx }: { ctx: RunContext }) {
  const { client } = useAppState();
  const [series, setSeries] = useState<FrameSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [index, setIndex] = useState(0);
  const [group, setGroup] = useState('');

  useEffect(() => {
    let live = true;
    loadFrames(client, ctx.runId, SVD_FRAME_KIND, SVD_TENSOR, ctx.dataVersion).then(
      (s) => {
        if (!live) return;
        setSeries(s);
        setIndex(Math.max(0, s.frames.length - 1));
      },
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [client, ctx.runId, ctx.dataVersion]);

  const parsed = useMemo(() => {
    if (!series) return null;
    try {
      return { frames: series.frames.map((f) => asSvdDirectionsFrame(f)), error: null as string | null };
    } catch (e) {
      return { frames: [] as Array<SvdDirectionsFrame | null>, error: errorMessage(e) };
    }
  }, [series]);

  const groups = useMemo(() => {
    const last = parsed ? [...parsed.frames].reverse().find((f) => f !== null) : null;
    return last ? svdGroups(last) : [];
  }, [parsed]);
  const chosen = groups.find((g) => g.label === group) ?? groups[0] ?? null;
  const frame = parsed?.frames[index] ?? null;
  const rows = frame && chosen ? svdTableRows(frame, chosen) : [];

  const closeness = useMemo(() => {
    if (!parsed || !series) return null;
    const c = closenessToFinal(parsed.frames);
    // Steps or tokens seen (the run page's choice; common/charts/step-axis.ts).
    const x = xOfRun(ctx.xUnit, ctx.run.checkpoints) ?? ((s: number) => s);
    const xs = series.steps.map(x);
    const lines: CurveLine[] = [...c.perBlock.values()].map((b) => ({ runName: ctx.run.name, runIndex: 0, block: b.block, tensor: String(b.block), steps: xs, values: b.values }));
    lines.push({ runName: ctx.run.name, runIndex: 1, block: null, tensor: 'average', label: 'average', steps: xs, values: c.average });
    return curvesOption({
      title: `Closeness to final · ${ctx.run.name}`,
      metric: { id: 'svd_closeness', label: 'token matches with final', unit: 'tokens per direction' },
      lines,
      loss: [],
      stepScale: ctx.stepScale,
      yLog: false,
      xName: xOfRun(ctx.xUnit, ctx.run.checkpoints) ? ctx.xUnit : 'step',
    });
  }, [parsed, series, ctx.run.name, ctx.stepScale, ctx.xUnit]);

  if (error) return <p className="notice warn">SVD directions: {error}. Run the “SVD directions” analysis above.</p>;
  if (!series || !parsed) return <p className="muted">loading SVD directions…</p>;
  if (parsed.error) return <p className="notice error">{parsed.error}</p>;
  if (groups.length === 0) return <p className="notice warn">No SVD directions in the cache yet: run the “SVD directions” analysis above.</p>;
  const labels = checkpointLabels(ctx.xUnit, ctx.run.checkpoints, series.steps.map((step, i) => ({ id: series.checkpointIds[i], label: series.checkpointIds[i], step })));
  return (
    <div className="svd">
      <div className="controls" role="group" aria-label="SVD direction settings">
        <label htmlFor="svd-group">Block / component</label>
        <select id="svd-group" value={chosen?.label ?? ''} onChange={(e) => setGroup(e.target.value)}>
          {groups.map((g) => (
            <option key={g.label} value={g.label}>
              {g.label}
            </option>
          ))}
        </select>
        <XAxisSelect ctx={ctx} available={xOfRun('tokens', ctx.run.checkpoints) !== null} id="svd-x" />
        <ExportMenu
          formats={[]}
          request={null}
          local={[{ format: 'csv', make: () => ({ filename: `${ctx.run.name}-svd-${(chosen?.label ?? '').replace(/[^A-Za-z0-9._-]+/g, '_')}-${series.checkpointIds[index] ?? index}.csv`, mime: 'text/csv', text: tableCsv(rows) }) }]}
          what={`the SVD token table of ${chosen?.label ?? ''} at ${labels[index]}`}
          testId="export-svd"
        />
      </div>
      <Timeline count={series.frames.length} index={index} onIndex={setIndex} labels={labels} />
      <div className="svdbody">
        <div className="tablewrap">
          <table className="tokens" aria-label={`Top tokens per singular direction, ${chosen?.label}, ${labels[index]}`}>
            <caption>
              {ctx.run.name} · {chosen?.label} · {labels[index]}
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
              {rows.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    not computed at this checkpoint
                  </td>
                </tr>
              )}
              {rows.map((d) => (
                <tr key={d.index}>
                  <td className="num">{d.index}</td>
                  <td className="num">{d.singularValue === null ? '–' : d.singularValue.toPrecision(4)}</td>
                  <td className="toklist">{d.tokens.map((t, i) => <code key={i}>{tokenForDisplay(t)}</code>)}</td>
                  <td className="toklist">{d.negTokens.map((t, i) => <code key={i}>{tokenForDisplay(t)}</code>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {closeness && <Chart option={closeness} height={380} ariaLabel="Closeness of SVD directions to the final checkpoint over training" />}
      </div>
    </div>
  );
}

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(v: string | number | null): string {
  const t = v === null ? '' : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** The token table as shown: one row per direction, tokens joined by a space inside their cell. */
function tableCsv(rows: ReturnType<typeof svdTableRows>): string {
  const lines = ['direction,singular_value,top_tokens_pos,top_tokens_neg'];
  for (const d of rows) lines.push([d.index, d.singularValue, d.tokens.map((t) => JSON.stringify(t)).join(' '), d.negTokens.map((t) => JSON.stringify(t)).join(' ')].map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}
