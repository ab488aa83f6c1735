// Frame series are fetched once per (run, kind, tensor, data version), decoded once (base64 typed
// arrays -> Float32Array, common/frames.ts) and kept in memory so that scrubbing and playback
// never touch the network.
import type { FrameKind, FrameSeries } from '../../common/api';
import { decodeFrame } from '../../common/frames';
import type { AtlasClient } from './api-client';

const cache = new Map<string, Promise<FrameSeries>>();

export function loadFrames(client: AtlasClient, runId: string, kind: FrameKind, tensor: string, version: number): Promise<FrameSeries> {
  const key = `${runId}\u0000${kind}\u0000${tensor}\u0000${version}`;
  let p = cache.get(key);
  if (!p) {
    p = client.api.frames({ runId, kind, tensor }).then((s) => ({ ...s, frames: s.frames.map((f) => (f === null ? null : decodeFrame(f))) }));
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
