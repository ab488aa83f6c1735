// The `head-updates` unit (common/analyses/head-updates.ts) of one checkpoint: per block, the
// change of its attention weights since the previous checkpoint (this checkpoint's tensors minus
// the previous one's, in float64), sliced per head by the family module exactly as the per-head
// spectra and OV circuits are (`qkvHeads` for the Q, K, V rows, `ovHeads` for the O columns: a
// slice is linear, so the slice of the change is the change of the slice), and each slice's
// Frobenius norm: head_dist_to_prev, and over the steps since the previous checkpoint
// head_update_per_step (the weights unit's stepGap). The first checkpoint has no previous one:
// no values.
import type { Component, ModelConfig, RunInfo } from '../../../common/domain';
import type { TensorEntry } from '../../formats/types';
import type { ScalarResult, UnitResults } from '../../store/store';
import { ovHeadsOf, qkvHeadsOf, type OvHeads, type QkvHeads } from '../../architectures';
import { headUpdateTensor, type HeadUpdatePart } from '../../../common/analyses/head-updates';
import { largestTensorBytes } from '../cost';
import { shortHash } from '../plan';
import { analysedTensors, eachTensor, hasName, precisionOf, withSources } from './common';
import { stepGap } from './weights';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

export interface HeadUpdate {
  head: number;
  part: HeadUpdatePart;
  /** Frobenius norm of the slice of the change. */
  dist: number;
}

function frobenius(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/** The weights a block's per-head slicing reads: the Q/K/V projections, then the output projection. */
export function headUpdateComponents(qkv: QkvHeads, ov: OvHeads): Component[] {
  return [...new Set<Component>([...qkv.components, ...ov.components])];
}

/**
 * Per-head norms of one block's weight changes: `changes` holds each of headUpdateComponents'
 * weights' change (flat, as stored). Q, K, V per head (K, V per kv head under GQA), O per query head.
 */
export function headUpdateNorms(qkv: QkvHeads, ov: OvHeads, changes: ReadonlyMap<Component, Float64Array>, config: ModelConfig): HeadUpdate[] {
  const get = (c: Component): Float64Array => {
    const w = changes.get(c);
    if (!w) throw new Error(`head updates: no change of ${c}`);
    return w;
  };
  const out: HeadUpdate[] = qkv.slices(qkv.components.map(get), config).map((s) => ({ head: s.head, part: s.part, dist: frobenius(s.data) }));
  const [value, output] = ov.components.map(get);
  for (let h = 0; h < config.heads; h++) out.push({ head: h, part: 'o', dist: frobenius(ov.slice(value, output, config, h).wO) });
  return out;
}

interface BlockEntries {
  block: number;
  /** The largest of the block's weights (eachTensor takes the large-tensor slot by its size). */
  entry: TensorEntry;
  entries: Map<Component, TensorEntry>;
}

export async function headUpdatesUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  const config = task.run.config;
  const qkv = qkvHeadsOf(task.run.family);
  const ov = ovHeadsOf(task.run.family);
  if (!config || !qkv || !ov) throw new Error('per-head updates need config.json and a known architecture (gpt_neox, gpt2, llama)');
  const prev = task.prev;
  if (!prev) return { scalars: [], arrays: [], info: { warnings: [] }, tensors: [] };
  const gap = stepGap(task);
  const components = headUpdateComponents(qkv, ov);
  return withSources([task.checkpoint.folder, prev.folder], async ([src, prevSrc]) => {
    const scalars: ScalarResult[] = [];
    const warnings: string[] = [];
    const tensors: NonNullable<UnitResults['tensors']> = [];
    const byBlock = new Map<number, Map<Component, TensorEntry>>();
    for (const { entry, role } of analysedTensors(task, src!)) {
      if (role.kind !== 'weight' || typeof role.block !== 'number' || !components.includes(role.component as Component)) continue;
      if (!byBlock.has(role.block)) byBlock.set(role.block, new Map());
      byBlock.get(role.block)!.set(role.component as Component, entry);
    }
    const blocks: BlockEntries[] = [];
    for (const [block, entries] of [...byBlock].sort((a, b) => a[0] - b[0])) {
      const missing = components.filter((c) => !entries.has(c) || !hasName(prevSrc!, entries.get(c)!.name));
      if (missing.length) {
        warnings.push(`block ${block}: ${missing.join(', ')} missing here or in the previous checkpoint; its heads are skipped`);
        continue;
      }
      const entry = [...entries.values()].reduce((a, b) => (numel(b) > numel(a) ? b : a));
      blocks.push({ block, entry, entries });
    }
    await eachTensor(blocks, async ({ block, entries }) => {
      progress(`block ${block} head updates`);
      const changes = new Map<Component, Float64Array>();
      for (const c of components) {
        const e = entries.get(c)!;
        const p = hasName(prevSrc!, e.name)!;
        if (p.shape.join('x') !== e.shape.join('x')) {
          warnings.push(`block ${block}: ${e.name} is [${e.shape.join(', ')}] here and [${p.shape.join(', ')}] in the previous checkpoint; its heads are skipped`);
          return;
        }
        const now = await src!.read(e.name, precisionOf(e));
        const before = await prevSrc!.read(e.name, precisionOf(e));
        const d = new Float64Array(now.length);
        for (let i = 0; i < d.length; i++) d[i] = now[i] - before[i];
        if (!d.every(Number.isFinite)) {
          warnings.push(`block ${block}: non-finite change of ${e.name}; its heads are skipped`);
          return;
        }
        changes.set(c, d);
      }
      for (const u of headUpdateNorms(qkv, ov, changes, config)) {
        const tensor = headUpdateTensor(block, u.head, u.part);
        scalars.push({ metric: 'head_dist_to_prev', tensor, value: u.dist });
        if (gap !== null) scalars.push({ metric: 'head_update_per_step', tensor, value: u.dist / gap });
        tensors.push({ tensor, role: { block, component: u.part === 'o' ? 'attn.out' : `attn.${u.part}`, kind: 'other' }, shape: u.part === 'o' ? [config.hidden, config.headDim] : [config.headDim, config.hidden] });
      }
    });
    return { scalars, arrays: [], info: { warnings }, tensors };
  });
}

function numel(e: TensorEntry): number {
  return e.shape.reduce((a, b) => a * b, 1);
}

function headUpdatesPrecondition(run: RunInfo): string | null {
  if (!run.config) return 'no config.json with the number of heads';
  if (!qkvHeadsOf(run.family) || !ovHeadsOf(run.family)) return 'per-head updates need a known architecture (gpt_neox, gpt2, llama)';
  return null;
}

export const descriptor: UnitDescriptor = {
  name: 'head-updates',
  version: 1,
  precondition: headUpdatesPrecondition,
  // As the weights unit's dist_to_prev / update_per_step: the previous checkpoint and the steps between.
  context: ({ planned: p }) => shortHash({ prev: p.prev?.fingerprint ?? null, gap: stepGap(p) }),
  run: headUpdatesUnit,
  cost: {
    // Reads a block's attention weights (about a third of its parameters) twice, as float64 changes.
    work: (s) => s.params,
    memory: largestTensorBytes,
    // The weights unit's rate (a streaming pass over the same bytes). Memory: the block's attention
    // weights now and before (float32), their changes and the per-head slices (float64): about 7 x
    // the largest weight's float32 bytes for GPT-NeoX's fused QKV.
    calibration: { rate: 5e-8, memoryFactor: 7 },
  },
};
