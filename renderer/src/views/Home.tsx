// Home: every run the engine knows (bundled demo, Hugging Face cache, folders opened), with
// checkpoint counts, step range and integrity warnings; opening a folder by drag-and-drop (desktop)
// or through the folder picker built on the `browse` method (desktop and browser); each run can be
// renamed or removed from the library (components/RunActions.tsx).
import { useState } from 'react';
import type { RunSummary } from '../../../common/api';
import { formatStep } from '../../../common/charts/format';
import { runHref } from '../routes';
import { errorMessage, useApiCall, useAppState } from '../context';
import { FolderPicker } from './FolderPicker';
import { runLabel } from '../../../common/run-label';
import { RunActions } from '../components/RunActions';

interface OpenResult {
  opened: RunSummary[];
  errors: Array<{ path: string; message: string }>;
  note?: string;
}

export function Home() {
  const { client, runs, runsError, refreshRuns } = useAppState();
  const [picking, setPicking] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [result, setResult] = useState<OpenResult | null>(null);
  const [busy, setBusy] = useState(false);

  const open = async (paths: string[]) => {
    setBusy(true);
    try {
      const r = await client.api.openPaths({ paths });
      setResult({
        opened: r.runs,
        errors: r.errors,
        note: r.runs.length === 0 && r.errors.length === 0 ? `No checkpoint series found in ${paths.join(', ')}.` : undefined,
      });
      await refreshRuns();
      // One run found: go to it (the list stays one click away in the breadcrumb).
      if (r.runs.length === 1 && r.errors.length === 0) location.hash = runHref(r.runs[0].id);
    } catch (e) {
      setResult({ opened: [], errors: paths.map((p) => ({ path: p, message: errorMessage(e) })) });
    } finally {
      setBusy(false);
    }
  };

  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...e.dataTransfer.files];
    const paths = files.map((f) => client.pathForFile(f)).filter((p): p is string => !!p);
    if (paths.length > 0) void open(paths);
    else
      setResult({
        opened: [],
        errors: [],
        note: 'The browser does not reveal where a dropped folder lives. Use “Open folder…” instead (or drop it on the desktop app).',
      });
  };

  return (
    <div
      className={`home ${dragging ? 'dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <div className="toolbar">
        <h1>Runs</h1>
        <button type="button" onClick={() => setPicking(true)} disabled={busy}>
          Open folder…
        </button>
        <span className="hint">or drop a checkpoint folder anywhere on this page</span>
      </div>
      {result && (
        <div className={`notice ${result.errors.length || result.note ? 'warn' : 'ok'}`} role="status" data-testid="open-result">
          {result.opened.length > 0 && <p>Opened {result.opened.map((r) => runLabel(r)).join(', ')}.</p>}
          {result.note && <p>{result.note}</p>}
          {result.errors.map((e) => (
            <p key={e.path}>
              <code>{e.path}</code>: {e.message}
            </p>
          ))}
          <button type="button" className="link" onClick={() => setResult(null)} aria-label="Dismiss message">
            dismiss
          </button>
        </div>
      )}
      {runsError && (
        <div className="notice error" role="alert">
          Could not list runs: {runsError}
        </div>
      )}
      {runs === null && !runsError && <p className="muted">Loading runs…</p>}
      {runs !== null && runs.length === 0 && <p className="muted">No runs yet. Open a folder of checkpoints.</p>}
      {runs !== null && runs.length > 0 && <RunTable runs={runs} />}
      <AppFooter />
      {picking && (
        <FolderPicker
          onCancel={() => setPicking(false)}
          onChoose={(path) => {
            setPicking(false);
            void open([path]);
          }}
        />
      )}
    </div>
  );
}

const SOURCE_LABEL: Record<RunSummary['source'], string> = { demo: 'demo', 'hf-cache': 'HF cache', opened: 'opened' };

function RunTable({ runs }: { runs: RunSummary[] }) {
  const order: RunSummary['source'][] = ['demo', 'hf-cache', 'opened'];
  const sorted = [...runs].sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source) || runLabel(a).localeCompare(runLabel(b)));
  return (
    <table className="runs" data-testid="runs-table">
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Source</th>
          <th scope="col">Family</th>
          <th scope="col">Layout</th>
          <th scope="col" className="num">
            Checkpoints
          </th>
          <th scope="col">Steps</th>
          <th scope="col" className="num">
            Warnings
          </th>
          <th scope="col">Analysed</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((r) => (
          <tr key={r.id} data-testid="run-row" data-run-id={r.id}>
            <th scope="row">
              <a href={runHref(r.id)} title={r.root}>
                {runLabel(r)}
              </a>
              {r.alias && (
                <span className="sub" data-testid="scanned-name">
                  {' '}
                  ({r.name})
                </span>
              )}
              <div className="sub path" data-testid="run-path">
                {r.root}
                {r.folderMissing && (
                  <span className="warn-text" data-testid="folder-missing">
                    {' '}
                    (folder missing: cached results only)
                  </span>
                )}
              </div>
              <div className="sub">{r.summary}</div>
            </th>
            <td>
              <span className={`badge src-${r.source}`}>{SOURCE_LABEL[r.source]}</span>
            </td>
            <td>{r.family}</td>
            <td>{r.layout}</td>
            <td className="num" data-testid="checkpoint-count">
              {r.checkpointCount}
              {r.missingCount > 0 && <span className="warn-text"> (+{r.missingCount} missing)</span>}
            </td>
            <td>{r.firstStep === null ? '–' : r.firstStep === r.lastStep ? formatStep(r.firstStep) : `${formatStep(r.firstStep)} – ${formatStep(r.lastStep ?? r.firstStep)}`}</td>
            <td className="num">{r.warningCount > 0 ? <span className="warn-text">{r.warningCount}</span> : '0'}</td>
            <td className="analysed">{r.analysed.length ? r.analysed.join(', ') : <span className="muted">none yet</span>}</td>
            <td>
              <RunActions run={r} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Where the cache lives and which compute providers the engine found: what a user asks first. */
function AppFooter() {
  const { client } = useAppState();
  const info = useApiCall(() => client.api.appInfo({}), [client]);
  if (!info.data) return null;
  return (
    <footer className="appfooter" data-testid="app-info">
      Checkpoint Atlas {info.data.version} · cache <code>{info.data.dbPath}</code> · compute providers: {info.data.providers.join(', ') || 'none'}
      {info.data.providersPassedOver?.length ? <> (passed over: {info.data.providersPassedOver.map((p) => `${p.provider}: ${p.reason}`).join('; ')})</> : null} · {info.data.platform} ·{' '}
      {info.data.carrier === 'http' ? 'served on 127.0.0.1' : 'desktop'}
    </footer>
  );
}
