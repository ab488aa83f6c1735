// Plain input types of the chart functions: what a panel or a frame needs to be drawn and
// labelled. Kept free of echarts and of the API transport so the GIF exporter can build them too.
import type { Block } from '../domain';

/** The part of a catalogue MetricDef a chart needs (unknown metrics get label = id, unit ''). */
export interface MetricLike {
  id: string;
  label: string;
  unit: string;
  logScale?: boolean;
  /** A bound the value is clamped to (common/analyses/types.ts MetricSpec.bound). */
  bound?: { value: number; side: 'max' | 'min'; note: string };
}

/** What every animation frame must say about itself (presentation rule: run, component, block, step, units). */
export interface FrameLabel {
  runName: string;
  tensor: string;
  component: string;
  block: Block | null;
  step: number | null;
  checkpointId: string;
  unit: string;
}

/** echarts options are plain objects; kept loose here so that Node code need not load echarts' types. */
export type ChartOption = Record<string, unknown>;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Default export sizes, one for the app and the CLI: GIFs in the Animations panels' proportions, figures. */
export const GIF_DEFAULT_SIZE = { width: 720, height: 450 } as const;
export const FIGURE_DEFAULT_SIZE = { width: 1000, height: 600 } as const;
