// Preload: exposes AtlasApi's carrier to the sandboxed renderer through contextBridge, and
// nothing else (no Node, no ipcRenderer itself). window.atlas.invoke(method, request) resolves
// with the response or rejects with {code, message, file?}; onEvent subscribes to engine events.
import { contextBridge, ipcRenderer, webUtils } from 'electron';

const IPC_INVOKE = 'atlas:invoke';
const IPC_EVENT = 'atlas:event';

contextBridge.exposeInMainWorld('atlas', {
  invoke: async (method: string, request: unknown): Promise<unknown> => {
    const reply = (await ipcRenderer.invoke(IPC_INVOKE, method, request)) as { ok: boolean; value?: unknown; error?: unknown };
    if (reply.ok) return reply.value;
    throw reply.error;
  },
  onEvent: (callback: (event: unknown) => void): (() => void) => {
    const listener = (_e: unknown, event: unknown): void => callback(event);
    ipcRenderer.on(IPC_EVENT, listener);
    return () => ipcRenderer.off(IPC_EVENT, listener);
  },
  /** Real path of a dropped file or folder (Electron >= 32 removed File.path). */
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
});
