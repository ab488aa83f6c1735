// The one timeline scrubber every animation shares: a native range slider (screen readers and
// arrow keys for free), play/pause, loop, speed; Left/Right step, Home/End jump, Space toggles.
// Playback advances on requestAnimationFrame at the chosen rate; frames themselves are already in
// memory, so a tick only changes the index.
import { useEffect, useRef, useState } from 'react';

export const SPEEDS = [2, 5, 10, 20, 30, 60] as const;

interface Props {
  count: number;
  index: number;
  onIndex: (i: number) => void;
  /** Label of each index, e.g. "step 2000 (step2000)". */
  labels: string[];
}

export function Timeline({ count, index, onIndex, labels }: Props) {
  const [playing, setPlaying] = useState(false);
  const [loop, setLoop] = useState(true);
  const [fps, setFps] = useState<number>(10);
  const state = useRef({ index, count, loop, fps });
  state.current = { index, count, loop, fps };

  useEffect(() => {
    if (!playing) return;
    let raf = 0;
    let last = performance.now();
    let acc = 0;
    const tick = (now: number) => {
      acc += now - last;
      last = now;
      const period = 1000 / state.current.fps;
      if (acc >= period) {
        const steps = Math.floor(acc / period);
        acc -= steps * period;
        let next = state.current.index + steps;
        if (next >= state.current.count) {
          if (state.current.loop) next %= state.current.count;
          else {
            onIndex(state.current.count - 1);
            setPlaying(false);
            return;
          }
        }
        onIndex(next);
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [playing, onIndex]);

  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  const onKeyDown = (e: React.KeyboardEvent) => {
    if ((e.target as HTMLElement).tagName === 'SELECT') return;
    let handled = true;
    if (e.key === 'ArrowRight' || e.key === 'ArrowUp') onIndex(clamp(index + 1));
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') onIndex(clamp(index - 1));
    else if (e.key === 'Home') onIndex(0);
    else if (e.key === 'End') onIndex(count - 1);
    else if (e.key === ' ' && (e.target as HTMLElement).tagName !== 'BUTTON') setPlaying((p) => !p);
    else handled = false;
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  };

  return (
    <div className="timeline" role="group" aria-label="Timeline" onKeyDown={onKeyDown}>
      <button type="button" onClick={() => setPlaying((p) => !p)} aria-label={playing ? 'Pause' : 'Play'} data-testid="play" disabled={count < 2}>
        {playing ? '❚❚' : '▶'}
      </button>
      <button type="button" onClick={() => onIndex(clamp(index - 1))} aria-label="Previous checkpoint" disabled={index <= 0}>
        ‹
      </button>
      <button type="button" onClick={() => onIndex(clamp(index + 1))} aria-label="Next checkpoint" disabled={index >= count - 1}>
        ›
      </button>
      <input
        type="range"
        min={0}
        max={Math.max(0, count - 1)}
        step={1}
        value={index}
        onChange={(e) => onIndex(Number(e.target.value))}
        aria-label="Checkpoint"
        aria-valuetext={labels[index] ?? ''}
        data-testid="timeline-slider"
      />
      <span className="framelabel" data-testid="frame-label" aria-live="off">
        {labels[index] ?? '–'} <span className="muted">({index + 1}/{count})</span>
      </span>
      <label className="check">
        <input type="checkbox" checked={loop} onChange={(e) => setLoop(e.target.checked)} /> loop
      </label>
      <label>
        speed{' '}
        <select value={fps} onChange={(e) => setFps(Number(e.target.value))} aria-label="Frames per second">
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s} fps
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
