// The registry of analyses (what every process shares). Adding an analysis: write
// common/analyses/<name>.ts (see docs/ARCHITECTURE.md "Adding an analysis") and list it here;
// AnalysisKind (common/api.ts), the metric catalogue (common/catalogue.ts), the frame kinds, the
// planner and the exporter all read this list.
import type { AnalysisInfo } from './types';
import { weights } from './weights';
import { fits } from './fits';
import { spectra } from './spectra';
import { embedding } from './embedding';
import { svdDirections } from './svd-directions';
import { activations } from './activations';
import { gradients } from './gradients';
import { headSpectra } from './head-spectra';
import { headUpdates } from './head-updates';

export type { AnalysisInfo, FrameSpec, MetricSpec, FrameExportContext } from './types';

/** In planning order: an analysis's units run after those of the analyses before it. */
export const ANALYSES = [weights, fits, spectra, embedding, svdDirections, activations, gradients, headSpectra, headUpdates] as const satisfies readonly AnalysisInfo[];

type Analysis = (typeof ANALYSES)[number];
export type AnalysisId = Analysis['id'];
/** A unit of work (main/jobs/units/<unit>.ts); one or more per analysis. */
export type UnitName = Analysis['units'][number];
export type FrameKindId = Analysis['frames'][number]['kind'];

const ids = ANALYSES.map((a) => a.id);
/** Analysis ids as a non-empty tuple (for z.enum). */
export const ANALYSIS_IDS = ids as [AnalysisId, ...AnalysisId[]];
const kinds = [...new Set(ANALYSES.flatMap((a) => a.frames.map((f) => f.kind)))];
export const FRAME_KINDS = kinds as [FrameKindId, ...FrameKindId[]];
/** Every unit in planning order. */
export const UNIT_ORDER: readonly UnitName[] = ANALYSES.flatMap((a) => a.units as readonly UnitName[]);

export const ANALYSIS_BY_ID: ReadonlyMap<AnalysisId, AnalysisInfo> = new Map(ANALYSES.map((a) => [a.id, a as AnalysisInfo]));

/** The analysis a unit belongs to. */
export function analysisOfUnit(unit: UnitName): AnalysisId {
  const a = ANALYSES.find((x) => (x.units as readonly string[]).includes(unit));
  if (!a) throw new Error(`unit ${unit} belongs to no analysis`);
  return a.id;
}
