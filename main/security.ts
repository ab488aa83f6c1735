// The Electron window's security settings, kept apart from main/app.ts so that plain Node (tests,
// docs/SECURITY.md checks) can read them without an Electron binary.

/** Strict CSP for the app's pages: only our own scripts, no remote anything. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

export const WINDOW_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  spellcheck: false,
} as const;

/** Only the app's own bundled pages may be shown; everything else is refused. */
export function navigationAllowed(url: string, appIndexUrl: string): boolean {
  return url === appIndexUrl || url.startsWith(appIndexUrl + '#') || url.startsWith(appIndexUrl + '?');
}
