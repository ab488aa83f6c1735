// Top-level layout and the hash router: #/ = Home, #/run/<id>/<tab> = a run's page (routes.ts
// parses and builds the hashes). Hash routes keep the app a single static page that works from
// file-less loopback serving and Electron alike.
import { useEffect, useState } from 'react';
import { useAppState } from './context';
import { Home } from './views/Home';
import { RunPage } from './views/RunPage';
import { parseRoute } from './routes';

/**
 * The first keyboard stop of every page: jumps over the header, Analyze controls and view settings
 * (about 20 Tab presses) to the first chart that takes focus, else to the first control of the page.
 */
function skipToCharts(): void {
  const target =
    document.querySelector<HTMLElement>('#tabpanel .chart[tabindex], #tabpanel [data-testid=timeline-slider], #tabpanel table') ??
    document.querySelector<HTMLElement>('main a, main button, main input, main select');
  if (!target) return;
  if (!target.hasAttribute('tabindex') && target.tagName === 'TABLE') target.tabIndex = -1;
  target.focus();
  target.scrollIntoView({ block: 'nearest' });
}

/** What to do when this page has no valid launch token (a bookmark of an earlier server, another browser). */
function TokenHelp() {
  return (
    <div className="notice warn" role="alert" data-testid="token-help">
      <p>
        <b>This page needs the launch link of the running Checkpoint Atlas server.</b> Links work in every tab of this browser while the
        server that printed them runs; this one is from another browser or from a server that has since stopped.
      </p>
      <p>
        Get a fresh link: run <code>npx checkpoint-atlas serve</code> (or <code>npm start</code>) and open the <code>http://127.0.0.1:…/?token=…</code> address it
        prints. To come back to this view, add the part of this address from <code>#</code> on to it: <code>{location.hash || '#/'}</code>
      </p>
    </div>
  );
}

export function App() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  const { connection, client, runs, runsError } = useAppState();
  const runName = route.runId ? (runs?.find((r) => r.id === route.runId)?.name ?? route.runId) : null;
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return (
    <div className="app">
      <button type="button" className="skip-link" data-testid="skip-link" onClick={skipToCharts}>
        Skip to the charts
      </button>
      <header className="topbar">
        <a className="brand" href="#/">
          Checkpoint Atlas
        </a>
        <nav aria-label="Breadcrumb" className="crumbs">
          {route.page === 'run' ? (
            <>
              <a href="#/">Runs</a> <span aria-hidden="true">›</span> <span>{runName}</span>
            </>
          ) : (
            <span>Runs</span>
          )}
        </nav>
        <span className={`conn conn-${connection}`} title={`Event stream: ${connection} (${client.carrier})`}>
          {client.carrier === 'http' ? (connection === 'open' ? 'live' : connection) : 'desktop'}
        </span>
      </header>
      <main className="content">
        {client.carrier === 'http' && runsError !== null && /launch token/.test(runsError) && <TokenHelp />}
        {route.page === 'run' && route.runId ? <RunPage key={route.runId} runId={route.runId} tab={route.tab ?? 'overview'} params={route.params} /> : <Home />}
      </main>
    </div>
  );
}
