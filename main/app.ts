// The Electron entry: one window on the bundled demo, native menus (File > Open), single instance,
// and the security settings of Electron's checklist (docs/SECURITY.md walks through them):
// contextIsolation and sandbox on, nodeIntegration off, a strict CSP, navigation and new windows
// blocked, IPC only from our own page and validated by the same schemas as HTTP.
import { app, BrowserWindow, dialog, ipcMain, Menu, session } from 'electron';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Store, defaultDbPath } from './store/store';
import { Engine } from './api/engine';
import { attachIpcCarrier } from './api/ipc';
import { projectRoot, rendererDir } from './paths';
import { electronNativeBinding } from './native';
import { CONTENT_SECURITY_POLICY, WINDOW_WEB_PREFERENCES, navigationAllowed } from './security';

function dbArg(): string {
  const arg = process.argv.find((a) => a.startsWith('--db='));
  return arg ? resolve(arg.slice('--db='.length)) : defaultDbPath();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  let engine: Engine | null = null;
  const indexHtml = join(rendererDir(), 'index.html');

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  app.on('web-contents-created', (_e, contents) => {
    // No navigation away from the bundled page.
    contents.on('will-navigate', (event, url) => {
      if (!navigationAllowed(url, pathToFileURL(indexHtml).href)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!navigationAllowed(url, pathToFileURL(indexHtml).href)) event.preventDefault();
    });
    // No new windows, and nothing handed to the OS either (no shell.openExternal of page content).
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  void app.whenReady().then(async () => {
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));

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
      (event) => !!event.senderFrame && navigationAllowed(event.senderFrame.url, pathToFileURL(indexHtml).href) && event.sender === win?.webContents,
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
    await win.loadFile(indexHtml, demo ? { hash: `/run/${demo.id}/overview` } : {});
  });

  app.on('window-all-closed', () => {
    void engine?.close().finally(() => app.quit());
  });
}
