// The app's hash routes: #/ = Home, #/run/<id>/<tab>?params = a run's page. Parsed by App.tsx,
// built by every view that links to a run (a module of its own, so views need not import App).

/** The tabs of a run's page. */
export type RunTab = 'overview' | 'curves' | 'animations' | 'svd' | 'coupdate' | 'outliers' | 'heads' | 'probes' | 'scaling' | 'embeddings';

export interface Route {
  page: 'home' | 'run';
  runId?: string;
  tab?: RunTab;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts[0] === 'run' && parts[1]) {
    const tab = (['overview', 'curves', 'animations', 'svd', 'coupdate', 'outliers', 'heads', 'probes', 'scaling', 'embeddings'] as const).find((t) => t === parts[2]) ?? 'overview';
    return { page: 'run', runId: parts[1], tab, params };
  }
  return { page: 'home', params };
}

export function runHref(runId: string, tab: RunTab = 'overview', params?: Record<string, string>): string {
  const q = params ? `?${new URLSearchParams(params).toString()}` : '';
  return `#/run/${encodeURIComponent(runId)}/${tab}${q}`;
}

/**
 * Write view state into the current hash's query (history.replaceState: no new history entry, no
 * hashchange), so the address bar is a deep link to what is on screen: view, metric, step scale,
 * tensor, checkpoint, log y. A null value removes the parameter.
 */
export function replaceRouteParams(updates: Record<string, string | null>): void {
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  for (const [k, v] of Object.entries(updates)) {
    if (v === null) params.delete(k);
    else params.set(k, v);
  }
  const q = params.toString();
  const next = `#${path}${q ? `?${q}` : ''}`;
  if (next !== location.hash) history.replaceState(history.state, '', `${location.pathname}${location.search}${next}`);
}
