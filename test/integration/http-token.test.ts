// Issue 14, finding 7: the launch token left the process (`serve --open` passed the tokenised URL
// to xdg-open, readable in /proc by every local user; `?token=` was accepted on API calls; no CSP
// header). Now the URL's token is exchanged once per browser for an HttpOnly SameSite=Strict
// session cookie and the page is redirected without it; /api/ and the event socket accept the
// cookie or an Authorization header, never a query-string token; the CSP is a header; --open
// hands the browser a private redirect file.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/api/engine';
import { cookieValue, startHttpCarrier, type RunningServer } from '../../main/api/http';
import { browserCommand, writeLaunchFile } from '../../main/api/launch-file';
import { CONTENT_SECURITY_POLICY } from '../../main/security';
import { Store } from '../../main/store/store';

let dir: string;
let store: Store;
let engine: Engine;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-http-token-'));
  const staticRoot = join(dir, 'renderer');
  mkdirSync(staticRoot);
  writeFileSync(join(staticRoot, 'index.html'), '<!doctype html><title>atlas</title>');
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', scanHubCache: false, demoRoots: [] });
  server = await startHttpCarrier({ api: engine, subscribe: engine.subscribe, staticRoot });
});
afterAll(async () => {
  await server.close();
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Raw { status: number; body: string; headers: Record<string, string | string[] | undefined> }
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method, path, agent: false, headers: { Host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
const json = { 'Content-Type': 'application/json' };
function wsStatus(headers: Record<string, string>, query = ''): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events${query}`, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('error', () => undefined);
  });
}

describe('token exchange for a session cookie', () => {
  let cookie = '';
  it('GET /?token=T sets an HttpOnly SameSite=Strict cookie (not the token) and redirects without the token', async () => {
    const res = await raw('GET', `/?token=${server.token}&x=1`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/?x=1');
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(new RegExp(`^atlas_session_${server.port}=[A-Za-z0-9_-]{40,}; HttpOnly; SameSite=Strict; Path=/$`));
    expect(set).not.toContain(server.token);
    cookie = set.split(';')[0];
    expect(res.headers['cache-control']).toBe('no-store');
  });
  it('the cookie authenticates API calls and the event socket (a second tab, a bookmark)', async () => {
    expect((await raw('POST', '/api/listRuns', { ...json, Cookie: cookie }, '{}')).status).toBe(200);
    expect(await wsStatus({ Cookie: cookie })).toBe(101);
  });
  it('a browser that already has the cookie gets no second one', async () => {
    const res = await raw('GET', `/?token=${server.token}`, { Cookie: cookie });
    expect(res.status).toBe(302);
    expect(res.headers['set-cookie']).toBeUndefined();
  });
  it('a wrong token is refused and sets nothing; a made-up cookie is refused', async () => {
    // The last character changed to one it is not (a fixed 'x' was the right token 1 time in 64).
    const wrong = server.token.slice(0, -1) + (server.token.endsWith('x') ? 'y' : 'x');
    expect(wrong).not.toBe(server.token);
    const res = await raw('GET', `/?token=${wrong}`);
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await raw('POST', '/api/listRuns', { ...json, Cookie: `atlas_session_${server.port}=${server.token}` }, '{}')).status).toBe(401);
  });
});

describe('the token is accepted only in the Authorization header', () => {
  it('not as ?token= on API calls, nor as X-Atlas-Token', async () => {
    expect((await raw('POST', `/api/listRuns?token=${server.token}`, json, '{}')).status).toBe(401);
    expect((await raw('POST', '/api/listRuns', { ...json, 'X-Atlas-Token': server.token }, '{}')).status).toBe(401);
    expect((await raw('POST', '/api/listRuns', { ...json, Authorization: `Bearer ${server.token}` }, '{}')).status).toBe(200);
  });
  it('not as ?token= on the event socket', async () => {
    expect(await wsStatus({}, `?token=${server.token}`)).toBe(401);
    expect(await wsStatus({ Authorization: `Bearer ${server.token}` })).toBe(101);
  });
});

describe('headers', () => {
  it('the CSP is sent as a header on pages and API answers', async () => {
    expect((await raw('GET', '/')).headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect((await raw('POST', '/api/listRuns', { ...json, Authorization: `Bearer ${server.token}` }, '{}')).headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });
  it('cookieValue reads one cookie among several', () => {
    expect(cookieValue('a=1; atlas_session_5=xyz; b=2', 'atlas_session_5')).toBe('xyz');
    expect(cookieValue('atlas_session_50=xyz', 'atlas_session_5')).toBeNull();
    expect(cookieValue(undefined, 'a')).toBeNull();
  });
});

describe('serve --open', () => {
  it('hands the browser a private redirect file; no command-line argument holds the token', () => {
    const url = `http://127.0.0.1:${server.port}/?token=${server.token}`;
    const file = writeLaunchFile(url, 5_000);
    try {
      expect(file).not.toContain(server.token);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
      expect(readFileSync(file, 'utf8')).toContain(`url=http://127.0.0.1:${server.port}/?token=${server.token}`);
      for (const platform of ['linux', 'darwin', 'win32'] as const) {
        const { args } = browserCommand(platform, file);
        expect(args.join(' ')).not.toContain(server.token);
      }
    } finally {
      rmSync(dirname(file), { recursive: true, force: true });
    }
  });
});
