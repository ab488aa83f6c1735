// The run list's per-run actions (issue 15 #7): rename (a name of the user's, shown instead of the
// scanned one everywhere in the app; empty restores it) and remove from the library (the cached
// results go, the checkpoint files stay), the latter behind a confirmation dialog. Both keyboard
// operable: Enter saves and Escape cancels the rename field; the dialog opens on Cancel, Escape
// closes it, and focus returns to the button that opened it.
import { useEffect, useRef, useState } from 'react';
import { RUN_ALIAS_MAX, type RunSummary } from '../../../common/api';
import { runLabel } from '../../../common/run-label';
import { errorMessage, useAppState } from '../context';


export function RunActions({ run }: { run: RunSummary }) {
  const { client, refreshRuns } = useAppState();
  const [mode, setMode] = useState<'idle' | 'rename' | 'remove'>('idle');
  const [error, setError] = useState<string | null>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const removeButton = useRef<HTMLButtonElement>(null);
  const label = runLabel(run);

  const close = (focus: React.RefObject<HTMLButtonElement | null>) => {
    setMode('idle');
    // after the form/dialog unmounts
    setTimeout(() => focus.current?.focus(), 0);
  };

  return (
    <div className="run-actions">
      {mode === 'rename' ? (
        <RenameForm
          run={run}
          onDone={async (alias) => {
            if (alias === null) return close(renameButton);
            try {
              await client.api.renameRun({ runId: run.id, alias });
              setError(null);
              await refreshRuns();
              close(renameButton);
            } catch (e) {
              setError(errorMessage(e));
            }
          }}
        />
      ) : (
        <>
          <button type="button" ref={renameButton} onClick={() => setMode('rename')} aria-label={`Rename ${label}`} data-testid="rename-run">
            Rename
          </button>
          <button type="button" ref={removeButton} onClick={() => setMode('remove')} aria-label={`Remove ${label} from the library`} data-testid="remove-run">
            Remove…
          </button>
        </>
      )}
      {mode === 'remove' && (
        <RemoveDialog
          run={run}
          onCancel={() => close(removeButton)}
          onConfirm={async () => {
            try {
              await client.api.removeRun({ runId: run.id });
              setError(null);
              setMode('idle');
              await refreshRuns();
            } catch (e) {
              setError(errorMessage(e));
              close(removeButton);
            }
          }}
        />
      )}
      {error && (
        <p className="warn-text" role="alert" data-testid="run-action-error">
          {error}
        </p>
      )}
    </div>
  );
}

function RenameForm({ run, onDone }: { run: RunSummary; onDone: (alias: string | null) => void | Promise<void> }) {
  const [value, setValue] = useState(runLabel(run));
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  return (
    <form
      className="rename-form"
      onSubmit={(e) => {
        e.preventDefault();
        void onDone(value);
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          void onDone(null);
        }
      }}
    >
      <label>
        <span className="sub">Name for {run.name} (empty: the folder's name)</span>
        <input ref={input} value={value} maxLength={RUN_ALIAS_MAX} onChange={(e) => setValue(e.target.value)} data-testid="rename-input" />
      </label>
      <button type="submit">Save</button>
      <button type="button" onClick={() => void onDone(null)}>
        Cancel
      </button>
    </form>
  );
}

function RemoveDialog({ run, onCancel, onConfirm }: { run: RunSummary; onCancel: () => void; onConfirm: () => void | Promise<void> }) {
  const cancel = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => cancel.current?.focus(), []);
  const title = `Remove ${runLabel(run)} from the library?`;
  return (
    <div className="modal-backdrop" onClick={onCancel}>
      <div
        className="modal narrow"
        role="alertdialog"
        aria-modal="true"
        aria-label={title}
        aria-describedby={`remove-${run.id}-what`}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === 'Escape' && onCancel()}
        data-testid="remove-dialog"
      >
        <h2>{title}</h2>
        <p id={`remove-${run.id}-what`}>
          Its cached results ({run.analysed.length ? run.analysed.join(', ') : 'none yet'}) are deleted from this app's cache. The checkpoint files in{' '}
          <code>{run.root}</code> are not touched; opening that folder again brings the run back{run.analysed.length ? ' (to be analysed again)' : ''}.
        </p>
        <div className="actions">
          <button type="button" ref={cancel} onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className="danger"
            disabled={busy}
            data-testid="confirm-remove"
            onClick={async () => {
              setBusy(true);
              await onConfirm();
            }}
          >
            Remove from library
          </button>
        </div>
      </div>
    </div>
  );
}
