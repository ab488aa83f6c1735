// The loopback carrier against a real engine and a real SQLite cache: it must refuse what it
// must (no token, wrong token, foreign Host/Origin, oversized bodies, path escapes) and carry the
// contract for the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { startHttpCarrier, type RunningServer } from '../../main/api/http';

let dir: string;
let store: Store;
let engine: Engine;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-http-'));
  const staticRoot = join(dir, 'renderer');
  mkdirSync(staticRoot);
  writeFileSync(join(staticRoot, 'index.html'), '<!doctype html><title>atlas</title>');
  writeFileSync(join(dir, 'secret.txt'), 'do not serve');
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', scanHubCache: false });
  server = await startHttpCarrier({ api: engine, subscribe: engine.subscribe, staticRoot });
});

afterAll(async () => {
  await server.close();
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method, path, agent: false, headers: { Host: `127.0.0.1:${server.port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' });

describe('loopback HTTP carrier', () => {
  it('binds 127.0.0.1 and prints a URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    const addr = server.server.address();
    expect(typeof addr === 'object' && addr?.address).toBe('127.0.0.1');
  });

  it('refuses API calls without the token with 401, before routing', async () => {
    for (const path of ['/api/listRuns', '/api/noSuchMethod', '/api/']) {
      const res = await raw('POST', path, { 'Content-Type': 'application/json' }, '{}');
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body).code).toBe('unauthorized');
    }
  });

  it('refuses a wrong token of the same length', async () => {
    const wrong = server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A');
    const res = await raw('POST', '/api/listRuns', { Authorization: `Bearer ${wrong}`, 'Content-Type': 'application/json' }, '{}');
    expect(res.status).toBe(401);
  });

  it('answers with the token', async () => {
    const res = await raw('POST', '/api/appInfo', auth(), '{}');
    expect(res.status).toBe(200);
    const info = JSON.parse(res.body);
    expect(info.carrier).toBe('http');
    expect(info.dbPath).toBe(store.path);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403', async () => {
    const rebound = await raw('POST', '/api/appInfo', { ...auth(), Host: `evil.example:${server.port}` }, '{}');
    expect(rebound.status).toBe(403);
    const cross = await raw('POST', '/api/appInfo', { ...auth(), Origin: 'http://evil.example' }, '{}');
    expect(cross.status).toBe(403);
    const page = await raw('GET', '/', { Host: 'attacker.test' });
    expect(page.status).toBe(403);
  });

  it('validates requests with the contract schemas and names the bad field', async () => {
    const res = await raw('POST', '/api/getRun', auth(), JSON.stringify({ runId: 42 }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/getRun: runId/);
    const unknown = await raw('POST', '/api/noSuchMethod', auth(), '{}');
    expect(unknown.status).toBe(404);
    const notJson = await raw('POST', '/api/appInfo', auth(), '{oops');
    expect(notJson.status).toBe(400);
  });

  it('caps request bodies', async () => {
    const big = JSON.stringify({ paths: ['x'.repeat(2 << 20)] });
    const res = await raw('POST', '/api/openPaths', auth(), big);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/limit/);
  });

  it('serves the UI but never a file outside its folder', async () => {
    const index = await raw('GET', '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>atlas</title>');
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2f%2e%2e%2fetc/passwd']) {
      const res = await raw('GET', path);
      expect([403, 404]).toContain(res.status);
      expect(res.body).not.toContain('do not serve');
    }
  });

  it('refuses event sockets without the token and accepts them with it', async () => {
    const url = `ws://127.0.0.1:${server.port}/api/events`;
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(401);
    const foreign = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { Origin: 'http://evil.example', Authorization: `Bearer ${server.token}` } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(foreign).toBe(403);
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${server.token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    ws.close();
  });
});
