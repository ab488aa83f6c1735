// Co-update: which weights update together (API coUpdate; the definition in docs/ANALYSES.md).
// A clustered correlation heatmap of per-block (or per-matrix, or per-head: "L3.h5", from the
// head-updates analysis; ?rows=head in the address) update sizes per training step
// across the run's checkpoint intervals, labelled on both axes. Keyboard: focus the chart, the
// arrow keys move a cursor cell whose pair and r are read out (and announced).
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Response } from '../../../common/api';
import { coUpdateCells, coUpdateOption, coUpdateSubtitle, formatValue } from '../../../common/charts';
import { Chart, type ChartHandle } from '../components/Chart';
import { errorMessage, useAppState } from '../context';
import type { RunContext } from '../run-context';
import { replaceRouteParams } from '../routes';

type Result = Response<'coUpdate'>;
type Group = 'block' | 'tensor' | 'head';

export function CoUpdate({ ctx }: { ctx: RunContext }) {
  const { client } = useAppState();
  const [group, setGroup] = useState<Group>(() => (['block', 'tensor', 'head'].includes(ctx.params.get('rows') ?? '') ? (ctx.params.get('rows') as Group) : 'block'));
  useEffect(() => replaceRouteParams({ rows: group === 'block' ? null : group }), [group]);
  const [removeCommon, setRemoveCommon] = useState(true);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null);
  const chart = useRef<ChartHandle>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    client.api.coUpdate({ runId: ctx.runId, group, removeCommon }).then(
      (r) => live && (setResult(r), setCursor(null)),
      (e) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [client, ctx.runId, group, removeCommon, ctx.dataVersion]);

  const option = useMemo(() => (result ? coUpdateOption(result, ctx.run.name) : null), [result, ctx.run.name]);
  const n = result?.names.length ?? 0;
  const cell = result && cursor ? (() => {
    const a = result.order[cursor.y];
    const b = result.order[cursor.x];
    return { a, b, r: result.matrix[a * n + b] ?? null };
  })() : null;
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, [number, number]> = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
    const m = moves[e.key];
    if (!m || n === 0) return;
    e.preventDefault();
    const c = cursor ?? { x: 0, y: 0 };
    const next = cursor ? { x: Math.max(0, Math.min(n - 1, c.x + m[0])), y: Math.max(0, Math.min(n - 1, c.y + m[1])) } : c;
    setCursor(next);
    // The chart's own tooltip follows the keyboard cursor.
    const dataIndex = result ? coUpdateCells(result).findIndex((d) => d[0] === next.x && d[1] === next.y) : -1;
    if (dataIndex >= 0) chart.current?.instance()?.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex });
  };

  return (
    <div className="coupdate">
      <div className="controls" role="group" aria-label="Co-update settings">
        <label htmlFor="cu-group">Rows</label>
        <select id="cu-group" value={group} onChange={(e) => setGroup(e.target.value as Group)} data-testid="coupdate-group">
          <option value="block">blocks</option>
          <option value="tensor">weight matrices</option>
          <option value="head">attention heads</option>
        </select>
        <label className="check">
          <input type="checkbox" checked={removeCommon} onChange={(e) => setRemoveCommon(e.target.checked)} data-testid="coupdate-common" /> remove the shared schedule (each interval&apos;s mean)
        </label>
      </div>
      <output className="readout" data-testid="coupdate-readout" aria-live="polite" data-r={cell?.r ?? ''}>
        {cell && result ? (
          <>
            <b>{result.labels[cell.a]}</b> × <b>{result.labels[cell.b]}</b>: r = <b>{formatValue(cell.r)}</b> over {result.steps.length} intervals
          </>
        ) : (
          <span className="muted">Hover a cell (or focus the chart and use the arrow keys) to read the correlation of two rows&apos; update sizes per step.</span>
        )}
      </output>
      {error && <p className="notice error" role="alert">Co-update: {error}</p>}
      {result && result.dropped.length > 0 && (
        <p className="muted" data-testid="coupdate-dropped">Not shown (no update measured): {result.dropped.join(', ')}</p>
      )}
      {result && n === 0 && (result.group === 'head' ? (
        <p className="notice warn" data-testid="coupdate-empty">No per-head update sizes in the cache yet: run the “Head updates” analysis above (it measures each head&apos;s Q, K, V and O update per step).</p>
      ) : (
        <p className="notice warn" data-testid="coupdate-empty">No update sizes in the cache yet: run the “Weights” analysis above (it measures each weight&apos;s update per step).</p>
      ))}
      {result && n > 0 && result.steps.length < 3 && <p className="notice warn">Fewer than 3 checkpoint intervals: no correlation is defined.</p>}
      {option && n > 0 && (
        <Chart
          ref={chart}
          option={option}
          height={Math.min(1100, Math.max(420, n * (group === 'block' ? 34 : n > 40 ? 12 : 20) + 200))}
          tabIndex={0}
          testId="coupdate-chart"
          ariaLabel={`Co-update heatmap, ${coUpdateSubtitle(result!, ctx.run.name)}: ${n} rows in clustered order. Arrow keys move a cursor cell.`}
          onKeyDown={onKeyDown}
          onHover={(p) => {
            const v = p.value as number[];
            setCursor({ x: v[0], y: v[1] });
          }}
          dataAttributes={{ rows: String(n), order: result!.order.map((u) => result!.names[u]).join('|') }}
        />
      )}
    </div>
  );
}
