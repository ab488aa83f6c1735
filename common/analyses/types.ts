// The shape of an analysis descriptor as every process sees it (common/analyses/<name>.ts): its
// id, the units that compute it (main/jobs/units/<unit>.ts), the scalar metrics and array frames
// it stores, how each frame is written by `export`, and which views draw it. Plain data and pure
// functions only: the renderer imports these files too.

/** One scalar metric an analysis stores (the id is the export contract's metric name). */
export interface MetricSpec {
  id: string;
  label: string;
  unit: string;
  /**
   * weight tensors, 2-D weights only, activations (resid.i / final_norm), the probe, gradients,
   * attention heads (`attn.{block}.head.{h}...`, common/analyses/head-spectra.ts)
   */
  appliesTo: 'tensor' | 'matrix' | 'activation' | 'probe' | 'gradient' | 'head';
  description: string;
  /** Heavy-tailed or multiplicative quantities read better on a log colour scale. */
  logScale: boolean;
  /**
   * A bound the computation clamps the value to (Student-t ν stops at 10^4): cells at the bound are
   * marked and the heatmap's legend says what the bound means.
   */
  bound?: { value: number; side: 'max' | 'min'; /** legend words: 'at <note> <value>' */ note: string };
}

/** What the exporter knows besides the frame itself. */
export interface FrameExportContext {
  /** The same tensor's frame of this kind at the run's final checkpoint (decoded), or null. */
  finalFrame(): Record<string, unknown> | null;
}

/** An array result: its frame kind in the cache and API, and its JSON Lines export. */
export interface FrameSpec {
  kind: string;
  /** The export file it is written to (several kinds may share one). */
  file: string;
  /** The JSON fields written after `run step checkpoint tensor` (DOMAIN.md export contract). */
  exportShape(data: Record<string, unknown>, ctx: FrameExportContext): Record<string, unknown>;
}

export interface AnalysisInfo {
  /** The id in AnalysisKind, the CLI's --analyses and the cache's unit rows. */
  id: string;
  label: string;
  /** Units that compute it, in dependency order (each one main/jobs/units/<unit>.ts). */
  units: readonly string[];
  metrics: readonly MetricSpec[];
  frames: readonly FrameSpec[];
  /** Run-page views that draw it (renderer/src/views). */
  views: readonly string[];
}

/** A MetricSpec in one line (the catalogue's tables stay readable). */
export function metric(id: string, label: string, unit: string, appliesTo: MetricSpec['appliesTo'], description: string, logScale = false): MetricSpec {
  return { id, label, unit, appliesTo, description, logScale };
}
