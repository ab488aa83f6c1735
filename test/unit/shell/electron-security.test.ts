// The Electron shell's security settings (no Electron binary is needed to check them): the
// window's webPreferences, the CSP, navigation rules, and that main/app.ts really uses them.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY, WINDOW_WEB_PREFERENCES, navigationAllowed } from '../../../main/security';
import { projectRoot } from '../../../main/paths';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((p) => p[0]).map(([k, ...v]) => [k!, v]));
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

  it('is what main/app.ts applies to the window, the session and navigation', () => {
    const app = readFileSync(join(projectRoot(), 'main', 'app.ts'), 'utf8');
    expect(app).toMatch(/webPreferences: \{ \.\.\.WINDOW_WEB_PREFERENCES, preload:/);
    expect(app).toMatch(/'Content-Security-Policy': \[CONTENT_SECURITY_POLICY\]/);
    expect(app).toMatch(/setWindowOpenHandler\([^)]*\)?[\s\S]*action: 'deny'/);
    expect(app).toMatch(/will-navigate/);
    expect(app).toMatch(/setPermissionRequestHandler/);
  });

  it('ships the same policy in the renderer page itself', () => {
    const html = readFileSync(join(projectRoot(), 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta).not.toBeNull();
    const d = directives(meta![1]!);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(meta![1]).not.toMatch(/unsafe-eval/);
  });
});
