// Folder picker built on the `browse` method (the browser cannot reveal local paths): a modal
// listing sub-folders, the parent, and the filesystem roots; fully keyboard-operable.
import { useEffect, useRef, useState } from 'react';
import type { Response } from '../../../common/api';
import { errorMessage, useAppState } from '../context';

export function FolderPicker({
  onChoose,
  onCancel,
  title = 'Open a checkpoint folder',
  action = 'Open this folder',
}: {
  onChoose: (path: string) => void;
  onCancel: () => void;
  title?: string;
  action?: string;
}) {
  const { client } = useAppState();
  const [listing, setListing] = useState<Response<'browse'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const dialog = useRef<HTMLDivElement>(null);

  // A listing that arrives after the user started typing must not overwrite what they typed,
  // and only the latest request's answer counts.
  const seq = useRef(0);
  const edited = useRef(false);
  const go = async (path?: string): Promise<Response<'browse'> | null> => {
    const mine = ++seq.current;
    edited.current = false;
    try {
      const r = await client.api.browse(path === undefined ? {} : { path });
      if (mine !== seq.current) return null;
      setListing(r);
      if (!edited.current) setTyped(r.path);
      setError(null);
      return r;
    } catch (e) {
      if (mine === seq.current) setError(errorMessage(e));
      return null;
    }
  };
  // The action acts on the folder in the path field: a typed path not yet listed is listed first
  // (and nothing is opened when it does not exist), never the folder listed before.
  const choose = async () => {
    const want = typed.trim();
    if (listing && (want === '' || want === listing.path) && !error) return onChoose(listing.path);
    const r = await go(want);
    if (r) onChoose(r.path);
  };

  useEffect(() => {
    void go();
    dialog.current?.focus();
  }, []);

  const dirs = listing?.entries.filter((e) => e.isDir) ?? [];
  return (
    <div className="modal-backdrop" onClick={onCancel}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        ref={dialog}
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === 'Escape' && onCancel()}
      >
        <h2>{title}</h2>
        <form
          className="pathbar"
          onSubmit={(e) => {
            e.preventDefault();
            void go(typed);
          }}
        >
          <label htmlFor="picker-path">Folder</label>
          <input
            id="picker-path"
            value={typed}
            onChange={(e) => {
              edited.current = true;
              setTyped(e.target.value);
            }}
            spellCheck={false}
          />
          <button type="submit">Go</button>
        </form>
        {listing && listing.roots.length > 1 && (
          <div className="roots">
            {listing.roots.map((r) => (
              <button type="button" key={r} className="chip" onClick={() => void go(r)}>
                {r}
              </button>
            ))}
          </div>
        )}
        {error && (
          <p className="notice error" role="alert">
            {error}
          </p>
        )}
        <ul className="entries" aria-label="Sub-folders">
          {listing?.parent && (
            <li>
              <button type="button" className="entry" onClick={() => void go(listing.parent!)}>
                ../ (parent folder)
              </button>
            </li>
          )}
          {dirs.map((d) => (
            <li key={d.path}>
              <button type="button" className="entry" onClick={() => void go(d.path)} onDoubleClick={() => onChoose(d.path)}>
                {d.name}/
              </button>
            </li>
          ))}
          {listing && dirs.length === 0 && <li className="muted">No sub-folders.</li>}
        </ul>
        <div className="actions">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="primary" disabled={!listing && typed.trim() === ''} onClick={() => void choose()} data-testid="picker-choose">
            {action}
          </button>
        </div>
      </div>
    </div>
  );
}
