// A run's page: header (checkpoints, steps, warnings), the Analyze control with live progress,
// and the tabs Overview / Curves / Animations / SVD directions. Holds the choices shared across
// tabs (metric, runs compared side by side, step scale) so switching tabs keeps them.
import { SweepCoverage } from '../components/SweepCoverage';
import { RunSelector, type SeedBand } from '../components/RunSelector';
import { seedGroups } from '../../../common/charts/compare';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Response, RunSummary } from '../../../common/api';
import { formatStep } from '../../../common/charts/format';
import type { AxisUnit } from '../../../common/charts/step-axis';
import type { RunInfo } from '../../../common/domain';
import { replaceRouteParams, runHref, type RunTab } from '../routes';
import type { RunContext, StepScaleChoice } from '../run-context';
import { errorMessage, useApiCall, useAppState } from '../context';
import { loadGrid } from '../grid-cache';
import { AnalyzePanel } from './AnalyzePanel';
import { FolderPicker } from './FolderPicker';
import { Animations } from './Animations';
import { Curves } from './Curves';
import { Overview } from './Overview';
import { SvdDirections } from './SvdDirections';
import { CoUpdate } from './CoUpdate';
import { Outliers } from './Outliers';
import { Heads } from './Heads';
import { Probes } from './Probes';
import { Scaling } from './Scaling';
import { EmbeddingCorrelation } from './EmbeddingCorrelation';

export type { RunTab } from '../routes';
export type { RunContext, StepScaleChoice } from '../run-context';

/** How often the views reload the cache while an analysis of a shown run is computing. */
const LIVE_RELOAD_MS = 2000;

const TABS: Array<{ id: RunTab; label: string }> = [
  { id: 'overview', label: 'Overview' },
  { id: 'curves', label: 'Curves' },
  { id: 'animations', label: 'Animations' },
  { id: 'svd', label: 'SVD directions' },
  { id: 'coupdate', label: 'Co-update' },
  { id: 'outliers', label: 'Outliers' },
  { id: 'heads', label: 'Head spectra' },
  { id: 'probes', label: 'Lens & induction' },
  { id: 'scaling', label: 'Scaling' },
  { id: 'embeddings', label: 'Embedding correlation' },
];

export function RunPage({ runId, tab, params }: { runId: string; tab: RunTab; params: URLSearchParams }) {
  const { client, runs, jobs } = useAppState();
  // Compared runs and seed bands are in the address too (compare=id,id&band=minmax).
  const [compare, setCompare] = useState<string[]>(() => (params.get('compare') ?? '').split(',').filter((id) => id && id !== runId));
  const [band, setBand] = useState<SeedBand>(() => (['minmax', 'std'].includes(params.get('band') ?? '') ? (params.get('band') as SeedBand) : 'none'));
  useEffect(() => {
    replaceRouteParams({ compare: compare.length ? compare.join(',') : null, band: band === 'none' ? null : band });
  }, [compare, band, tab]);
  // Deep links: the metric and step scale come from the address (#/run/<id>/<tab>?metric=&steps=)
  // and are written back to it as they change.
  const [metric, setMetric] = useState<string>(() => params.get('metric') || 'frobenius_norm');
  const [stepScale, setStepScale] = useState<StepScaleChoice>(() => (params.get('steps') === 'linear' ? 'linear' : 'log'));
  useEffect(() => {
    replaceRouteParams({ metric: metric === 'frobenius_norm' ? null : metric, steps: stepScale === 'log' ? null : stepScale });
  }, [metric, stepScale, tab]);
  // Steps or tokens seen on every step axis (common/charts/step-axis.ts), deep-linked as ?x=tokens.
  const [xUnit, setXUnit] = useState<AxisUnit>(() => (params.get('x') === 'tokens' ? 'tokens' : 'step'));
  useEffect(() => replaceRouteParams({ x: xUnit === 'tokens' ? 'tokens' : null }), [xUnit, tab]);
  const [dataVersion, setDataVersion] = useState(0);

  // The run's checkpoint count from the runs list (refreshed on runs-changed, which the engine says
  // when a shown run's folder gains checkpoints): the page reloads the run and its grids when it
  // changes, so a run still training grows on screen.
  const checkpointCount = runs?.find((r) => r.id === runId)?.checkpointCount ?? null;
  const runCall = useApiCall(() => client.api.getRun({ runId }), [runId, checkpointCount]);
  const seenCount = useRef<number | null>(null);
  useEffect(() => {
    if (checkpointCount !== null && seenCount.current !== null && checkpointCount !== seenCount.current) setDataVersion((v) => v + 1);
    seenCount.current = checkpointCount;
  }, [checkpointCount]);
  // Start the overview's first grid now, in parallel with getRun and listTensors (after getRun,
  // which is quick, so the page frame is not queued behind the grid on the server).
  useEffect(() => {
    void loadGrid(client, runId, metric, dataVersion).catch(() => undefined);
  }, [client, runId, metric, dataVersion]);
  const tensorCall = useApiCall<Response<'listTensors'>>(() => client.api.listTensors({ runId }), [runId, dataVersion]);

  // Reload views when a job of a shown run ends (done, cancelled or failed: partial results count).
  const finished = useRef(new Set<string>());
  useEffect(() => {
    const shown = new Set([runId, ...compare]);
    let bump = false;
    for (const j of jobs.values()) {
      if (!shown.has(j.runId)) continue;
      if ((j.state === 'done' || j.state === 'cancelled' || j.state === 'failed') && !finished.current.has(j.jobId)) {
        finished.current.add(j.jobId);
        bump = true;
      }
    }
    if (bump) setDataVersion((v) => v + 1);
  }, [jobs, runId, compare]);

  // While a job of a shown run computes, reload what is cached every few seconds so the views
  // fill in as results arrive instead of saying "no values" until the job ends.
  const progressed = [...jobs.values()].filter((j) => (j.runId === runId || compare.includes(j.runId)) && j.state === 'running').reduce((n, j) => n + j.done, 0);
  const lastReload = useRef({ at: 0, done: 0 });
  useEffect(() => {
    if (progressed === 0 || progressed === lastReload.current.done) return;
    const wait = Math.max(0, LIVE_RELOAD_MS - (Date.now() - lastReload.current.at));
    const t = setTimeout(() => {
      lastReload.current = { at: Date.now(), done: progressed };
      setDataVersion((v) => v + 1);
    }, wait);
    return () => clearTimeout(t);
  }, [progressed]);

  const metrics = tensorCall.data?.metrics ?? [];
  useEffect(() => {
    if (metrics.length > 0 && !metrics.includes(metric)) setMetric(metrics.includes('frobenius_norm') ? 'frobenius_norm' : metrics[0]);
  }, [metrics, metric]);

  const summary = runs?.find((r) => r.id === runId) ?? null;
  const shownRuns = useMemo(() => {
    const list: RunSummary[] = [];
    if (summary) list.push(summary);
    for (const id of compare) {
      const r = runs?.find((x) => x.id === id);
      if (r) list.push(r);
    }
    // A run the user renamed is called by that name in every view and figure.
    return list.map((r) => (r.alias ? { ...r, name: r.alias } : r));
  }, [summary, compare, runs]);

  if (runCall.error) {
    return (
      <div className="notice error" role="alert">
        Could not open run {runId}: {runCall.error} <a href="#/">Back to runs</a>
      </div>
    );
  }
  const scanned = runCall.data?.run as unknown as RunInfo | undefined;
  if (!scanned) return <p className="muted">Loading run…</p>;
  const run = summary?.alias ? { ...scanned, name: summary.alias } : scanned;

  const present = run.checkpoints.filter((c) => !c.missing);
  const steps = present.map((c) => c.step).filter((s): s is number => s !== null);
  const ctx: RunContext = {
    runId,
    run,
    summary,
    tensors: tensorCall.data?.tensors ?? [],
    metrics,
    runs: shownRuns,
    dataVersion,
    metric,
    setMetric,
    stepScale,
    setStepScale,
    xUnit,
    setXUnit,
    params,
    band,
    groups: seedGroups(shownRuns),
  };

  return (
    <div className="runpage">
      <section className="runhead" aria-label="Run">
        <div className="runtitle">
          <h1>{run.name}</h1>
          <span className="badge">{run.family}</span>
          <span className="badge">{run.layout}</span>
          <span className="meta">
            {present.length} checkpoints
            {run.checkpoints.length > present.length && <span className="warn-text"> ({run.checkpoints.length - present.length} missing)</span>}
            {steps.length > 0 && ` · steps ${formatStep(Math.min(...steps))} – ${formatStep(Math.max(...steps))}`}
            {run.config && ` · ${run.config.layers} layer${run.config.layers === 1 ? '' : 's'} · d=${run.config.hidden}`}
          </span>
        </div>
        {run.warnings.length > 0 && (
          <details className="warnings">
            <summary>
              {run.warnings.length} integrity warning{run.warnings.length > 1 ? 's' : ''}
            </summary>
            <ul>
              {run.warnings.map((w, i) => (
                <li key={i}>
                  <b>{w.kind}</b>: {w.message}
                </li>
              ))}
            </ul>
          </details>
        )}
        {summary?.sweep && <SweepCoverage sweep={summary.sweep} />}
        <AnalyzePanel runId={runId} analysed={summary?.analysed ?? []} />
        <ExportData runId={runId} />
        <RunSelector runs={runs ?? []} runId={runId} compare={compare} setCompare={setCompare} band={band} setBand={setBand} />
      </section>
      <div
        role="tablist"
        aria-label="Views"
        className="tabs"
        onKeyDown={(e) => {
          // WAI-ARIA tabs: Left/Right (and Home/End) move between tabs.
          const i = TABS.findIndex((t) => t.id === tab);
          const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : -1;
          if (next < 0) return;
          e.preventDefault();
          location.hash = runHref(runId, TABS[next].id);
          requestAnimationFrame(() => document.getElementById(`tab-${TABS[next].id}`)?.focus());
        }}
      >
        {TABS.map((t) => (
          <a
            key={t.id}
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            tabIndex={tab === t.id ? 0 : -1}
            aria-controls="tabpanel"
            className={tab === t.id ? 'tab active' : 'tab'}
            href={runHref(runId, t.id)}
          >
            {t.label}
          </a>
        ))}
      </div>
      <section id="tabpanel" role="tabpanel" aria-labelledby={`tab-${tab}`} className="tabpanel">
        {tab === 'overview' && <Overview ctx={ctx} />}
        {tab === 'curves' && <Curves ctx={ctx} />}
        {tab === 'animations' && <Animations ctx={ctx} />}
        {tab === 'svd' && <SvdDirections ctx={ctx} />}
        {tab === 'coupdate' && <CoUpdate ctx={ctx} />}
        {tab === 'outliers' && <Outliers ctx={ctx} />}
        {tab === 'heads' && <Heads ctx={ctx} />}
        {tab === 'probes' && <Probes ctx={ctx} />}
        {tab === 'scaling' && <Scaling ctx={ctx} />}
        {tab === 'embeddings' && <EmbeddingCorrelation ctx={ctx} />}
      </section>
    </div>
  );
}

/** Export the run's cached results (scalars.csv + JSON Lines arrays) into a folder the user picks. */
function ExportData({ runId }: { runId: string }) {
  const { client } = useAppState();
  const [picking, setPicking] = useState(false);
  const [status, setStatus] = useState<{ text: string; error: boolean } | null>(null);
  const run = async (outDir: string) => {
    setStatus({ text: `exporting to ${outDir}…`, error: false });
    try {
      const { files } = await client.api.exportData({ runId, outDir });
      setStatus({ text: `wrote ${files.length} file${files.length === 1 ? '' : 's'} to ${outDir}`, error: false });
    } catch (e) {
      setStatus({ text: errorMessage(e), error: true });
    }
  };
  return (
    <div className="exportrow">
      <button type="button" onClick={() => setPicking(true)}>
        Export data…
      </button>
      <span className="muted">scalars.csv and JSON Lines arrays of everything cached for this run</span>
      {status && (
        <span className={status.error ? 'error-text' : ''} role="status" data-testid="export-status">
          {status.text}
        </span>
      )}
      {picking && (
        <FolderPicker
          title="Export into a folder"
          action="Export here"
          onCancel={() => setPicking(false)}
          onChoose={(path) => {
            setPicking(false);
            void run(path);
          }}
        />
      )}
    </div>
  );
}
