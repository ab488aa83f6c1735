// The metric catalogue: ids (exactly the export contract's metric names), labels, units, which
// analysis produces them and to what they apply, gathered from the analysis descriptors
// (common/analyses/<name>.ts). The UI builds its menus from this; the engine checks what it
// stores against it.
import type { AnalysisKind } from './api';
import { ANALYSES, type MetricSpec } from './analyses';

export interface MetricDef extends MetricSpec {
  analysis: AnalysisKind;
}

/** Every metric of every analysis (common/analyses/<name>.ts), in registry order. */
export const METRICS: readonly MetricDef[] = ANALYSES.flatMap((a) => a.metrics.map((m): MetricDef => ({ ...m, analysis: a.id })));

/**
 * Activation metrics share names with weight metrics in the export contract (`mean`, `std`,
 * `excess_kurtosis` under tensor `resid.i`). Internally they carry an `act_` prefix so a metric id
 * is unique; the exporter maps them back.
 */
export const EXPORT_NAME: Record<string, string> = {
  act_mean: 'mean',
  act_std: 'std',
  act_excess_kurtosis: 'excess_kurtosis',
};

export const METRIC_BY_ID: ReadonlyMap<string, MetricDef> = new Map(METRICS.map((d) => [d.id, d]));

/** Display order of components in the overview grid. */
export const COMPONENT_ORDER = [
  'embed', 'pos_embed', 'ln.attn', 'attn.qkv', 'attn.q', 'attn.k', 'attn.v', 'attn.out',
  'ln.mlp', 'mlp.in', 'mlp.gate', 'mlp.out', 'ln.final', 'unembed', 'resid', 'attn.head', 'other',
] as const;
