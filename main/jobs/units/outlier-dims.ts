// The `outlier_dims` frames of the `activations` unit (common/analyses/outliers.ts): per residual
// stream resid.{i}, the max |x| of every dimension over the probe batch (from
// main/metrics/activations.ts), its top dimensions, and the gains of the norms that read that
// stream: block i's ln.attn (and its ln.mlp when the residual is parallel, GPT-NeoX), or ln.final
// after the last block. Gains are read as stored (float32 upcast), one small 1-D tensor each.
import type { ModelConfig } from '../../../common/domain';
import type { Family } from '../../../common/domain';
import { OUTLIER_TOP_DIMS, residIndex, topDims, type NormGain, type OutlierDimsFrame } from '../../../common/analyses/outliers';
import type { TensorSource } from '../../formats/types';
import type { ArrayResult } from '../../store/store';
import { roleOf } from '../../architectures';

/** The norm components that read resid.{depth} in a model of `layers` blocks. */
export function readingNorms(depth: number, config: Pick<ModelConfig, 'layers' | 'parallelResidual'>): Array<{ block: number | 'final'; component: string }> {
  if (depth >= config.layers) return [{ block: 'final', component: 'ln.final' }];
  const out: Array<{ block: number | 'final'; component: string }> = [{ block: depth, component: 'ln.attn' }];
  if (config.parallelResidual) out.push({ block: depth, component: 'ln.mlp' });
  return out;
}

export async function outlierDimsFrames(src: TensorSource, family: Family, config: ModelConfig, dimMax: ReadonlyMap<string, Float64Array>): Promise<ArrayResult[]> {
  // The norm weights of the checkpoint by (block, component).
  const norms = new Map<string, string>();
  for (const e of src.list()) {
    const r = roleOf(family, e.name);
    if (r.kind === 'weight' && (r.component === 'ln.attn' || r.component === 'ln.mlp' || r.component === 'ln.final')) norms.set(`${String(r.block)}/${r.component}`, e.name);
  }
  const gains = new Map<string, Float32Array | Float64Array>();
  const out: ArrayResult[] = [];
  for (const [tensor, dims] of dimMax) {
    const depth = residIndex(tensor);
    if (depth === null) continue;
    const reading: NormGain[] = [];
    for (const { block, component } of readingNorms(depth, config)) {
      const name = norms.get(`${String(block)}/${component}`);
      if (!name) continue;
      if (!gains.has(name)) gains.set(name, await src.read(name, 'f32'));
      const g = gains.get(name)!;
      if (g.length !== dims.length) continue; // not a per-dimension gain of this stream
      reading.push({ component, tensor: name, gain: Float32Array.from(g) });
    }
    const frame: OutlierDimsFrame = { dim_max_abs: Float32Array.from(dims), top_dims: topDims(dims, OUTLIER_TOP_DIMS), norms: reading };
    out.push({ kind: 'outlier_dims', tensor, data: frame });
  }
  return out;
}
