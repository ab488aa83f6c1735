// App-wide state shared by the views: the API client, the runs list (refreshed on runs-changed
// events) and the live jobs (fed by job events, re-listed on every (re)connection so a dropped
// event stream never leaves a stale progress bar).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { JobState, RunSummary } from '../../common/api';
import { ApiError, type AtlasClient, type ConnectionState } from './api-client';

interface AppState {
  client: AtlasClient;
  runs: RunSummary[] | null;
  runsError: string | null;
  refreshRuns: () => Promise<void>;
  jobs: Map<string, JobState>;
  connection: ConnectionState;
}

const Ctx = createContext<AppState | null>(null);

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return `${e.message}${e.file ? ` (${e.file})` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

export function AppStateProvider({ client, children }: { client: AtlasClient; children: ReactNode }) {
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [runsError, setRunsError] = useState<string | null>(null);
  const [jobs, setJobs] = useState<Map<string, JobState>>(new Map());
  const [connection, setConnection] = useState<ConnectionState>('connecting');

  const refreshRuns = useCallback(async () => {
    try {
      const { runs } = await client.api.listRuns({});
      setRuns(runs);
      setRunsError(null);
    } catch (e) {
      setRunsError(errorMessage(e));
    }
  }, [client]);

  const refreshJobs = useCallback(async () => {
    try {
      const { jobs } = await client.api.listJobs({});
      setJobs(new Map(jobs.map((j) => [j.jobId, j])));
    } catch {
      // listJobs failing leaves the last known jobs; the next event updates them.
    }
  }, [client]);

  useEffect(() => {
    void refreshRuns();
    void refreshJobs();
    const offEvent = client.onEvent((event) => {
      if (event.type === 'job') {
        setJobs((prev) => new Map(prev).set(event.job.jobId, event.job));
        if (event.job.state === 'done') void refreshRuns();
      } else if (event.type === 'runs-changed') {
        void refreshRuns();
      }
    });
    const offConn = client.onConnection((state) => {
      setConnection(state);
      if (state === 'open') void refreshJobs();
    });
    return () => {
      offEvent();
      offConn();
    };
  }, [client, refreshRuns, refreshJobs]);

  const value = useMemo(() => ({ client, runs, runsError, refreshRuns, jobs, connection }), [client, runs, runsError, refreshRuns, jobs, connection]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAppState(): AppState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAppState outside AppStateProvider');
  return v;
}

/** Run an API call when its inputs change; returns {data, error, loading}. */
export function useApiCall<T>(call: (() => Promise<T>) | null, deps: unknown[]): { data: T | null; error: string | null; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    if (!call) return;
    let live = true;
    setLoading(true);
    call().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (!live) return;
        setError(errorMessage(e));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, nonce]);
  return { data, error, loading, reload: () => setNonce((n) => n + 1) };
}
