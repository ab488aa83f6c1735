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

// ------------------------------------------------------------------ the app:// protocol
// The window loads the bundled renderer from app://atlas/ instead of file:// (Electron's checklist,
// item 18): a file:// page shares its origin with every local file, while app://atlas is an origin
// of its own, 'self' in the CSP means only it, and requests are answered by our handler alone,
// which serves files from the renderer folder and nothing else.

/** The scheme, origin and start page of the bundled renderer. */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://atlas`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** Content types of the files a built renderer holds; anything else is served as bytes. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  const dot = file.lastIndexOf('.');
  return (dot >= 0 && CONTENT_TYPES[file.slice(dot).toLowerCase()]) || 'application/octet-stream';
}

/**
 * The file under `root` that an app:// request names, or null when the request must be refused:
 * another scheme or host, a path that is not valid percent-encoding, or one that (decoded) leaves
 * `root` by `..`, an absolute path, a backslash or a NUL. `/` is the index page; query and
 * fragment are ignored. `root` must be absolute; existence is the caller's check.
 */
export function resolveAppRequest(requestUrl: string, root: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== 'atlas' || url.username || url.password || url.port) return null;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p === '.' || /^[a-zA-Z]:$/.test(p))) return null;
  const rel = parts.length ? parts.join('/') : 'index.html';
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  return `${base}/${rel}`;
}

// ------------------------------------------------------------------ session and contents guards
// Installed by main/app.ts; written against the few members they use (structural types) so that
// tests call them with plain objects, without an Electron binary.

interface Preventable { preventDefault(): void }

export interface SessionLike {
  setPermissionRequestHandler(handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (wc: unknown, permission: string) => boolean): void;
  setDevicePermissionHandler(handler: (details: unknown) => boolean): void;
  on(event: 'will-download', listener: (event: Preventable) => void): unknown;
}

/**
 * Every permission request and check denied (camera, notifications, clipboard, HID/serial/USB
 * devices, ...), and no download ever starts (a page cannot drop files on disk).
 */
export function hardenSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.on('will-download', (event) => event.preventDefault());
}

export interface ContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: Preventable, url: string) => void): unknown;
  on(event: 'will-frame-navigate', listener: (details: Preventable & { url: string }) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
  setWindowOpenHandler(handler: () => { action: 'deny' }): void;
}

/** No navigation of the page or any frame away from the bundled index, no windows, no webviews. */
export function hardenWebContents(contents: ContentsLike, appIndexUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!navigationAllowed(url, appIndexUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!navigationAllowed(url, appIndexUrl)) event.preventDefault();
  });
  // Subframes too (will-navigate covers the main frame only).
  contents.on('will-frame-navigate', (details) => {
    if (!navigationAllowed(details.url, appIndexUrl)) details.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * An IPC message is answered only when it comes from our window's main frame (the very frame
 * object, not just a frame whose URL looks right: a subframe could show the same URL) while that
 * frame shows the bundled page.
 */
export function isTrustedIpcSender(
  event: { senderFrame?: { url: string } | null; sender?: unknown },
  window: { webContents: { mainFrame: unknown } } | null,
  appIndexUrl: string,
): boolean {
  if (!window || !event.senderFrame) return false;
  return event.sender === window.webContents && event.senderFrame === window.webContents.mainFrame && navigationAllowed(event.senderFrame.url, appIndexUrl);
}
