// Frame series are fetched once per (run, kind, tensor, data version), decoded once (base64 typed
// arrays -> Float32Array, common/frames.ts) and kept in memory so that scrubbing and playback
// never touch the network.
import type { FrameKind, FrameSeries } from '../../common/api';
import { decodeFrame } from '../../common/frames';
import type { AtlasClient } from './api-client';

const cache = new Map<string, Promise<FrameSeries>>();
/** The newest cached series of each (run, kind, tensor), whatever its data version. */
const newest = new Map<string, Promise<FrameSeries>>();

export function loadFrames(client: AtlasClient, runId: string, kind: FrameKind, tensor: string, version: number): Promise<FrameSeries> {
  const key = `${runId}\u0000${kind}\u0000${tensor}\u0000${version}`;
  let p = cache.get(key);
  if (!p) {
    p = client.api.frames({ runId, kind, tensor }).then((s) => ({ ...s, frames: s.frames.map((f) => (f === null ? null : decodeFrame(f))) }));
    p.catch(() => cache.delete(key));
    cache.set(key, p);
    newest.set(`${runId}\u0000${kind}\u0000${tensor}`, p);
  }
  return p;
}

/**
 * The series a view last loaded for (run, kind, tensor), if any: the GIF dialog counts the frames
 * the view shows without fetching the series again (a correlation series is megabytes).
 */
export function cachedFrames(runId: string, kind: FrameKind, tensor: string): Promise<FrameSeries> | null {
  return newest.get(`${runId}\u0000${kind}\u0000${tensor}`) ?? null;
}
