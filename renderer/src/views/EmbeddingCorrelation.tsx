// Embedding correlation over a token range the user chooses (not only 0..255), for several runs
// side by side on one timeline. Each matrix is computed on demand by the engine (API
// embeddingCorrelation, main/api/embedding-range.ts: at most 512 tokens, cached) and painted as
// pixels (common/charts correlationPixels, the Animations panel's colours); token strings come from
// the run's tokenizer, with whitespace made visible (common/charts/tokens.ts), on both axes and on
// hover. Orders: token id, clustering of each run's final checkpoint, or frequency in the probe
// text (a BPE vocabulary's frequent pieces together). The timeline runs over every chosen run's
// steps (or tokens seen); each run shows its last checkpoint at or before the timeline's point.
import { useEffect, useMemo, useRef, useState } from 'react';
import { EMBEDDING_RANGE_MAX, type EmbeddingRangeResult } from '../../../common/api';
import { BLUE_ORANGE, xOfRun, type AxisUnit, asCorrelationFrame, correlationAt, correlationPixels, correlationSize, formatStep, formatValue, labelledPositions, shortToken, tokenCaption, type CorrelationFrame } from '../../../common/charts';
import type { CheckpointInfo, RunInfo } from '../../../common/domain';
import { decodeFrame } from '../../../common/frames';
import { ExportMenu } from '../components/ExportMenu';
import { errorMessage, useAppState } from '../context';
import { replaceRouteParams } from '../routes';
import type { RunContext } from '../run-context';

type Order = 'id' | 'cluster' | 'frequency';

/** The user's range text -> [from, to) or the problem, in words. */
export function parseTokenRange(fromText: string, toText: string, vocab: number | null): { from: number; to: number } | { error: string } {
  const from = Number(fromText);
  const last = Number(toText);
  if (!/^\d+$/.test(fromText.trim()) || !/^\d+$/.test(toText.trim())) return { error: 'token ids are whole numbers ≥ 0' };
  if (last < from) return { error: `the last token (${last}) comes before the first (${from})` };
  if (last - from + 1 < 2) return { error: 'choose at least 2 tokens' };
  if (last - from + 1 > EMBEDDING_RANGE_MAX) return { error: `at most ${EMBEDDING_RANGE_MAX} tokens at once (asked ${last - from + 1}); the matrix is range × range` };
  if (vocab !== null && last >= vocab) return { error: `the vocabulary has ${vocab} tokens (ids 0..${vocab - 1})` };
  return { from, to: last + 1 };
}

interface Shown {
  data: EmbeddingRangeResult;
  frame: CorrelationFrame;
}

function Matrix({ shown, testId }: { shown: Shown; testId: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null);
  const [hover, setHover] = useState<{ x: number; y: number } | null>(null);
  const { data, frame } = shown;
  const n = correlationSize(frame.matrix);
  const order = data.order;
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    el.width = n;
    el.height = n;
    el.getContext('2d')!.putImageData(new ImageData(correlationPixels(frame, order) as Uint8ClampedArray<ArrayBuffer>, n, n), 0, 0);
  }, [frame, order, n]);
  const caption = (p: number) => tokenCaption(data.rows[0] + order[p], data.labels?.[order[p]]);
  const describe = (c: { x: number; y: number }) => `${caption(c.y)} × ${caption(c.x)}: r = ${formatValue(correlationAt(frame.matrix, n, order[c.y], order[c.x]))}`;
  const onKey = (e: React.KeyboardEvent<HTMLCanvasElement>) => {
    const stride = e.shiftKey ? 10 : 1;
    const moves: Record<string, [number, number]> = { ArrowUp: [0, -stride], ArrowDown: [0, stride], ArrowLeft: [-stride, 0], ArrowRight: [stride, 0] };
    const at = cursor ?? { x: 0, y: 0 };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    setCursor({ x: Math.max(0, Math.min(n - 1, at.x + m[0])), y: Math.max(0, Math.min(n - 1, at.y + m[1])) });
  };
  const ticks = labelledPositions(n, 32);
  const cell = hover ?? cursor;
  return (
    <div className="panel tokcorr" data-testid={testId} data-run={data.runName} data-checkpoint={data.checkpointId}>
      <div className="paneltitle">
        <b>
          {data.runName} · tokens {data.rows[0]}–{data.rows[1] - 1}
        </b>
        <div className="sub">
          {data.checkpointId} (step {data.step ?? '–'}
          {data.tokensSeen !== null ? `, ${formatStep(data.tokensSeen)} tokens` : ''}) · {data.tensor} · Pearson r · order: {data.orderNote}
        </div>
      </div>
      <div className="tokgrid">
        <div />
        <div className="tokx" aria-hidden="true">
          {ticks.map((p) => (
            <span key={p} style={{ left: `${((p + 0.5) / n) * 100}%` }} data-testid="token-x-label">
              {data.labels ? shortToken(data.labels[order[p]] ?? '') : data.rows[0] + order[p]}
            </span>
          ))}
        </div>
        <div className="toky" aria-hidden="true">
          {ticks.map((p) => (
            <span key={p} style={{ top: `${((p + 0.5) / n) * 100}%` }} data-testid="token-y-label">
              {data.labels ? `${data.rows[0] + order[p]} ${shortToken(data.labels[order[p]] ?? '')}` : data.rows[0] + order[p]}
            </span>
          ))}
        </div>
        <div className="corrwrap">
          <canvas
            ref={canvas}
            className="corrcanvas"
            role="img"
            tabIndex={0}
            data-testid="tokcorr-canvas"
            aria-label={`Correlation of embedding rows ${data.rows[0]}–${data.rows[1] - 1} of ${data.runName} at ${data.checkpointId}, ${n} by ${n}; arrow keys read cells`}
            onMouseMove={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              const x = Math.floor(((e.clientX - r.left) / r.width) * n);
              const y = Math.floor(((e.clientY - r.top) / r.height) * n);
              if (x >= 0 && y >= 0 && x < n && y < n) setHover({ x, y });
            }}
            onMouseLeave={() => setHover(null)}
            onKeyDown={onKey}
            onFocus={() => setCursor((c) => c ?? { x: 0, y: 0 })}
          />
          {cursor && <div className="corrcursor" aria-hidden="true" style={{ left: `${(cursor.x / n) * 100}%`, top: `${(cursor.y / n) * 100}%`, width: `${100 / n}%`, height: `${100 / n}%` }} />}
        </div>
      </div>
      <output className="sub corrreadout" aria-live="polite" data-testid="tokcorr-readout">
        {cell ? describe(cell) : 'hover the matrix, or focus it and use the arrow keys'}
      </output>
    </div>
  );
}

export function EmbeddingCorrelation({ ctx }: { ctx: RunContext }) {
  const { client, runs } = useAppState();
  const vocab = ctx.run.config?.vocabSize ?? null;
  const [fromText, setFromText] = useState(() => ctx.params.get('from') ?? '256');
  const [toText, setToText] = useState(() => ctx.params.get('to') ?? String(Math.min((vocab ?? 512) - 1, 256 + 63)));
  const [range, setRange] = useState<{ from: number; to: number } | null>(() => {
    const r = parseTokenRange(fromText, toText, vocab);
    return 'error' in r ? null : r;
  });
  const [rangeError, setRangeError] = useState<string | null>(null);
  const [order, setOrder] = useState<Order>(() => (['id', 'cluster', 'frequency'] as const).find((o) => o === ctx.params.get('order')) ?? 'cluster');
  const family = ctx.run.family;
  const defaultRuns = useMemo(() => (ctx.runs.length > 1 ? ctx.runs.map((r) => r.id) : (runs ?? []).filter((r) => r.family === family).map((r) => r.id)), [ctx.runs, runs, family]);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const runIds = chosen ?? (defaultRuns.length ? defaultRuns : [ctx.runId]);
  const [infos, setInfos] = useState<Map<string, RunInfo>>(new Map());
  const [position, setPosition] = useState<number | null>(null);
  const [shown, setShown] = useState<Map<string, Shown | { error: string }>>(new Map());

  useEffect(() => replaceRouteParams({ from: range ? String(range.from) : null, to: range ? String(range.to - 1) : null, order }), [range, order]);
  useEffect(() => {
    let live = true;
    Promise.all(runIds.map((id) => (id === ctx.runId ? Promise.resolve(ctx.run) : client.api.getRun({ runId: id }).then((r) => r.run as unknown as RunInfo)))).then(
      (list) => live && setInfos(new Map(list.map((r) => [r.id, r]))),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, runIds.join(','), ctx.run]);

  // One timeline on the run page's step/tokens axis (common/charts/step-axis.ts xOfRun: tokens
  // where every chosen run has counts, else steps): every chosen run's points merged; a run shows
  // its last checkpoint at or before the timeline's point.
  const present = (r: RunInfo) => r.checkpoints.filter((c) => !c.missing && c.step !== null).sort((a, b) => a.step! - b.step!);
  const unit: AxisUnit = ctx.xUnit === 'tokens' && [...infos.values()].every((r) => xOfRun('tokens', r.checkpoints) !== null) ? 'tokens' : 'step';
  const xOf = (r: RunInfo) => xOfRun(unit, r.checkpoints) ?? ((s: number) => s);
  const steps = useMemo(() => [...new Set([...infos.values()].flatMap((r) => present(r).map((c) => xOf(r)(c.step!))))].sort((a, b) => a - b), [infos, unit]);
  const at = position === null ? steps.at(-1) : steps[Math.min(position, steps.length - 1)];
  const pick = (r: RunInfo): CheckpointInfo | null => {
    const list = present(r);
    return [...list].reverse().find((c) => at !== undefined && xOf(r)(c.step!) <= at) ?? list[0] ?? null;
  };
  const atLabel = at === undefined ? '' : unit === 'tokens' ? `${formatStep(at)} tokens` : `step ${at}`;
  const picks = runIds.map((id) => ({ id, c: infos.get(id) ? pick(infos.get(id)!) : null }));
  const pickKey = picks.map((p) => `${p.id}:${p.c?.id ?? ''}`).join(',');

  useEffect(() => {
    if (!range) return;
    let live = true;
    for (const p of picks) {
      if (!p.c) continue;
      // A run whose vocabulary ends inside the range is told so here, not by a refused request.
      const vocabOf = infos.get(p.id)?.config?.vocabSize;
      if (vocabOf !== undefined && range.to > vocabOf) {
        setShown((m) => new Map(m).set(p.id, { error: `tokens ${range.from}–${range.to - 1} are outside this run's vocabulary of ${vocabOf} tokens (ids 0..${vocabOf - 1})` }));
        continue;
      }
      client.api.embeddingCorrelation({ runId: p.id, checkpointId: p.c.id, from: range.from, to: range.to, order }).then(
        (data) => {
          if (!live) return;
          const frame = asCorrelationFrame(decodeFrame(data.frame))!;
          setShown((m) => new Map(m).set(p.id, { data, frame }));
        },
        (e) => live && setShown((m) => new Map(m).set(p.id, { error: errorMessage(e) })),
      );
    }
    return () => {
      live = false;
    };
  }, [client, pickKey, range?.from, range?.to, order]);

  const [playing, setPlaying] = useState(false);
  useEffect(() => {
    if (!playing || steps.length === 0) return;
    const timer = setInterval(() => setPosition((p) => ((p ?? steps.length - 1) + 1) % steps.length), 700);
    return () => clearInterval(timer);
  }, [playing, steps.length]);
  useEffect(() => setPosition(null), [unit]);

  const apply = () => {
    const r = parseTokenRange(fromText, toText, vocab);
    if ('error' in r) {
      setRangeError(r.error);
      return;
    }
    setRangeError(null);
    setRange(r);
  };
  const csv = () => {
    const rows = ['run,checkpoint,step,token_i,token_i_text,token_j,token_j_text,r'];
    for (const id of runIds) {
      const s = shown.get(id);
      if (!s || 'error' in s) continue;
      const n = correlationSize(s.frame.matrix);
      const q = (t: string | undefined) => `"${(t ?? '').replace(/"/g, '""')}"`;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) rows.push([q(s.data.runName), s.data.checkpointId, s.data.step ?? '', s.data.rows[0] + i, q(s.data.labels?.[i]), s.data.rows[0] + j, q(s.data.labels?.[j]), correlationAt(s.frame.matrix, n, i, j)].join(','));
    }
    return { filename: `embedding-correlation-${range?.from}-${(range?.to ?? 1) - 1}-step${at ?? ''}.csv`, mime: 'text/csv', text: rows.join('\n') + '\n' };
  };
  const gradient = `linear-gradient(to top, ${BLUE_ORANGE.join(', ')})`;

  return (
    <div className="tokcorrview" data-testid="embedding-view">
      <form className="controls" aria-label="Token range" onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <label htmlFor="ec-from">Tokens</label>
        <input id="ec-from" inputMode="numeric" size={6} value={fromText} onChange={(e) => setFromText(e.target.value)} data-testid="range-from" aria-describedby="ec-hint" />
        <label htmlFor="ec-to">to</label>
        <input id="ec-to" inputMode="numeric" size={6} value={toText} onChange={(e) => setToText(e.target.value)} data-testid="range-to" aria-describedby="ec-hint" />
        <button type="submit" data-testid="range-apply">Show</button>
        <span id="ec-hint" className="muted">
          inclusive, at most {EMBEDDING_RANGE_MAX} tokens{vocab !== null ? ` of ${vocab}` : ''}
        </span>
        <label htmlFor="ec-order">Order</label>
        <select id="ec-order" value={order} onChange={(e) => setOrder(e.target.value as Order)} data-testid="order-select">
          <option value="cluster">clustered (final checkpoint)</option>
          <option value="frequency">frequency in the probe text</option>
          <option value="id">token id</option>
        </select>
        <ExportMenu formats={[]} request={null} local={[{ format: 'csv', make: csv }]} what="the correlation matrices shown" testId="export-tokcorr" />
      </form>
      {rangeError && (
        <p className="notice error" role="alert" data-testid="range-error">
          {rangeError}
        </p>
      )}
      <fieldset className="controls">
        <legend>Runs ({runIds.length})</legend>
        {(runs ?? []).map((r) => (
          <label key={r.id} className="check" title={r.summary}>
            <input type="checkbox" value={r.id} data-testid="run-choice" checked={runIds.includes(r.id)} onChange={(e) => setChosen(e.target.checked ? [...new Set([...runIds, r.id])] : runIds.filter((x) => x !== r.id))} /> {r.name}
          </label>
        ))}
      </fieldset>
      {steps.length > 0 && (
        <div className="controls" role="group" aria-label="Timeline">
          <button type="button" onClick={() => setPlaying((p) => !p)} aria-pressed={playing} data-testid="tokcorr-play">
            {playing ? 'Pause' : 'Play'}
          </button>
          <label htmlFor="ec-step">{unit === 'tokens' ? 'Tokens seen' : 'Step'}</label>
          <input id="ec-step" type="range" min={0} max={steps.length - 1} value={position ?? steps.length - 1} onChange={(e) => setPosition(Number(e.target.value))} aria-valuetext={atLabel} data-testid="tokcorr-step" />
          <output htmlFor="ec-step" data-testid="tokcorr-step-label">
            {atLabel}
          </output>
          <span className="colourbar inline" aria-hidden="true" title="Pearson r from −1 (blue) to +1 (orange)">
            <span>−1</span>
            <div style={{ background: gradient.replace('to top', 'to right') }} />
            <span>+1</span>
          </span>
        </div>
      )}
      <div className="tokpanels">
        {runIds.map((id, i) => {
          const s = shown.get(id);
          const name = (runs ?? []).find((r) => r.id === id)?.name ?? id;
          if (!s) return <p key={id} className="muted">{name}: computing…</p>;
          if ('error' in s) return <p key={id} className="notice error" role="alert">{name}: {s.error}</p>;
          return <Matrix key={id} shown={s} testId={`tokcorr-${i}`} />;
        })}
      </div>
    </div>
  );
}
