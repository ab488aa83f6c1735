// Issue 14, item 9: the Electron session and web-contents guards and the IPC sender check, run as
// plain functions against recording stand-ins (no Electron binary here). main/app.ts installs
// exactly these (checked at the end by reading its source).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_INDEX_URL, hardenSession, hardenWebContents, isTrustedIpcSender } from '../../../main/security';
import { projectRoot } from '../../../main/paths';

type Handler = (...args: never[]) => unknown;
class Recorder {
  handlers = new Map<string, Handler>();
  record(name: string) { return (h: Handler): void => { this.handlers.set(name, h); }; }
  on(event: string, h: Handler): this { this.handlers.set(event, h); return this; }
  get<T extends Handler>(name: string): T {
    const h = this.handlers.get(name);
    if (!h) throw new Error(`no handler for ${name}`);
    return h as T;
  }
}
function preventable(extra: Record<string, unknown> = {}): { prevented: boolean; preventDefault(): void } & Record<string, unknown> {
  const e = { prevented: false, preventDefault() { e.prevented = true; }, ...extra };
  return e;
}

describe('hardenSession', () => {
  const r = new Recorder();
  const session = Object.assign(r, {
    setPermissionRequestHandler: r.record('request'),
    setPermissionCheckHandler: r.record('check'),
    setDevicePermissionHandler: r.record('device'),
  });
  hardenSession(session as never);
  it('denies every permission request and check, and every device', () => {
    for (const p of ['media', 'notifications', 'clipboard-read', 'geolocation', 'hid', 'serial', 'usb', 'openExternal']) {
      let granted: boolean | null = null;
      r.get<(wc: unknown, p: string, cb: (g: boolean) => void) => void>('request')(null, p, (g) => { granted = g; });
      expect(granted, p).toBe(false);
      expect(r.get<(wc: unknown, p: string) => boolean>('check')(null, p), p).toBe(false);
    }
    expect(r.get<(d: unknown) => boolean>('device')({ deviceType: 'usb', device: { vendorId: 1 } })).toBe(false);
  });
  it('cancels every download', () => {
    const e = preventable();
    r.get<(e: unknown) => void>('will-download')(e);
    expect(e.prevented).toBe(true);
  });
});

describe('hardenWebContents', () => {
  const r = new Recorder();
  let windowOpen: (() => { action: string }) | null = null;
  hardenWebContents(Object.assign(r, { setWindowOpenHandler: (h: () => { action: string }) => { windowOpen = h; } }) as never, APP_INDEX_URL);
  it('main-frame navigation and redirects leave only the bundled page', () => {
    for (const ev of ['will-navigate', 'will-redirect']) {
      const ok = preventable();
      r.get<(e: unknown, url: string) => void>(ev)(ok, `${APP_INDEX_URL}#/run/x`);
      expect(ok.prevented, ev).toBe(false);
      for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://atlas/index.html.evil', 'app://other/index.html']) {
        const bad = preventable();
        r.get<(e: unknown, url: string) => void>(ev)(bad, url);
        expect(bad.prevented, `${ev} ${url}`).toBe(true);
      }
    }
  });
  it('subframe navigation (will-frame-navigate) is held to the same rule', () => {
    const bad = preventable({ url: 'https://evil.example/frame' });
    r.get<(d: unknown) => void>('will-frame-navigate')(bad);
    expect(bad.prevented).toBe(true);
    const ok = preventable({ url: APP_INDEX_URL });
    r.get<(d: unknown) => void>('will-frame-navigate')(ok);
    expect(ok.prevented).toBe(false);
  });
  it('no webviews, no new windows', () => {
    const e = preventable();
    r.get<(e: unknown) => void>('will-attach-webview')(e);
    expect(e.prevented).toBe(true);
    expect(windowOpen!()).toEqual({ action: 'deny' });
  });
});

describe('isTrustedIpcSender compares the frame object, not only its URL', () => {
  const mainFrame = { url: APP_INDEX_URL };
  const webContents = { mainFrame };
  const win = { webContents };
  it('our main frame showing the bundled page is trusted', () => {
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: mainFrame }, win, APP_INDEX_URL)).toBe(true);
  });
  it('a subframe of our window with the same URL is not', () => {
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: { url: APP_INDEX_URL } }, win, APP_INDEX_URL)).toBe(false);
  });
  it('our main frame after navigating elsewhere, another window, no frame, no window: not trusted', () => {
    const moved = { url: 'https://evil.example/' };
    const navigated = { webContents: { mainFrame: moved } };
    expect(isTrustedIpcSender({ sender: navigated.webContents, senderFrame: moved }, navigated, APP_INDEX_URL)).toBe(false);
    expect(isTrustedIpcSender({ sender: {}, senderFrame: mainFrame }, win, APP_INDEX_URL)).toBe(false);
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: null }, win, APP_INDEX_URL)).toBe(false);
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: mainFrame }, null, APP_INDEX_URL)).toBe(false);
  });
  it('main/app.ts installs these guards', () => {
    const src = readFileSync(join(projectRoot(), 'main', 'app.ts'), 'utf8');
    expect(src).toMatch(/hardenSession\(session\.defaultSession\)/);
    expect(src).toMatch(/hardenWebContents\(contents, APP_INDEX_URL\)/);
    expect(src).toMatch(/isTrustedIpcSender\(event, win, APP_INDEX_URL\)/);
  });
});
