// Outliers as the study drew them: the max |x| ever reached by the residual stream after each
// block (bars across depth), and, for a chosen depth, the residual dimensions that carry the
// outliers over training beside the gains of the norms that read them, with one checkpoint's
// per-dimension profile below on the shared timeline (common/charts/outliers.ts draws all three).
import { useEffect, useMemo, useState } from 'react';
import type { FrameSeries, ScalarGrid } from '../../../common/api';
import { maxEverByDepth, outlierDimsOverTime, type OutlierDimsFrame } from '../../../common/analyses/outliers';
import { depthLabel, dimProfileExtent, dimProfileOption, formatStep, maxEverOption, outlierDimsOption } from '../../../common/charts';
import { Chart } from '../components/Chart';
import { ExportMenu } from '../components/ExportMenu';
import { Timeline } from '../components/Timeline';
import { errorMessage, useAppState } from '../context';
import { loadFrames } from '../frames-cache';
import { loadGrid } from '../grid-cache';
import { replaceRouteParams } from '../routes';
import type { RunContext } from '../run-context';

export function Outliers({ ctx }: { ctx: RunContext }) {
  const { client } = useAppState();
  const [grid, setGrid] = useState<ScalarGrid | null>(null);
  const [series, setSeries] = useState<FrameSeries | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [depth, setDepth] = useState<number>(() => Number(ctx.params.get('depth') ?? 1) || 0);
  const [index, setIndex] = useState(0);
  const [yLog, setYLog] = useState(false);

  useEffect(() => {
    let live = true;
    loadGrid(client, ctx.runId, 'max_abs', ctx.dataVersion).then((g) => live && setGrid(g), (e) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [client, ctx.runId, ctx.dataVersion]);

  const bars = useMemo(() => (grid ? maxEverByDepth(grid.tensors.map((t) => t.tensor), grid.values) : []), [grid]);
  const depths = bars.map((b) => b.depth);
  const shownDepth = depths.includes(depth) ? depth : (depths[Math.min(1, depths.length - 1)] ?? 0);
  const tensor = `resid.${shownDepth}`;

  useEffect(() => {
    replaceRouteParams({ depth: String(shownDepth) });
    let live = true;
    loadFrames(client, ctx.runId, 'outlier_dims', tensor, ctx.dataVersion).then(
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
  }, [client, ctx.runId, ctx.dataVersion, tensor, shownDepth]);

  const frames = useMemo(() => (series?.frames ?? []) as Array<OutlierDimsFrame | null>, [series]);
  const dims = useMemo(() => outlierDimsOverTime(frames).slice(0, 16), [frames]);
  const extent = useMemo(() => dimProfileExtent(frames), [frames]);

  if (error) return <p className="notice warn">Outliers: {error}. Run the “Activations” analysis above.</p>;
  if (!grid) return <p className="muted">loading outliers…</p>;
  if (bars.length === 0 || bars.every((b) => b.maxEver === null)) return <p className="notice warn">No residual-stream values in the cache yet: run the “Activations” analysis above.</p>;
  const barsOption = maxEverOption({ runName: ctx.run.name, bars: bars.map((b) => ({ depth: b.depth, maxEver: b.maxEver, step: b.atColumn === null ? null : grid.steps[b.atColumn] })), steps: grid.steps, yLog });
  const frame = frames[index] ?? null;
  const labels = (series?.steps ?? []).map((s, i) => `step ${formatStep(s)} (${series!.checkpointIds[i]})`);
  const label = series && frame ? { runName: ctx.run.name, tensor, component: 'resid', block: shownDepth === 0 ? ('embed' as const) : shownDepth - 1, step: series.steps[index] ?? null, checkpointId: series.checkpointIds[index] ?? '', unit: 'activation' } : null;
  return (
    <div className="outliers" data-testid="outliers-view">
      <div className="controls" role="group" aria-label="Outlier settings">
        <label htmlFor="outliers-depth">Residual stream after</label>
        <select id="outliers-depth" value={shownDepth} onChange={(e) => setDepth(Number(e.target.value))}>
          {depths.map((d) => (
            <option key={d} value={d}>
              {depthLabel(d)} (resid.{d})
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={yLog} onChange={(e) => setYLog(e.target.checked)} /> log y (bars)
        </label>
        <ExportMenu formats={['png', 'svg']} request={{ runId: ctx.runId, view: 'outliers', yLog }} what={`the max |x| ever per block of ${ctx.run.name}`} testId="export-outliers-bars" />
        <ExportMenu
          formats={['png', 'svg', 'gif']}
          request={{ runId: ctx.runId, view: 'outliers', tensor }}
          extra={{ gif: { tensor } }}
          what={`the outlier dimensions of ${tensor} of ${ctx.run.name}`}
          testId="export-outliers-dims"
        />
      </div>
      <Chart option={barsOption} height={300} replace ariaLabel={`Max |x| ever per block, ${ctx.run.name}`} testId="outliers-bars" dataAttributes={{ 'max-ever': bars.map((b) => b.maxEver ?? '').join('|') }} />
      {dims.length === 0 ? (
        <p className="notice warn">No outlier dimensions for {tensor} yet: run the “Activations” analysis above (its cached results older than this version have none).</p>
      ) : (
        <>
          <Chart option={outlierDimsOption({ runName: ctx.run.name, depth: shownDepth, steps: series!.steps, frames, dims })} height={Math.max(320, 150 + dims.length * 16)} replace ariaLabel={`Outlier dimensions of ${tensor} over training with the reading norms' gains`} testId="outliers-dims" dataAttributes={{ dims: dims.join('|') }} />
          <Timeline count={frames.length} index={index} onIndex={setIndex} labels={labels} />
          {frame && label ? <Chart option={dimProfileOption(frame, label, extent)} height={300} replace ariaLabel={`Max |x| per residual dimension at ${labels[index]}`} testId="outliers-profile" dataAttributes={{ step: String(label.step), top: frame.top_dims.join('|') }} /> : <p className="muted">not computed at this checkpoint</p>}
        </>
      )}
    </div>
  );
}
