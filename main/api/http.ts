// The loopback carrier of AtlasApi: POST /api/<method> with a JSON body, events over a WebSocket
// at /api/events, and the built renderer as static files. It only carries the contract; the
// engine (main/api/engine.ts) implements it.
//
// Locked down: binds 127.0.0.1 only; every /api/ request and socket must carry the per-launch
// token (checked before any routing, 401 otherwise); Host must be the loopback address we bound
// and a present Origin must be our own (DNS-rebinding and cross-site defence, 403 otherwise);
// request bodies are capped.
//
// The launch token never travels further than it must (as Jupyter does): the printed URL's
// `?token=` is exchanged, on the first page load, for a random session id in an HttpOnly,
// SameSite=Strict cookie (named after the port, so two servers never share one) and the browser is
// redirected to the same page without it; API calls then carry the cookie, or the token in an
// `Authorization: Bearer` header (scripts, tests); a token in a query string is never accepted on
// /api/ or the event socket. `--open` hands the browser a private redirect file, not the URL, so
// the token is not on any process's command line. The CSP is sent as a header too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { AtlasError, HTTP_STATUS, parseRequest, type AtlasApi, type AtlasEvent, type MethodName } from '../../common/api';
import { CONTENT_SECURITY_POLICY } from '../security';

export const MAX_BODY_BYTES = 1 << 20;

export interface HttpCarrierOptions {
  api: AtlasApi;
  /** Subscribe to engine events; returns an unsubscribe function. */
  subscribe: (listener: (event: AtlasEvent) => void) => () => void;
  /** Folder with the built renderer (index.html + assets). */
  staticRoot: string;
  port?: number;
  token?: string;
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
};

export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The launch token of a request: the Authorization header only (never the query string). */
function requestToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return null;
}

/** The value of cookie `name` in a Cookie header, if any. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Session cookies handed out for this launch (a browser that presented the token once). */
const MAX_SESSIONS = 256;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(data);
}

function sendError(res: ServerResponse, err: AtlasError): void {
  // An error may leave an unread request body on the socket: never reuse that connection.
  res.setHeader('Connection', 'close');
  sendJson(res, HTTP_STATUS[err.code], err.toBody());
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new AtlasError('bad-request', `request body of ${declared} bytes exceeds the ${MAX_BODY_BYTES}-byte limit`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AtlasError('bad-request', `request body exceeds the ${MAX_BODY_BYTES}-byte limit`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AtlasError('bad-request', 'request body is not valid JSON');
  }
}

/** Host must name the loopback interface and port we bound: refuses DNS-rebound names. */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** A browser always sends Origin on cross-origin requests and WebSocket upgrades. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true; // same-origin GET navigations and non-browser clients
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

export async function startHttpCarrier(options: HttpCarrierOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const staticRoot = resolve(options.staticRoot);
  let port = 0;
  const sessions: string[] = [];
  const cookieName = (): string => `atlas_session_${port}`;
  const hasSession = (req: IncomingMessage): boolean => {
    const id = cookieValue(req.headers.cookie, cookieName());
    return !!id && sessions.some((s) => tokenMatches(id, s));
  };
  /** Token in the Authorization header, or a session cookie from an earlier exchange. */
  const authorised = (req: IncomingMessage): boolean => tokenMatches(requestToken(req), token) || hasSession(req);

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const e = err instanceof AtlasError ? err : new AtlasError('internal', (err as Error)?.message ?? String(err));
      if (!res.headersSent) sendError(res, e);
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostAllowed(req.headers.host, port)) throw new AtlasError('forbidden', 'Host header is not this loopback server');
    if (!originAllowed(req.headers.origin, port)) throw new AtlasError('forbidden', 'cross-origin request refused');

    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      // Token first, before any routing: an unauthenticated caller learns nothing about the API.
      if (!authorised(req)) throw new AtlasError('unauthorized', 'missing or wrong launch token');
      if (req.method !== 'POST') throw new AtlasError('bad-request', 'API calls are POST requests with a JSON body');
      const ctype = req.headers['content-type'] ?? '';
      if (ctype && !ctype.startsWith('application/json')) throw new AtlasError('bad-request', 'API calls need Content-Type: application/json');
      const name = url.pathname.slice('/api/'.length);
      const body = await readBody(req);
      const { method, request } = parseRequest(name, body);
      const fn = options.api[method as MethodName] as (r: unknown) => Promise<unknown>;
      const result = await fn.call(options.api, request);
      sendJson(res, 200, result);
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') throw new AtlasError('bad-request', 'only GET is served outside /api/');
    if (url.searchParams.has('token')) return exchangeToken(req, res, url);
    await serveStatic(url.pathname, res, req.method === 'HEAD');
  }

  /**
   * `GET /page?token=T`: with the right token, set a session cookie and redirect to the page
   * without the token (so it leaves the address bar, history and Referer); else 401.
   */
  function exchangeToken(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!tokenMatches(url.searchParams.get('token'), token)) throw new AtlasError('unauthorized', 'wrong launch token: use the URL printed by this server');
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Cache-Control': 'no-store' };
    if (!hasSession(req)) {
      const id = randomBytes(32).toString('base64url');
      sessions.push(id);
      if (sessions.length > MAX_SESSIONS) sessions.shift();
      headers['Set-Cookie'] = `${cookieName()}=${id}; HttpOnly; SameSite=Strict; Path=/`;
    }
    url.searchParams.delete('token');
    res.writeHead(302, { ...headers, Location: url.pathname + url.search });
    res.end();
  }

  async function serveStatic(pathname: string, res: ServerResponse, headOnly: boolean): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      throw new AtlasError('bad-request', 'malformed path');
    }
    if (rel.includes('\0')) throw new AtlasError('bad-request', 'malformed path');
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = normalize(join(staticRoot, rel));
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) throw new AtlasError('forbidden', 'path escapes the app folder');
    let data: Buffer;
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      data = await readFile(file);
    } catch {
      if (rel === '/index.html') {
        throw new AtlasError('not-found', `the UI is not built (${join(staticRoot, 'index.html')} missing): run npm run build`);
      }
      throw new AtlasError('not-found', `no such file: ${rel}`);
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': rel === '/index.html' ? 'no-store' : 'max-age=3600',
    });
    res.end(headOnly ? undefined : data);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const refuse = (status: number, text: string): void => {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (!hostAllowed(req.headers.host, port) || !originAllowed(req.headers.origin, port)) return refuse(403, 'Forbidden');
    if (!authorised(req)) return refuse(401, 'Unauthorized');
    if (url.pathname !== '/api/events') return refuse(404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });
  const unsubscribe = options.subscribe((event) => {
    const data = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(data);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
