// The app's hash routes: #/ = Home, #/run/<id>/<tab>?params = a run's page. Parsed by App.tsx,
// built by every view that links to a run (a module of its own, so views need not import App).

/** The tabs of a run's page. */
export type RunTab = 'overview' | 'curves' | 'animations' | 'svd';

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
    const tab = (['overview', 'curves', 'animations', 'svd'] as const).find((t) => t === parts[2]) ?? 'overview';
    return { page: 'run', runId: parts[1], tab, params };
  }
  return { page: 'home', params };
}

export function runHref(runId: string, tab: RunTab = 'overview', params?: Record<string, string>): string {
  const q = params ? `?${new URLSearchParams(params).toString()}` : '';
  return `#/run/${encodeURIComponent(runId)}/${tab}${q}`;
}
