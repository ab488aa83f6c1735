// The Electron carrier of AtlasApi: one invoke channel validated by the same zod schemas as
// HTTP, and one event channel. Only carries; the engine implements.
import type { IpcMain, WebContents, IpcMainInvokeEvent } from 'electron';
import { AtlasError, IPC_EVENT, IPC_INVOKE, parseRequest, type AtlasApi, type AtlasEvent, type MethodName } from '../../common/api';

export function attachIpcCarrier(
  ipcMain: IpcMain,
  api: AtlasApi,
  subscribe: (listener: (event: AtlasEvent) => void) => () => void,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean,
  targets: () => WebContents[],
): () => void {
  ipcMain.handle(IPC_INVOKE, async (event, method: unknown, body: unknown) => {
    if (!isTrustedSender(event)) return { ok: false, error: new AtlasError('forbidden', 'IPC from an untrusted frame').toBody() };
    try {
      const { method: m, request } = parseRequest(String(method), body);
      const fn = api[m as MethodName] as (r: unknown) => Promise<unknown>;
      return { ok: true, value: await fn.call(api, request) };
    } catch (err) {
      const e = err instanceof AtlasError ? err : new AtlasError('internal', (err as Error)?.message ?? String(err));
      return { ok: false, error: e.toBody() };
    }
  });
  const unsubscribe = subscribe((ev) => {
    for (const wc of targets()) if (!wc.isDestroyed()) wc.send(IPC_EVENT, ev);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_INVOKE);
  };
}
