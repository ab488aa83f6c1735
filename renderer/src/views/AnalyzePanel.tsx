// The Analyze control: pick analyses and threads, start a job; shows every job of this run with a
// progress bar, ETA, the provider that computes, and Cancel. Fed by job events (the app state
// re-lists jobs on reconnect).
import { useState } from 'react';
import type { AnalysisKind, JobState } from '../../../common/api';
import { errorMessage, useAppState } from '../context';

const ANALYSES: Array<{ id: AnalysisKind; label: string; title: string }> = [
  { id: 'weights', label: 'Weights', title: 'norms, moments, distances, fixed-bin histograms' },
  { id: 'fits', label: 'Fits', title: 'Gaussian, logistic and Student-t fits (KS, nu) and QQ plots' },
  { id: 'spectra', label: 'Spectra', title: 'singular values and spectral scalars of every matrix' },
  { id: 'embedding', label: 'Embedding', title: 'correlation between embedding rows 0..255' },
  { id: 'svd-directions', label: 'SVD directions', title: 'top singular directions through the unembedding' },
  { id: 'activations', label: 'Activations', title: 'forward pass on the probe batch (residual stream, loss)' },
  { id: 'gradients', label: 'Gradients', title: 'backward pass on the probe batch' },
];

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'ETA –';
  if (seconds < 60) return `ETA ${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `ETA ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `ETA ${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function AnalyzePanel({ runId, analysed }: { runId: string; analysed: AnalysisKind[] }) {
  const { client, jobs } = useAppState();
  const [chosen, setChosen] = useState<AnalysisKind[]>(['weights', 'fits']);
  const [threads, setThreads] = useState(Math.max(1, (navigator.hardwareConcurrency || 2) - 1));
  const [error, setError] = useState<string | null>(null);
  const runJobs = [...jobs.values()].filter((j) => j.runId === runId).sort((a, b) => b.startedAt - a.startedAt);
  const active = runJobs.filter((j) => j.state === 'queued' || j.state === 'running');
  const recent = runJobs.filter((j) => j.state !== 'queued' && j.state !== 'running').slice(0, 1);

  const start = async () => {
    setError(null);
    try {
      await client.api.startAnalysis({ runId, analyses: chosen, threads });
    } catch (e) {
      setError(errorMessage(e));
    }
  };

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
        <button
          type="button"
          className="primary"
          onClick={() => void start()}
          disabled={chosen.length === 0 || active.length > 0}
          title={active.length > 0 ? 'An analysis of this run is running: wait for it or cancel it below' : undefined}
          data-testid="start-analysis"
        >
          {active.length > 0 ? 'Running…' : 'Start'}
        </button>
      </fieldset>
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
        {job.provider && <span className="badge">{job.provider}</span>}
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
        {job.skipped > 0 && <span> · {job.skipped} cached, not recomputed</span>}
        {job.error && <span className="error-text"> · {job.error}</span>}
        {job.warnings.length > 0 && <span className="warn-text"> · {job.warnings.length} warning(s): {job.warnings[0]}</span>}
      </div>
    </div>
  );
}
