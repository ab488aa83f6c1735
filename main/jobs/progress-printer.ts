// Progress of an `analyze` run on a terminal: one redrawn bar with ETA on a TTY, one line per
// change otherwise, or JSON lines with --json-progress (for scripts and log collectors).
import type { JobState } from '../../common/api';
import { escapeTerminal as esc } from '../../common/terminal';

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export class ProgressPrinter {
  private lastLine = '';
  private lastPrint = 0;

  constructor(private readonly opts: { json: boolean; stream: NodeJS.WriteStream }) {}

  update(runName: string, job: JobState): void {
    if (this.opts.json) {
      process.stdout.write(JSON.stringify({ run: runName, state: job.state, done: job.done, total: job.total, skipped: job.skipped, current: job.current, eta_seconds: job.etaSeconds }) + '\n');
      return;
    }
    const now = Date.now();
    if (now - this.lastPrint < 100 && job.state === 'running') return;
    this.lastPrint = now;
    const width = 30;
    const frac = job.total ? job.done / job.total : 0;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    // Run, checkpoint and tensor names come from files: control characters are escaped.
    const cur = job.current ? ` ${esc(job.current.checkpoint)}${job.current.tensor ? ` ${esc(job.current.tensor)}` : ''}` : '';
    const line = `${esc(runName)} [${bar}] ${job.done}/${job.total} ETA ${formatDuration(job.etaSeconds)}${cur}`;
    if (this.opts.stream.isTTY) {
      this.opts.stream.write(`\r${line.slice(0, (this.opts.stream.columns ?? 120) - 1).padEnd(this.lastLine.length)}`);
    } else if (line.split(' ETA')[0] !== this.lastLine.split(' ETA')[0]) {
      this.opts.stream.write(line + '\n');
    }
    this.lastLine = line;
  }

  finish(runName: string, job: JobState): void {
    if (this.opts.json) return;
    if (this.opts.stream.isTTY) this.opts.stream.write('\n');
    const secs = (Date.now() - job.startedAt) / 1000;
    this.opts.stream.write(
      `${esc(runName)}: ${job.state}; ${job.done - job.skipped - job.failed} units computed, ${job.skipped} already cached (skipped), ${job.failed} failed, ${formatDuration(secs)} elapsed${job.provider ? `, provider ${job.provider}${job.providerNote ? ` (${esc(job.providerNote)})` : ''}` : ''}\n`,
    );
    for (const w of job.warnings) this.opts.stream.write(`  warning: ${esc(w)}\n`);
    if (job.error) this.opts.stream.write(`  error: ${esc(job.error)}\n`);
  }
}
