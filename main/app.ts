// The Electron entry: one window on the bundled demo, native menus (File > Open), single instance,
// and the security settings of Electron's checklist (docs/SECURITY.md walks through them):
// contextIsolation and sandbox on, nodeIntegration off, a strict CSP, navigation and new windows
// blocked, IPC only from our own page and validated by the same schemas as HTTP. The page is
// served from the app://atlas origin by our own protocol handler, not from file://.
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session } from 'electron';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Store, defaultDbPath } from './store/store';
import { Engine } from './api/engine';
import { attachIpcCarrier } from './api/ipc';
import { projectRoot, rendererDir } from './paths';
import { electronNativeBinding } from './native';
import { APP_INDEX_URL, APP_SCHEME, CONTENT_SECURITY_POLICY, WINDOW_WEB_PREFERENCES, contentTypeOf, hardenSession, hardenWebContents, isTrustedIpcSender, resolveAppRequest } from './security';

function dbArg(): string {
  const arg = process.argv.find((a) => a.startsWith('--db='));
  return arg ? resolve(arg.slice('--db='.length)) : defaultDbPath();
}

// Before `ready`: app:// is a standard, secure scheme (its own origin, fetch allowed, no CORS
// bypass, no service workers).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  let engine: Engine | null = null;

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  app.on('web-contents-created', (_e, contents) => {
    // No navigation of any frame away from the bundled page, no new windows, no webviews, and
    // nothing handed to the OS either (no shell.openExternal of page content). main/security.ts.
    hardenWebContents(contents, APP_INDEX_URL);
  });

  void app.whenReady().then(async () => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    // Every permission request and check denied, devices denied, downloads cancelled.
    hardenSession(session.defaultSession);
    // The renderer's files, and nothing else, under app://atlas/ (the CSP travels with each page:
    // webRequest does not see custom-protocol responses).
    const root = resolve(rendererDir());
    protocol.handle(APP_SCHEME, async (request) => {
      const file = resolveAppRequest(request.url, root);
      if (!file) return new Response('forbidden', { status: 403 });
      try {
        const body = await readFile(file);
        return new Response(body, { headers: { 'Content-Type': contentTypeOf(file), 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' } });
      } catch {
        return new Response('not found', { status: 404 });
      }
    });

    const binding = electronNativeBinding();
    const store = new Store(dbArg(), binding ? { nativeBinding: binding } : {});
    engine = new Engine({ store, carrier: 'electron' });

    win = new BrowserWindow({
      width: 1440,
      height: 900,
      title: 'Checkpoint Atlas',
      show: false,
      webPreferences: { ...WINDOW_WEB_PREFERENCES, preload: join(projectRoot(), 'out', 'preload', 'index.cjs') },
    });
    win.once('ready-to-show', () => win?.show());

    attachIpcCarrier(
      ipcMain,
      engine,
      engine.subscribe,
      (event) => isTrustedIpcSender(event, win, APP_INDEX_URL),
      () => (win ? [win.webContents] : []),
    );

    Menu.setApplicationMenu(
      Menu.buildFromTemplate([
        {
          label: 'File',
          submenu: [
            {
              label: 'Open Folder…',
              accelerator: 'CmdOrCtrl+O',
              click: async () => {
                if (!win || !engine) return;
                const picked = await dialog.showOpenDialog(win, { properties: ['openDirectory', 'openFile', 'multiSelections'] });
                if (!picked.canceled && picked.filePaths.length) await engine.openPaths({ paths: picked.filePaths });
              },
            },
            { type: 'separator' },
            { role: 'quit' },
          ],
        },
        { role: 'editMenu' },
        { role: 'viewMenu' },
        { role: 'windowMenu' },
      ]),
    );

    // Open on the bundled demo run, as `npm start` does in browser mode.
    const demo = (await engine.listRuns({})).runs.find((r) => r.source === 'demo');
    await win.loadURL(demo ? `${APP_INDEX_URL}#/run/${demo.id}/overview` : APP_INDEX_URL);
  });

  app.on('window-all-closed', () => {
    void engine?.close().finally(() => app.quit());
  });
}
