// The "Export" menu every view carries: a button that opens a small menu of the formats that view
// has (GIF for animations, PNG/SVG for figures, CSV for the data behind heatmaps and curves). A
// choice asks the engine (renderExport: the same chart functions as the app, rendered headless)
// for the file, shows "Rendering GIF… n s" on the disabled button meanwhile, and saves the bytes
// as a download (a Blob and an <a download> click: a download in Chromium, the save dialog in
// Electron). A view may also offer a format it builds itself (e.g. a table as CSV) via `local`.
// Keyboard: Enter/Space/ArrowDown open the menu on its first item, arrows move, Escape closes and
// returns focus to the button; a click outside closes it.
// A view showing one weight tensor at one checkpoint may also offer its initialisation
// distribution (`initDist`: the API's initDist, the request schema of `checkpoint-atlas
// init-dist`; docs/INIT_DIST.md), saved as a .safetensors download.
// GIF first opens the options dialog (GifOptions.tsx: frame rate, step range, size); the dialog
// stays open, locked, while the GIF renders, shows a failure inline, and closes on success.
// `switches` add checkable items (role menuitemcheckbox; Enter/Space/click flips one and keeps the
// menu open) whose values go into the request, e.g. the heatmap's change-point marks (renderExport
// changePoints, the CLI's figure --no-change-points); each starts as the view shows it.
import { useEffect, useId, useRef, useState } from 'react';
import type { InitDistRequest } from '../../../common/api';
import { errorMessage, useAppState } from '../context';
import { GifOptions, type GifChoice } from './GifOptions';
import type { ExportFormat, ExportRequest, ExportSwitch, LocalExport } from './export-types';

export type { ExportFormat, ExportRequest, ExportSwitch, LocalExport } from './export-types';

const FORMAT_LABEL: Record<ExportFormat, string> = {
  gif: 'GIF (animation)…',
  png: 'PNG image',
  svg: 'SVG image',
  csv: 'CSV data',
};

/** Save bytes as a download under `filename`. */
export function saveDownload(bytes: BlobPart, mime: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later: the browser reads the blob after the click returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Base64 (the API's transport for file bytes) to bytes. */
export function base64Bytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

interface Props {
  /** Formats rendered by the engine from `request`. */
  formats: ExportFormat[];
  /** The view's current settings; null while the view has nothing to export yet. */
  request: ExportRequest | null;
  /** Formats the view builds itself. */
  local?: LocalExport[];
  /** What is exported, for the button's accessible name ("Export weight histogram of …"). */
  what: string;
  testId?: string;
  /** Per-format request additions (e.g. a step for a single-frame PNG but not for the GIF). */
  extra?: Partial<Record<ExportFormat, Partial<ExportRequest>>>;
  /** Offer the tensor's initialisation distribution at this checkpoint (init-dist). */
  initDist?: InitDistRequest | null;
  /**
   * A view whose files come from another API method (e.g. the scaling view's scalingExport):
   * called instead of renderExport, and GIF is rendered with the view's defaults (no dialog).
   */
  render?: (format: ExportFormat) => Promise<{ filename: string; mime: string; base64: string; bytes: number }>;
  /** Checkable settings of the exported file (e.g. change-point marks on heatmaps). */
  switches?: ExportSwitch[];
}

export function ExportMenu({ formats, request, local = [], what, testId, extra, initDist, render, switches = [] }: Props) {
  const { client } = useAppState();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState<{ format: ExportFormat | 'init-dist'; started: number } | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  /** The GIF options dialog: open, and the failure of its last export. */
  const [gifDialog, setGifDialog] = useState<{ error: string | null; viewElement: HTMLElement | null } | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();
  const items: ExportFormat[] = [...formats, ...local.map((l) => l.format).filter((f) => !formats.includes(f))];
  // Each switch starts (and restarts, when the view's own toggle changes) as the view shows it.
  const initialKey = switches.map((w) => `${w.field}=${w.initial}`).join(',');
  const [switched, setSwitched] = useState<Partial<Record<ExportSwitch['field'], boolean>>>({});
  useEffect(() => setSwitched(Object.fromEntries(switches.map((w) => [w.field, w.initial]))), [initialKey]);

  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => setElapsed(Math.floor((performance.now() - busy.started) / 1000)), 250);
    return () => clearInterval(timer);
  }, [busy]);

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>('[role=menuitem]')?.focus();
    const onDown = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);

  const closeGifDialog = () => {
    refocus.current = true;
    setGifDialog(null);
  };
  // Focus goes back to the button once the dialog is gone and the render state cleared (a
  // disabled button cannot take focus).
  useEffect(() => {
    if (!refocus.current || gifDialog || busy) return;
    refocus.current = false;
    button.current?.focus();
  }, [gifDialog, busy]);

  const saveInitDist = async (req: InitDistRequest) => {
    setOpen(false);
    setMessage(null);
    button.current?.focus();
    setElapsed(0);
    setBusy({ format: 'init-dist', started: performance.now() });
    try {
      const file = await client.api.initDist(req);
      saveDownload(base64Bytes(file.base64), file.mime, file.filename);
      setMessage({ kind: 'ok', text: `saved ${file.filename} (${formatBytes(file.bytes)})` });
    } catch (e) {
      setMessage({ kind: 'error', text: `Init distribution failed: ${errorMessage(e)}` });
    } finally {
      setBusy(null);
    }
  };

  const run = async (format: ExportFormat, gif?: GifChoice) => {
    setOpen(false);
    setMessage(null);
    if (format === 'gif' && formats.includes('gif') && !gif && !render) {
      // The element the view draws: its size is one of the dialog's choices.
      const panel = button.current?.closest<HTMLElement>('.panel') ?? null;
      setGifDialog({ error: null, viewElement: panel?.querySelector<HTMLElement>('.chart') ?? panel });
      return;
    }
    if (!gif) button.current?.focus();
    const own = local.find((l) => l.format === format);
    if (own && !formats.includes(format)) {
      try {
        const file = own.make();
        saveDownload(file.text, file.mime, file.filename);
        setMessage({ kind: 'ok', text: `saved ${file.filename}` });
      } catch (e) {
        setMessage({ kind: 'error', text: `Export failed: ${errorMessage(e)}` });
      }
      return;
    }
    if (!request && !render) return;
    setElapsed(0);
    setBusy({ format, started: performance.now() });
    try {
      const file = render ? await render(format) : await client.api.renderExport({ ...request!, ...(extra?.[format] ?? {}), ...(gif ?? {}), ...switched, format });
      saveDownload(base64Bytes(file.base64), file.mime, file.filename);
      setMessage({ kind: 'ok', text: `saved ${file.filename} (${formatBytes(file.bytes)})` });
      if (gif) closeGifDialog();
    } catch (e) {
      const text = `Export ${format.toUpperCase()} failed: ${errorMessage(e)}`;
      setMessage({ kind: 'error', text });
      if (gif) setGifDialog((d) => d && { ...d, error: text });
    } finally {
      setBusy(null);
    }
  };

  const onMenuKey = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const entries = [...(menu.current?.querySelectorAll<HTMLButtonElement>('[role=menuitem], [role=menuitemcheckbox]') ?? [])];
    const at = entries.indexOf(document.activeElement as HTMLButtonElement);
    let next = -1;
    if (e.key === 'ArrowDown') next = (at + 1) % entries.length;
    else if (e.key === 'ArrowUp') next = (at - 1 + entries.length) % entries.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = entries.length - 1;
    else if (e.key === 'Escape' || e.key === 'Tab') {
      if (e.key === 'Escape') e.preventDefault();
      setOpen(false);
      button.current?.focus();
      return;
    } else return;
    e.preventDefault();
    entries[next]?.focus();
  };

  const disabled = busy !== null || (!request && !render && local.length === 0 && !initDist);
  return (
    <span className="export" data-testid={testId} onKeyDown={(e) => e.stopPropagation()}>
      <button
        ref={button}
        type="button"
        className="export-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-label={busy ? `Rendering ${busy.format.toUpperCase()}, ${elapsed} seconds` : `Export ${what}`}
        disabled={disabled}
        data-testid="export-button"
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        {busy ? `Rendering ${busy.format.toUpperCase()}… ${elapsed} s` : 'Export ▾'}
      </button>
      {open && (
        <div ref={menu} id={menuId} className="export-menu" role="menu" aria-label={`Export ${what} as`} onKeyDown={onMenuKey}>
          {items.map((f) => (
            <button key={f} type="button" role="menuitem" tabIndex={-1} data-format={f} onClick={() => void run(f)} disabled={formats.includes(f) && !request && !render}>
              {FORMAT_LABEL[f]}
            </button>
          ))}
          {switches.map((w) => (
            <button
              key={w.field}
              type="button"
              role="menuitemcheckbox"
              aria-checked={switched[w.field] ?? w.initial}
              tabIndex={-1}
              data-switch={w.field}
              title={w.title}
              onClick={() => setSwitched((v) => ({ ...v, [w.field]: !(v[w.field] ?? w.initial) }))}
            >
              <span aria-hidden="true">{(switched[w.field] ?? w.initial) ? '☑' : '☐'}</span> {w.label}
            </button>
          ))}
          {initDist && (
            <button type="button" role="menuitem" tabIndex={-1} data-format="init-dist" onClick={() => void saveInitDist(initDist)} title="The tensor's empirical quantile function at this checkpoint, to initialise a new model from (docs/INIT_DIST.md)">
              Init distribution (.safetensors)
            </button>
          )}
        </div>
      )}
      <span className="export-status" role="status" aria-live="polite" data-testid="export-message">
        {message && <span className={message.kind === 'error' ? 'error-text' : 'muted'}>{message.text}</span>}
      </span>
      {gifDialog && request && (
        <GifOptions
          request={{ ...request, ...(extra?.gif ?? {}) }}
          what={what}
          busy={busy?.format === 'gif'}
          elapsed={elapsed}
          error={gifDialog.error}
          viewElement={gifDialog.viewElement}
          onExport={(choice) => {
            setGifDialog((d) => d && { ...d, error: null });
            void run('gif', choice);
          }}
          onCancel={closeGifDialog}
        />
      )}
    </span>
  );
}
