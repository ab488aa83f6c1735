// The Animations tab's embedding correlation panel: the matrix painted as pixels (one
// putImageData per frame, painted ahead in the background), hover and keyboard read r exactly.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { TensorMeta } from '../../../../common/api';
import { asCorrelationFrame, clusterOrder, correlationAt, correlationPixels, correlationSize, formatValue, frameSubtitle, type CorrelationFrame } from '../../../../common/charts';
import { BLUE_ORANGE } from '../../../../common/charts/palette';
import { ExportMenu } from '../../components/ExportMenu';
import { errorMessage } from '../../context';
import type { RunContext } from '../../run-context';
import { frameLabel, useFrames } from './FramePanel';
import { GIF_SIZE } from './panels';
import { frameAtPoint, type TimelinePoint } from './timeline-point';

/**
 * The correlation matrix painted as pixels, one putImageData per frame; hover reads r exactly.
 * The page's run at `checkpointIds[index]`, or in a comparison (CompareCorrelation.tsx) the run
 * `run` at its latest frame at or before the shared timeline's position `at`.
 */
export function CorrelationPanel({ ctx, meta, index, checkpointIds, reorder, run, at }: { ctx: RunContext; meta: TensorMeta; index: number; checkpointIds: string[]; reorder: boolean; run?: { id: string; name: string; colour: string }; at?: TimelinePoint }) {
  const { series, error } = useFrames(ctx, 'embedding_correlation', meta.tensor, run?.id);
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

  const frameIndex = at ? (series && parsed ? frameAtPoint(series.steps, parsed.frames, at) : -1) : (parsed?.byCheckpoint.get(checkpointIds[index] ?? '') ?? -1);
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

  const label = series && frame ? { ...frameLabel(ctx, meta, series, frameIndex, 'Pearson r'), ...(run ? { runName: run.name } : {}) } : null;
  /** Token ids and r of the cell at display position (x column, y row), through the row order. */
  const cellAt = (x: number, y: number) => {
    const rx = order ? order[x] : x;
    const ry = order ? order[y] : y;
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
    if (moves[e.key]) next = { x: at.x + moves[e.key][0], y: at.y + moves[e.key][1] };
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
    <div className="panel anim corr" data-testid="anim-embedding_correlation" data-run-id={run?.id ?? ctx.runId} data-step={frame ? String(series?.steps[frameIndex] ?? '') : ''}>
      <div className="panelbar">
        <ExportMenu
          formats={frame && series ? ['gif', 'png', 'svg'] : ['gif']}
          request={series && parsed?.frames.some((f) => f !== null) ? { runId: run?.id ?? ctx.runId, view: 'correlation', tensor: meta.tensor, reorder, ...GIF_SIZE } : null}
          extra={{ png: { step: series?.steps[frameIndex] }, svg: { step: series?.steps[frameIndex] } }}
          what={`embedding correlation of ${meta.tensor}${run ? ` in ${run.name}` : ''}`}
          testId="export-embedding_correlation"
        />
      </div>
      {error && <p className="notice warn">Embedding correlation: {error}</p>}
      {parsed?.error && <p className="notice error">{parsed.error}</p>}
      {!series && !error && <p className="muted">loading embedding correlation…</p>}
      {series && !frame && <p className="notice warn">Embedding correlation{run ? ` of ${run.name}` : ''}: not computed at {at ? 'or before this point of the timeline' : checkpointIds[index]}: run the embedding analysis.</p>}
      {frame && label && (
        <>
          <div className="paneltitle">
            <b>
              {run && (
                <>
                  <span className="swatch" style={{ background: run.colour }} aria-hidden="true" />{' '}
                </>
              )}
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
