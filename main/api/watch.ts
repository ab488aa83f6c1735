// Watches the folders of the runs a user is looking at, so that a run still training shows its new
// checkpoints without reopening it: a change under a run's root (a new `step_N/`, `checkpoint-N/`
// or hub revision, or files written into one) calls back once things have been quiet for a moment,
// and the engine rescans that run.
//
// Built on fs.watch (inotify, FSEvents, ReadDirectoryChangesW) rather than a watcher package:
// the need is small and bounded. The root and each folder directly inside it are watched, not
// the whole tree: checkpoints sit one level down in every layout this tool reads (step folders,
// Trainer folders, a hub cache's refs/ snapshots/ blobs/), and a bounded depth keeps a run with
// thousands of files from costing thousands of watches. A folder that cannot be watched (gone,
// unreadable, the system's watch limit reached) is simply not watched: watching is a convenience,
// and an analysis rescans its run anyway.
import { watch, readdirSync, statSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/** Quiet time after the last change before the callback runs (checkpoints are written in bursts). */
export const WATCH_SETTLE_MS = 1500;
/** Folders watched per run at most (the root and its subfolders). */
export const MAX_WATCHED_FOLDERS_PER_RUN = 512;

interface WatchedRun {
  root: string;
  watchers: Map<string, FSWatcher>;
  timer: NodeJS.Timeout | null;
}

export class RunWatcher {
  private readonly runs = new Map<string, WatchedRun>();

  constructor(
    private readonly onChange: (runId: string) => void,
    private readonly settleMs = WATCH_SETTLE_MS,
  ) {}

  /** Start watching a run's root (no-op when it is already watched). */
  watch(runId: string, root: string): void {
    if (this.runs.has(runId)) return;
    const run: WatchedRun = { root, watchers: new Map(), timer: null };
    this.runs.set(runId, run);
    this.add(runId, run, root);
    for (const sub of subfolders(root)) this.add(runId, run, sub);
  }

  isWatching(runId: string): boolean {
    return (this.runs.get(runId)?.watchers.size ?? 0) > 0;
  }

  close(): void {
    for (const run of this.runs.values()) {
      if (run.timer) clearTimeout(run.timer);
      for (const w of run.watchers.values()) w.close();
    }
    this.runs.clear();
  }

  private add(runId: string, run: WatchedRun, folder: string): void {
    if (run.watchers.has(folder) || run.watchers.size >= MAX_WATCHED_FOLDERS_PER_RUN) return;
    let w: FSWatcher;
    try {
      w = watch(folder, { persistent: false }, (_event, name) => {
        // A new folder directly under the root: watch it too (its files are still being written).
        if (folder === run.root && name && isFolder(join(run.root, String(name)))) this.add(runId, run, join(run.root, String(name)));
        this.changed(runId, run);
      });
    } catch {
      return;
    }
    w.on('error', () => {
      w.close();
      run.watchers.delete(folder);
    });
    run.watchers.set(folder, w);
  }

  private changed(runId: string, run: WatchedRun): void {
    if (run.timer) clearTimeout(run.timer);
    run.timer = setTimeout(() => {
      run.timer = null;
      if (this.runs.get(runId) === run) this.onChange(runId);
    }, this.settleMs);
    run.timer.unref();
  }
}

function subfolders(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => join(root, d.name));
  } catch {
    return [];
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
