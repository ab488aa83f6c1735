// What the GIF dialog (GifOptions.tsx) counts: the frames the engine will write for a step (or
// tokens) range. One run: one frame per checkpoint with a cached frame inside the inclusive step
// range (main/export/gif.ts). A comparison (`compare`): one frame per position of the shared
// timeline where some run has a frame, aligned by step or tokens seen (`align`), counted by the
// function the exporter uses (common/charts/compare-timeline.ts comparisonGifIndex), from every
// run's checkpoints (getRun: tokens as the app shows them) and frame series.
import { ANIMATION_VIEWS, FRAME_KIND_OF_VIEW, type AnimationView, type FrameSeries } from '../../../common/api';
import { comparisonGifIndex, type GifFrameIndex } from '../../../common/charts/compare-timeline';
import type { AtlasClient } from '../api-client';
import { cachedFrames } from '../frames-cache';
import type { ExportRequest } from './export-types';

type Client = AtlasClient;
type Checkpoint = { id: string; step: number | null; tokens?: number | null; missing: boolean };

/** The engine's count of one run: frames of checkpoints inside [a, b] (unnumbered ones only when no range is asked). */
export function framesInRange(framed: ReadonlyArray<number | null>, range?: readonly [number, number]): number {
  if (!range) return framed.length;
  return framed.filter((s) => s !== null && s >= range[0] && s <= range[1]).length;
}

async function runAndFrames(client: Client, runId: string, kind: FrameSeries['kind'], tensor: string): Promise<{ checkpoints: Checkpoint[]; series: FrameSeries }> {
  // The view's own series when it has one (no second download of megabytes of frames).
  const cached = await (cachedFrames(runId, kind, tensor)?.catch(() => null) ?? Promise.resolve(null));
  const [{ run }, series] = await Promise.all([client.api.getRun({ runId }), cached ?? client.api.frames({ runId, kind, tensor })]);
  return { checkpoints: (run.checkpoints ?? []) as Checkpoint[], series };
}

/** The dialog's range choices and frame count for an export request. */
export async function loadGifFrameIndex(client: Client, request: ExportRequest): Promise<GifFrameIndex> {
  const kind = (ANIMATION_VIEWS as readonly string[]).includes(request.view) ? FRAME_KIND_OF_VIEW[request.view as AnimationView] : undefined;
  if (!kind || !request.tensor) throw new Error(`${request.view} has no frame series to count`);
  const tensor = request.tensor;
  if (request.compare?.length) {
    const ids = [...new Set([request.runId, ...request.compare])];
    const runs = await Promise.all(ids.map((id) => runAndFrames(client, id, kind, tensor).then(({ checkpoints, series }) => ({ id, checkpoints, steps: series.steps, present: series.frames.map((f) => f !== null) }))));
    return comparisonGifIndex(request.align ?? 'step', runs);
  }
  const { checkpoints, series } = await runAndFrames(client, request.runId, kind, tensor);
  const stepOf = new Map(checkpoints.map((c) => [c.id, c.step]));
  const framed = series.checkpointIds.flatMap((id, i) => (series.frames[i] === null ? [] : [stepOf.get(id) ?? null]));
  const choices = [...new Set(checkpoints.filter((c) => !c.missing && c.step !== null).map((c) => c.step as number))].sort((a, b) => a - b);
  return { byTokens: false, choices, count: (range) => framesInRange(framed, range) };
}
