// The GIF options dialog of the Export menu (ExportMenu.tsx): frame rate, step range and size of
// an animated export, with the resulting number of frames and play time shown live. The frame
// count is the engine's own rule (gif-frame-index.ts: one frame per checkpoint within the
// inclusive step range that has a cached frame; for a comparison, one per position of the shared
// timeline, by step or tokens seen, by the exporter's function), counted from the runs'
// checkpoints (getRun) and frame series (frames), so the dialog says what the file will hold. The last choices
// are kept for the browser session (sessionStorage: fps and size for every view, the step range
// per run). Keyboard: focus starts on the frame rate, Tab stays inside the dialog, Enter exports
// from any field, Escape cancels; while the GIF renders the fields are locked (the request cannot
// be aborted) and a failure is shown inline in the engine's words.
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { EXPORT_LIMITS } from '../../../common/api';
import type { GifFrameIndex } from '../../../common/charts/compare-timeline';
import { formatStep } from '../../../common/charts';
import { errorMessage, useAppState } from '../context';
import type { ExportRequest } from './export-types';
import { loadGifFrameIndex } from './gif-frame-index';

export { framesInRange } from './gif-frame-index';

/** What the dialog adds to the view's request. */
export interface GifChoice {
  fps: number;
  /** Inclusive step range; omitted when every checkpoint is wanted (the engine's default). */
  steps?: [number, number];
  /** The same in tokens seen, for a comparison aligned by tokens (renderExport's tokenRange). */
  tokenRange?: [number, number];
  width: number;
  height: number;
}

/** The one set of export limits (common/api.ts EXPORT_LIMITS: the schema and the engine use them too). */
export const GIF_FPS_MIN = EXPORT_LIMITS.fps.min;
export const GIF_FPS_MAX = EXPORT_LIMITS.fps.max;
export const GIF_FPS_DEFAULT = EXPORT_LIMITS.fps.default;
const MIN_WIDTH = EXPORT_LIMITS.width.min;
const MIN_HEIGHT = EXPORT_LIMITS.height.min;
const MAX_SIDE = EXPORT_LIMITS.width.max;

/** Fixed size presets offered besides the view's own export size and its size on screen. */
const PRESETS: ReadonlyArray<{ width: number; height: number }> = [
  { width: 640, height: 480 },
  { width: 800, height: 600 },
  { width: 1280, height: 720 },
];


/** GIF frame delays are whole centiseconds: the engine rounds 100/fps (gif.ts), so play time uses the rounded delay. */
export function gifDelayCentiseconds(fps: number): number {
  return Math.round(100 / fps);
}

/** "32 frames, 3.2 s at 10 fps" for a frame count and rate. */
export function gifSummary(frames: number, fps: number): string {
  const seconds = (frames * gifDelayCentiseconds(fps)) / 100;
  const text = Number.isInteger(seconds * 10) ? seconds.toFixed(1) : seconds.toFixed(2);
  return `${frames} ${frames === 1 ? 'frame' : 'frames'}, ${text} s at ${fps} fps`;
}

// ------------------------------------------------------------------ session memory

interface Remembered {
  fps: number;
  /** A size key (see sizeKey) or 'screen'. */
  size: string;
  /** Per run (or comparison; see rangeKey): the chosen [from, to] steps or tokens. */
  ranges: Record<string, [number, number]>;
}

const STORAGE_KEY = 'atlas.gifOptions';
let memory: Remembered | null = null;

function recall(): Remembered | null {
  if (memory) return memory;
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (raw) memory = JSON.parse(raw) as Remembered;
  } catch {
    // No storage (or a malformed entry): the defaults apply.
  }
  return memory;
}

function remember(next: Remembered): void {
  memory = next;
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  } catch {
    // Storage refused (quota, privacy mode): the in-memory copy still lasts this page's life.
  }
}

const sizeKey = (s: { width: number; height: number }): string => `${s.width}x${s.height}`;

interface Props {
  request: ExportRequest;
  what: string;
  /** Set while the GIF renders (the dialog locks its fields and shows the elapsed seconds). */
  busy: boolean;
  elapsed: number;
  /** The failure of the last export from this dialog, in the engine's words. */
  error: string | null;
  onExport: (choice: GifChoice) => void;
  onCancel: () => void;
  /** The element the view draws (its size is offered as "as on screen"). */
  viewElement: HTMLElement | null;
}

export function GifOptions({ request, what, busy, elapsed, error, onExport, onCancel, viewElement }: Props) {
  const { client } = useAppState();
  const dialog = useRef<HTMLDivElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const ids = useId();
  const titleId = `${ids}-title`;
  const summaryId = `${ids}-summary`;

  const [index, setIndex] = useState<GifFrameIndex | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  // Sizes: the view's own export size (the default), its size on screen, then the presets.
  const sizes = useMemo(() => {
    const out: Array<{ key: string; width: number; height: number; label: string }> = [];
    const add = (key: string, width: number, height: number, label: string) => {
      if (!out.some((s) => s.width === width && s.height === height)) out.push({ key, width, height, label });
    };
    if (request.width && request.height) add(sizeKey({ width: request.width, height: request.height }), request.width, request.height, `${request.width} × ${request.height} (view default)`);
    const box = viewElement?.getBoundingClientRect();
    if (box) {
      const width = Math.min(MAX_SIDE, Math.round(box.width));
      const height = Math.min(MAX_SIDE, Math.round(box.height));
      if (width >= MIN_WIDTH && height >= MIN_HEIGHT) add('screen', width, height, `${width} × ${height} (as on screen)`);
    }
    for (const p of PRESETS) add(sizeKey(p), p.width, p.height, `${p.width} × ${p.height}`);
    return out;
  }, [request.width, request.height, viewElement]);

  const remembered = recall();
  const [fpsText, setFpsText] = useState(String(remembered?.fps ?? GIF_FPS_DEFAULT));
  const [size, setSize] = useState(() => (remembered && sizes.some((s) => s.key === remembered.size) ? remembered.size : sizes[0]?.key ?? ''));
  // Range as indices into index.steps; null until the checkpoints are known.
  const [range, setRange] = useState<[number, number] | null>(null);

  // Ranges are remembered per run, and apart for a comparison aligned by tokens (its values are tokens).
  const rangeKey = `${request.runId}${request.compare?.length ? `+${request.compare.join(',')}` : ''}${request.align === 'tokens' ? '|tokens' : ''}`;
  useEffect(() => {
    let live = true;
    loadGifFrameIndex(client, request).then(
      (found) => {
        if (!live) return;
        setIndex(found);
        const steps = found.choices;
        const kept = recall()?.ranges[rangeKey];
        const from = kept ? steps.indexOf(kept[0]) : -1;
        const to = kept ? steps.indexOf(kept[1]) : -1;
        setRange(from >= 0 && to >= from ? [from, to] : [0, Math.max(0, steps.length - 1)]);
      },
      (e) => live && setLoadError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [client, request.runId, request.view, request.tensor, rangeKey]);

  // Focus moves into the dialog, on its first field.
  useEffect(() => {
    dialog.current?.querySelector<HTMLElement>('input, select, button')?.focus();
  }, []);
  // While the GIF renders every control is disabled, so focus rests on the dialog itself (not on
  // the page behind it); after a failure it goes to Export, next to the message, to try again.
  useEffect(() => {
    if (busy) dialog.current?.focus();
    else if (error) dialog.current?.querySelector<HTMLElement>('[data-testid=gif-export]:not(:disabled)')?.focus();
  }, [busy, error]);

  const fps = Number(fpsText);
  const fpsValid = fpsText.trim() !== '' && Number.isFinite(fps) && fps >= GIF_FPS_MIN && fps <= GIF_FPS_MAX;
  const rangeValid = range !== null && range[0] <= range[1];
  const steps = index?.choices ?? [];
  const byTokens = index?.byTokens ?? false;
  const whole = range !== null && range[0] === 0 && range[1] === steps.length - 1;
  const stepRange: [number, number] | undefined = range && !whole && rangeValid ? [steps[range[0]], steps[range[1]]] : undefined;
  const frames = index && rangeValid ? index.count(stepRange) : null;
  const chosen = sizes.find((s) => s.key === size) ?? sizes[0];
  const canExport = !busy && fpsValid && rangeValid && frames !== null && frames > 0 && chosen !== undefined;

  const submit = () => {
    if (!canExport || !chosen || !range) return;
    const prior = recall();
    remember({ fps, size: chosen.key, ranges: { ...(prior?.ranges ?? {}), [rangeKey]: [steps[range[0]], steps[range[1]]] } });
    onExport({ fps, width: chosen.width, height: chosen.height, ...(stepRange ? (byTokens ? { tokenRange: stepRange } : { steps: stepRange }) : {}) });
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      if (!busy) onCancel();
      return;
    }
    if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'SELECT') {
      // A closed select does not submit its form on Enter; in this dialog Enter always exports.
      e.preventDefault();
      submit();
      return;
    }
    if (e.key === 'Tab') {
      // Focus stays in the modal dialog: Tab from the last control wraps to the first and back.
      const focusable = [...(dialog.current?.querySelectorAll<HTMLElement>('input, select, button') ?? [])].filter((el) => !el.matches(':disabled'));
      const first = focusable[0];
      const last = focusable.at(-1);
      if (!first || !last) {
        e.preventDefault();
        return;
      }
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  const stepLabel = (s: number) => `${byTokens ? `${formatStep(s)} tokens` : `step ${formatStep(s)}`}${formatStep(s) === String(s) ? '' : ` (${s})`}`;
  let summary: string;
  if (loadError) summary = `Cannot count the frames: ${loadError}`;
  else if (!index || frames === null) summary = rangeValid || !index ? 'counting frames…' : 'The first step is after the last.';
  else if (frames === 0) summary = `No computed frames in this ${byTokens ? 'tokens' : 'step'} range.`;
  else summary = `${gifSummary(frames, fpsValid ? fps : GIF_FPS_DEFAULT)}${chosen ? `, ${chosen.width} × ${chosen.height}` : ''}`;

  return createPortal(
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && onCancel()}>
      <div
        ref={dialog}
        className="modal gif-options"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-busy={busy}
        tabIndex={-1}
        data-testid="gif-options"
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>Export GIF</h2>
        <p className="sub gif-what">{what}</p>
        <form
          ref={form}
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <fieldset className="gif-fields" disabled={busy}>
            <label htmlFor={`${ids}-fps`}>Frame rate</label>
            <span className="gif-field">
              <input
                id={`${ids}-fps`}
                type="number"
                min={GIF_FPS_MIN}
                max={GIF_FPS_MAX}
                step={1}
                value={fpsText}
                onChange={(e) => setFpsText(e.target.value)}
                aria-invalid={!fpsValid}
                aria-describedby={summaryId}
                data-testid="gif-fps"
              />{' '}
              fps
            </span>
            <label htmlFor={`${ids}-from`}>{byTokens ? 'Tokens seen' : 'Steps'}</label>
            <span className="gif-field">
              <select
                id={`${ids}-from`}
                aria-label={byTokens ? 'From tokens seen' : 'From step'}
                value={range?.[0] ?? ''}
                disabled={!index || steps.length === 0}
                onChange={(e) => setRange((r) => [Number(e.target.value), r?.[1] ?? steps.length - 1])}
                aria-invalid={!rangeValid && index !== null}
                data-testid="gif-from"
              >
                {steps.map((s, i) => (
                  <option key={s} value={i}>
                    {stepLabel(s)}
                  </option>
                ))}
              </select>
              <span aria-hidden="true">to</span>
              <select
                aria-label={byTokens ? 'To tokens seen' : 'To step'}
                value={range?.[1] ?? ''}
                disabled={!index || steps.length === 0}
                onChange={(e) => setRange((r) => [r?.[0] ?? 0, Number(e.target.value)])}
                aria-invalid={!rangeValid && index !== null}
                data-testid="gif-to"
              >
                {steps.map((s, i) => (
                  <option key={s} value={i}>
                    {stepLabel(s)}
                  </option>
                ))}
              </select>
            </span>
            <label htmlFor={`${ids}-size`}>Size</label>
            <select id={`${ids}-size`} value={chosen?.key ?? ''} onChange={(e) => setSize(e.target.value)} data-testid="gif-size">
              {sizes.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.label}
                </option>
              ))}
            </select>
          </fieldset>
          <p id={summaryId} className={`gif-summary${frames === 0 || (!rangeValid && index) || loadError ? ' error-text' : ''}`} role="status" aria-live="polite" data-testid="gif-summary" data-frames={frames ?? ''}>
            {fpsValid ? summary : `The frame rate must be ${GIF_FPS_MIN} to ${GIF_FPS_MAX} fps.`}
          </p>
          {error && (
            <p className="notice error" role="alert" data-testid="gif-error">
              {error}
            </p>
          )}
          <div className="actions">
            <button type="button" onClick={onCancel} disabled={busy} data-testid="gif-cancel">
              Cancel
            </button>
            <button type="submit" className="primary export-button" disabled={!canExport} data-testid="gif-export">
              {busy ? `Rendering GIF… ${elapsed} s` : 'Export'}
            </button>
          </div>
        </form>
      </div>
    </div>,
    document.body,
  );
}
