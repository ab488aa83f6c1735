// An opt-in timeline of one sweep, for measuring how the worker pool is kept busy
// (BENCHMARKS.md "Measurements behind design choices"): when CHECKPOINT_ATLAS_TIMELINE names a
// file, the job manager records when each worker lane starts a worker, when the worker is up,
// when each unit starts and ends on which lane, and when the process exits; the file gets one JSON
// object with the events (milliseconds since the process started) and a summary per lane (time
// to the first unit, busy and idle seconds, tail after the lane's last unit) and the process's
// resident memory every 25 ms (which units ran at its peak). Off (no file named),
// every call is a no-op.
import { writeFileSync } from 'node:fs';

export interface TimelineEvent {
  /** Milliseconds since the process started (performance.timeOrigin). */
  t: number;
  lane: number;
  what: 'spawn' | 'online' | 'begin' | 'tensor' | 'end' | 'terminated' | 'job-start' | 'job-end' | 'exit';
  unit?: string;
  checkpoint?: string;
  tensor?: string;
}

export interface LaneSummary {
  lane: number;
  units: number;
  /** From the job's start to the lane's first unit's start. */
  firstUnitAt: number;
  busy: number;
  /** Between the lane's first unit's start and the sweep's last unit's end, not in a unit. */
  idle: number;
  /** From the lane's last unit's end to the sweep's last unit's end. */
  tail: number;
}

export interface TimelineSummary {
  /** Job start, last unit end, and process exit, in seconds since the process started. */
  jobStart: number;
  lastUnitEnd: number;
  exit: number | null;
  lanes: LaneSummary[];
}

/** Per-lane busy, idle and tail seconds of a list of events (pure; tests use it). */
export function summarise(events: readonly TimelineEvent[]): TimelineSummary {
  const jobStart = events.find((e) => e.what === 'job-start')?.t ?? 0;
  const ends = events.filter((e) => e.what === 'end');
  const lastUnitEnd = ends.reduce((m, e) => Math.max(m, e.t), jobStart);
  const exitAt = events.find((e) => e.what === 'exit')?.t ?? null;
  const laneIds = [...new Set(events.filter((e) => e.what === 'begin').map((e) => e.lane))].sort((a, b) => a - b);
  const lanes = laneIds.map((lane) => {
    const mine = events.filter((e) => e.lane === lane && (e.what === 'begin' || e.what === 'end')).sort((a, b) => a.t - b.t);
    let busy = 0;
    let open: number | null = null;
    let first = Infinity;
    let last = jobStart;
    let units = 0;
    for (const e of mine) {
      if (e.what === 'begin') {
        open = e.t;
        first = Math.min(first, e.t);
      } else if (open !== null) {
        busy += e.t - open;
        last = Math.max(last, e.t);
        units++;
        open = null;
      }
    }
    const span = lastUnitEnd - first;
    return { lane, units, firstUnitAt: (first - jobStart) / 1000, busy: busy / 1000, idle: (span - busy - (lastUnitEnd - last)) / 1000, tail: (lastUnitEnd - last) / 1000 };
  });
  return { jobStart: jobStart / 1000, lastUnitEnd: lastUnitEnd / 1000, exit: exitAt === null ? null : exitAt / 1000, lanes };
}

export class Timeline {
  private readonly events: TimelineEvent[] = [];
  /** [ms since the process started, resident MB] every 25 ms while a job runs. */
  private readonly rss: Array<[number, number]> = [];
  private sampler: NodeJS.Timeout | null = null;

  constructor(private readonly file: string | null = process.env.CHECKPOINT_ATLAS_TIMELINE || null) {
    if (!this.file) return;
    // The exit event is written last, synchronously, when the process ends.
    process.once('exit', () => {
      this.mark(-1, 'exit');
      this.flush();
    });
  }

  get enabled(): boolean {
    return this.file !== null;
  }

  mark(lane: number, what: TimelineEvent['what'], detail: { unit?: string; checkpoint?: string; tensor?: string } = {}): void {
    if (!this.file) return;
    this.events.push({ t: Math.round(performance.now() * 10) / 10, lane, what, ...detail });
    if (what === 'job-start' && !this.sampler) {
      this.sampler = setInterval(() => this.rss.push([Math.round(performance.now()), Math.round(process.memoryUsage.rss() / 2 ** 20)]), 25);
      this.sampler.unref();
    } else if (what === 'job-end' && this.sampler) {
      clearInterval(this.sampler);
      this.sampler = null;
    }
  }

  flush(): void {
    if (!this.file) return;
    writeFileSync(this.file, JSON.stringify({ summary: summarise(this.events), events: this.events, rss: this.rss }));
  }
}
