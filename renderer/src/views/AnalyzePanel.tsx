// The Analyze control: pick analyses, threads and which checkpoints (the same Steps / every syntax
// as `analyze --steps --every`, common/subset.ts), see the estimate of time and peak memory before
// starting (a sweep that would not fit is refused unless started anyway), start a job; shows every
// job of this run with a progress bar, ETA, the provider that computes, Cancel, and once it ends
// what it took against the estimate. Fed by job events (the app state re-lists jobs on reconnect).
import { useEffect, useState } from 'react';
import type { AnalysisKind, CheckpointSubset, JobState, SweepEstimate } from '../../../common/api';
import { parseEvery, parseStepsSpec } from '../../../common/subset';
import { ApiError } from '../api-client';
import { errorMessage, useAppState } from '../context';

const ANALYSES: Array<{ id: AnalysisKind; label: string; title: string }> = [
  { id: 'weights', label: 'Weights', title: 'norms, moments, distances, fixed-bin histograms' },
  { id: 'fits', label: 'Fits', title: 'Gaussian, logistic and Student-t fits (KS, nu) and QQ plots' },
  { id: 'spectra', label: 'Spectra', title: 'singular values and spectral scalars of every matrix' },
  { id: 'embedding', label: 'Embedding', title: 'correlation between embedding rows 0..255' },
  { id: 'svd-directions', label: 'SVD directions', title: 'top singular directions through the unembedding' },
  { id: 'activations', label: 'Activations', title: 'forward pass on the probe batch (residual stream, loss)' },
  { id: 'gradients', label: 'Gradients', title: 'backward pass on the probe batch' },
  { id: 'head-spectra', label: 'Head spectra', title: "every attention head's Q, K, V singular values against the Marchenko-Pastur bulk and its shuffled entries" },
  { id: 'head-updates', label: 'Head updates', title: "how far each attention head's Q, K, V and O slices moved per step since the previous checkpoint (the Co-update tab's heads)" },
];

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'ETA –';
  if (seconds < 60) return `ETA ${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `ETA ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `ETA ${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function formatBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GB` : `${Math.round(b / 2 ** 20)} MB`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** The Steps and every fields as a subset, or the message of what is wrong with them. */
function subsetOf(steps: string, every: string): { subset?: CheckpointSubset; error?: string } {
  try {
    const k = parseEvery(every);
    const subset: CheckpointSubset = { ...parseStepsSpec(steps), ...(k ? { every: k } : {}) };
    return { subset: Object.keys(subset).length ? subset : undefined };
  } catch (e) {
    return { error: errorMessage(e) };
  }
}

export function AnalyzePanel({ runId, analysed }: { runId: string; analysed: AnalysisKind[] }) {
  const { client, jobs } = useAppState();
  const [chosen, setChosen] = useState<AnalysisKind[]>(['weights', 'fits']);
  const [threads, setThreads] = useState(Math.max(1, (navigator.hardwareConcurrency || 2) - 1));
  const [steps, setSteps] = useState('');
  const [every, setEvery] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [tooLarge, setTooLarge] = useState(false);
  const [estimate, setEstimate] = useState<SweepEstimate | null>(null);
  const { subset, error: subsetError } = subsetOf(steps, every);
  const subsetKey = JSON.stringify(subset ?? null);
  const busy = [...jobs.values()].some((j) => j.runId === runId && (j.state === 'queued' || j.state === 'running'));

  // The estimate follows the choices (after a short pause while typing) and each finished job.
  useEffect(() => {
    setEstimate(null);
    setTooLarge(false);
    if (!chosen.length || subsetError || busy) return;
    let live = true;
    const timer = setTimeout(() => {
      client.api
        .estimateAnalysis({ runId, analyses: chosen, threads, ...(subset ? { subset } : {}) })
        .then((e) => live && setEstimate(e))
        .catch((e: unknown) => live && setError(errorMessage(e)));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, runId, chosen.join(','), threads, subsetKey, subsetError, busy]);
  const runJobs = [...jobs.values()].filter((j) => j.runId === runId).sort((a, b) => b.startedAt - a.startedAt);
  const active = runJobs.filter((j) => j.state === 'queued' || j.state === 'running');
  const recent = runJobs.filter((j) => j.state !== 'queued' && j.state !== 'running').slice(0, 1);

  const start = async (force = false) => {
    setError(null);
    try {
      await client.api.startAnalysis({ runId, analyses: chosen, threads, ...(subset ? { subset } : {}), ...(force ? { force: true } : {}) });
      setTooLarge(false);
    } catch (e) {
      setError(errorMessage(e));
      setTooLarge(e instanceof ApiError && e.code === 'too-large');
    }
  };
  const wontFit = tooLarge || (estimate !== null && !estimate.fits);

  return (
    <div className="analyze" aria-label="Analyze">
      <fieldset>
        <legend>Analyze</legend>
        {ANALYSES.map((a) => (
          <label key={a.id} className="check" title={a.title}>
            <input
              type="checkbox"
              name="analysis"
              value={a.id}
              checked={chosen.includes(a.id)}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, a.id] : chosen.filter((x) => x !== a.id))}
            />
            {a.label}
            {analysed.includes(a.id) && (
              <span className="done-mark" aria-label="cached">
                ✓
              </span>
            )}
          </label>
        ))}
        <label className="threads">
          threads
          <input type="number" min={1} max={256} value={threads} onChange={(e) => setThreads(Math.max(1, Math.min(256, Number(e.target.value) || 1)))} />
        </label>
        <label className="steps" title="Which checkpoints: empty for all, A:B for a range of steps (either end may be empty), or a list such as 0,1000,143000. Checkpoints left out can be analysed later; nothing stored is recomputed.">
          steps
          <input type="text" name="steps" placeholder="all" value={steps} onChange={(e) => setSteps(e.target.value)} aria-invalid={subsetError ? true : undefined} data-testid="analyze-steps" />
        </label>
        <label className="every" title="Only every K-th of the selected checkpoints, starting with the first">
          every
          <input type="number" name="every" min={1} placeholder="1" value={every} onChange={(e) => setEvery(e.target.value)} data-testid="analyze-every" />
        </label>
        <button
          type="button"
          className="primary"
          onClick={() => void start(false)}
          disabled={chosen.length === 0 || !!subsetError || wontFit || active.length > 0}
          title={active.length > 0 ? 'An analysis of this run is running: wait for it or cancel it below' : undefined}
          data-testid="start-analysis"
        >
          {active.length > 0 ? 'Running…' : 'Start'}
        </button>
        {wontFit && (
          <button type="button" onClick={() => void start(true)} disabled={chosen.length === 0 || !!subsetError || active.length > 0} data-testid="start-anyway" title="Start although the estimated peak memory exceeds what is free">
            Start anyway
          </button>
        )}
      </fieldset>
      {subsetError && (
        <p className="notice error" role="alert">
          {subsetError}
        </p>
      )}
      {estimate && !subsetError && (
        <p className={`estimate ${estimate.fits ? '' : 'notice error'}`} role={estimate.fits ? 'status' : 'alert'} data-testid="analyze-estimate" data-fits={String(estimate.fits)}>
          Estimate: {estimate.message}
        </p>
      )}
      {error && (
        <p className="notice error" role="alert">
          {error}
        </p>
      )}
      {[...active, ...recent].map((j) => (
        <JobProgress key={j.jobId} job={j} />
      ))}
    </div>
  );
}

function JobProgress({ job }: { job: JobState }) {
  const { client } = useAppState();
  const fraction = job.total > 0 ? job.done / job.total : 0;
  const pct = Math.round(fraction * 1000) / 10;
  const running = job.state === 'queued' || job.state === 'running';
  return (
    <div className={`job job-${job.state}`} data-testid="job" data-job-id={job.jobId} data-state={job.state}>
      <div className="jobline">
        <span className="jobname">{job.analyses.join(' + ')}</span>
        <div
          className="progress"
          role="progressbar"
          aria-label={`Analysis progress: ${job.analyses.join(', ')}`}
          aria-valuemin={0}
          aria-valuemax={job.total}
          aria-valuenow={job.done}
          data-testid="job-progress"
        >
          <div className="bar" style={{ width: `${pct}%` }} />
        </div>
        <span className="jobnums">
          {job.done}/{job.total} ({pct}%)
        </span>
        <span className="jobstate">{running ? formatEta(job.etaSeconds) : job.state}</span>
        {job.provider && (
          <span className="badge" data-testid="job-provider" title={job.providerNote ?? undefined}>
            {job.provider}
          </span>
        )}
        {job.provider && job.providerNote && <span className="providernote">{job.providerNote}</span>}
        {running && (
          <button type="button" onClick={() => void client.api.cancelJob({ jobId: job.jobId })}>
            Cancel
          </button>
        )}
      </div>
      <div className="jobdetail">
        {job.current && running && (
          <span>
            {job.current.checkpoint}
            {job.current.tensor ? ` · ${job.current.tensor}` : ''}
          </span>
        )}
        {job.subset && <span> · {job.subset}</span>}
        {job.skipped > 0 && <span> · {job.skipped} cached, not recomputed</span>}
        {!running && job.measured && job.estimate && job.estimate.units > 0 && (
          <span data-testid="job-measured">
            {' '}
            · took {formatSeconds(job.measured.seconds)} (estimated {formatSeconds(job.estimate.seconds)}), peak {formatBytes(job.measured.peakBytes)} (estimated {formatBytes(job.estimate.peakBytes)})
          </span>
        )}
        {job.error && <span className="error-text"> · {job.error}</span>}
        {job.warnings.length > 0 && <span className="warn-text"> · {job.warnings.length} warning(s): {job.warnings[0]}</span>}
      </div>
    </div>
  );
}
