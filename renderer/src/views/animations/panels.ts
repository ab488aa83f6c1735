// The Animations tab's panel kinds, their labels, their export views and which tensors feed
// them (shared by views/Animations.tsx and the panel modules beside this file).
import type { ExportRequest } from '../../components/ExportMenu';
import type { TensorMeta } from '../../../../common/api';
import { GIF_DEFAULT_SIZE } from '../../../../common/charts';

export type PanelKind = 'histogram' | 'qq' | 'spectrum' | 'grad_histogram' | 'resid_histogram' | 'embedding_correlation';
export const PANEL_LABEL: Record<PanelKind, string> = {
  histogram: 'Weight histogram',
  qq: 'QQ plot',
  spectrum: 'Spectrum',
  grad_histogram: 'Gradient histogram',
  resid_histogram: 'Activation histogram',
  embedding_correlation: 'Embedding correlation',
};

/** The engine's export view (renderExport) of each animation panel. */
export const EXPORT_VIEW: Record<PanelKind, ExportRequest['view']> = {
  histogram: 'histogram',
  qq: 'qq',
  spectrum: 'spectrum',
  grad_histogram: 'gradients',
  resid_histogram: 'activations',
  embedding_correlation: 'correlation',
};
/** Animated GIF size: the app's panel proportions. */
export const GIF_SIZE = GIF_DEFAULT_SIZE;

/** Forward-pass activations: the residual stream (resid.i, final_norm) and MLP hidden activations (mlp.i, component mlp.act). */
export const isActivation = (t: TensorMeta) => t.kind === 'activation' || t.component === 'resid' || t.component === 'mlp.act' || /^(resid|mlp)\.\d+$/.test(t.tensor) || t.tensor === 'final_norm';
/** What an activation histogram is of. */
export const activationLabel = (t: TensorMeta | null) => (t?.component === 'mlp.act' ? 'MLP hidden activation histogram' : 'Residual stream histogram');
export const isParameter = (t: TensorMeta) => !isActivation(t) && t.tensor !== 'probe' && (t.kind === 'weight' || t.kind === 'bias' || t.kind === 'other');
