// The renderer's one client for AtlasApi (common/api.ts). It talks to whichever carrier is present:
// the Electron preload bridge (window.atlas) or, in a plain browser, the loopback HTTP server
// (POST /api/<method>, events on the /api/events WebSocket) authenticated by the per-launch token
// that arrives in the page URL. Types only are imported from common/api.ts so zod stays out of
// the bundle; the engine validates every request at its boundary.
import type { AtlasApi, AtlasEvent, ErrorCode, MethodName, Request, Response } from '../../common/api';

/** What preload/index.ts exposes through contextBridge. */
export interface PreloadBridge {
  invoke(method: string, request: unknown): Promise<unknown>;
  onEvent(cb: (event: unknown) => void): () => void;
  /** Absolute path of a dropped File (Electron webUtils.getPathForFile), when the preload offers it. */
  pathForFile?: (file: File) => string;
}

declare global {
  interface Window {
    atlas?: PreloadBridge;
  }
}

/** A failed call, with the engine's error code (network failures use 'io'). */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'network',
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface AtlasClient {
  api: AtlasApi;
  carrier: 'electron' | 'http';
  /** Subscribe to engine events; returns the unsubscribe function. */
  onEvent(cb: (event: AtlasEvent) => void): () => void;
  /** Event-stream state changes (a reconnect means events may have been missed: re-list jobs). */
  onConnection(cb: (state: ConnectionState) => void): () => void;
  /** Path of a dropped file/folder, when the carrier can know it (Electron only). */
  pathForFile(file: File): string | null;
}

const TOKEN_KEY = 'atlas.token';

/**
 * Token from ?token= (then remembered and removed from the visible URL), else the remembered one.
 * Remembered in localStorage, which is per origin, i.e. per server (127.0.0.1:PORT): a second tab,
 * a reload or a bookmark of this server's pages works while it runs; a server started later has
 * another port and token, and the page then says how to get a fresh link (App.tsx TokenHelp).
 */
export function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    try {
      localStorage.setItem(TOKEN_KEY, fromUrl);
    } catch {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
    }
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + (url.search ? url.search : '') + url.hash);
    return fromUrl;
  }
  try {
    return localStorage.getItem(TOKEN_KEY) ?? sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return sessionStorage.getItem(TOKEN_KEY);
  }
}

function errorFrom(body: unknown, fallback: string): ApiError {
  if (body && typeof body === 'object' && 'code' in body && 'message' in body) {
    const b = body as { code: ErrorCode; message: string; file?: string };
    return new ApiError(b.code, String(b.message), b.file);
  }
  return new ApiError('internal', fallback);
}

function makeApi(call: (method: MethodName, request: unknown) => Promise<unknown>): AtlasApi {
  // A Proxy rather than a list of method names: the names live in common/api.ts's zod object,
  // which the renderer does not load.
  return new Proxy({} as AtlasApi, {
    get: (_target, prop) => {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return (request: Request<MethodName>) => call(prop as MethodName, request ?? {}) as Promise<Response<MethodName>>;
    },
  });
}

function electronClient(bridge: PreloadBridge): AtlasClient {
  return {
    carrier: 'electron',
    api: makeApi(async (method, request) => {
      try {
        return await bridge.invoke(method, request);
      } catch (e) {
        throw errorFrom(e, e instanceof Error ? e.message : String(e));
      }
    }),
    onEvent: (cb) => bridge.onEvent((e) => cb(e as AtlasEvent)),
    onConnection: (cb) => {
      cb('open');
      return () => undefined;
    },
    pathForFile: (file) => {
      if (bridge.pathForFile) return bridge.pathForFile(file) || null;
      const legacy = (file as File & { path?: string }).path;
      return legacy || null;
    },
  };
}

function httpClient(token: string | null): AtlasClient {
  const listeners = new Set<(e: AtlasEvent) => void>();
  const stateListeners = new Set<(s: ConnectionState) => void>();
  let socket: WebSocket | null = null;
  let retryMs = 500;
  let state: ConnectionState = 'closed';
  const setState = (s: ConnectionState) => {
    state = s;
    for (const l of stateListeners) l(s);
  };
  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    // Authenticated by the session cookie; the server never accepts a token in a query string.
    socket = new WebSocket(`${proto}://${location.host}/api/events`);
    setState('connecting');
    socket.onopen = () => {
      retryMs = 500;
      setState('open');
    };
    socket.onmessage = (msg) => {
      let event: AtlasEvent;
      try {
        event = JSON.parse(String(msg.data)) as AtlasEvent;
      } catch {
        return;
      }
      for (const l of listeners) l(event);
    };
    socket.onclose = () => {
      socket = null;
      setState('closed');
      if (listeners.size > 0 || stateListeners.size > 0) {
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      }
    };
  };
  const ensureSocket = () => {
    if (!socket) connect();
  };
  return {
    carrier: 'http',
    api: makeApi(async (method, request) => {
      let res: globalThis.Response;
      try {
        res = await fetch(`/api/${method}`, {
          method: 'POST',
          // The server's session cookie (HttpOnly, from the token exchange) authenticates the page;
          // a token is sent only when one was handed to this tab directly.
          headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(request),
        });
      } catch (e) {
        throw new ApiError('network', `cannot reach the Atlas server (${e instanceof Error ? e.message : String(e)})`);
      }
      const text = await res.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        throw new ApiError('internal', `${method}: the server answered ${res.status} with non-JSON`);
      }
      if (!res.ok) throw errorFrom(body, `${method}: HTTP ${res.status}`);
      return body;
    }),
    onEvent: (cb) => {
      listeners.add(cb);
      ensureSocket();
      return () => listeners.delete(cb);
    },
    onConnection: (cb) => {
      stateListeners.add(cb);
      ensureSocket();
      cb(state);
      return () => stateListeners.delete(cb);
    },
    pathForFile: () => null,
  };
}

export function createClient(): AtlasClient {
  if (window.atlas && typeof window.atlas.invoke === 'function') return electronClient(window.atlas);
  return httpClient(takeToken());
}
