// The Electron shell's security settings (no Electron binary is needed to check them): the
// window's webPreferences, the CSP, navigation rules, and that main/app.ts really uses them.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_INDEX_URL, CONTENT_SECURITY_POLICY, WINDOW_WEB_PREFERENCES, contentTypeOf, navigationAllowed, resolveAppRequest } from '../../../main/security';
import { projectRoot } from '../../../main/paths';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((p) => p[0]).map(([k, ...v]) => [k, v]));
}

describe('Electron window security', () => {
  it('turns on context isolation and the sandbox, and Node integration off', () => {
    expect(WINDOW_WEB_PREFERENCES.contextIsolation).toBe(true);
    expect(WINDOW_WEB_PREFERENCES.sandbox).toBe(true);
    expect(WINDOW_WEB_PREFERENCES.nodeIntegration).toBe(false);
    expect(WINDOW_WEB_PREFERENCES.nodeIntegrationInWorker).toBe(false);
    expect(WINDOW_WEB_PREFERENCES.webSecurity).toBe(true);
    expect(WINDOW_WEB_PREFERENCES.webviewTag).toBe(false);
  });

  it('has a strict CSP: own scripts only, no eval, no remote connections, no objects', () => {
    const d = directives(CONTENT_SECURITY_POLICY);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('allows navigation only to the bundled index page', () => {
    const index = 'file:///opt/atlas/out/renderer/index.html';
    expect(navigationAllowed(index, index)).toBe(true);
    expect(navigationAllowed(`${index}#/run/abc`, index)).toBe(true);
    expect(navigationAllowed('file:///etc/passwd', index)).toBe(false);
    expect(navigationAllowed('https://example.com/', index)).toBe(false);
    expect(navigationAllowed('file:///opt/atlas/out/renderer/index.html.evil', index)).toBe(false);
  });

  it('maps app://atlas/ requests to files inside the renderer folder and refuses everything else', () => {
    const root = '/opt/atlas/out/renderer';
    expect(resolveAppRequest(APP_INDEX_URL, root)).toBe(`${root}/index.html`);
    expect(resolveAppRequest('app://atlas/', root)).toBe(`${root}/index.html`);
    expect(resolveAppRequest('app://atlas', root)).toBe(`${root}/index.html`);
    expect(resolveAppRequest('app://atlas/assets/index-abc.js?v=1#x', root)).toBe(`${root}/assets/index-abc.js`);
    expect(resolveAppRequest('app://atlas/assets/a%20b.css', root)).toBe(`${root}/assets/a b.css`);
    // Dot segments the URL parser folds itself (plain or %2e-encoded) stay inside the origin.
    expect(resolveAppRequest('app://atlas/../../etc/passwd', root)).toBe(`${root}/etc/passwd`);
    expect(resolveAppRequest('app://atlas/%2e%2e/%2e%2e/etc/passwd', root)).toBe(`${root}/etc/passwd`);
    expect(resolveAppRequest('app://atlas/assets/%2E%2E/%2E%2E/secret', root)).toBe(`${root}/secret`);
    // Escapes that reach us after decoding, and anything not ours, are refused.
    for (const evil of [
      'app://atlas/..%2f..%2fetc%2fpasswd',
      'app://atlas/assets/..%5c..%5csecret',
      'app://atlas/index.html%00.js',
      'app://atlas/C:/Windows/win.ini',
      'app://atlas/%E0%A4%A', // not valid percent-encoding
      'app://evil/index.html',
      'app://atlas:8080/index.html',
      'app://user@atlas/index.html',
      'file:///etc/passwd',
      'https://atlas/index.html',
      'not a url',
    ]) {
      expect(resolveAppRequest(evil, root), evil).toBeNull();
    }
    expect(contentTypeOf('/x/index.html')).toMatch(/^text\/html/);
    expect(contentTypeOf('/x/a.JS')).toMatch(/^text\/javascript/);
    expect(contentTypeOf('/x/blob')).toBe('application/octet-stream');
  });

  it('allows navigation only to the app:// index page', () => {
    expect(navigationAllowed(`${APP_INDEX_URL}#/run/abc/overview`, APP_INDEX_URL)).toBe(true);
    expect(navigationAllowed('app://atlas/other.html', APP_INDEX_URL)).toBe(false);
    expect(navigationAllowed('app://evil/index.html', APP_INDEX_URL)).toBe(false);
  });

  it('is what main/app.ts applies to the window, the session and navigation', () => {
    const app = readFileSync(join(projectRoot(), 'main', 'app.ts'), 'utf8');
    expect(app).toMatch(/registerSchemesAsPrivileged\(\[\{ scheme: APP_SCHEME, privileges: \{ standard: true, secure: true/);
    expect(app).toMatch(/protocol\.handle\(APP_SCHEME/);
    expect(app).toMatch(/resolveAppRequest\(request\.url, root\)/);
    expect(app).toMatch(/loadURL\(demo \? `\$\{APP_INDEX_URL\}#/);
    expect(app).not.toMatch(/loadFile\(|pathToFileURL/);
    expect(app).toMatch(/webPreferences: \{ \.\.\.WINDOW_WEB_PREFERENCES, preload:/);
    expect(app).toMatch(/'Content-Security-Policy': \[CONTENT_SECURITY_POLICY\]/);
    // Window-open, navigation, webview, permission and download guards live in main/security.ts
    // (hardenWebContents / hardenSession, exercised in electron-handlers.test.ts).
    expect(app).toMatch(/hardenWebContents\(contents, APP_INDEX_URL\)/);
    expect(app).toMatch(/hardenSession\(session\.defaultSession\)/);
  });

  it('ships the same policy in the renderer page itself', () => {
    const html = readFileSync(join(projectRoot(), 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta).not.toBeNull();
    const d = directives(meta![1]);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(meta![1]).not.toMatch(/unsafe-eval/);
  });
});
