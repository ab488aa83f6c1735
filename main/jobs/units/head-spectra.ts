// The `head-spectra` unit (common/analyses/head-spectra.ts) of one checkpoint: each block's
// attention weights sliced into every head's Q, K and V matrix by the family module
// (main/architectures/<family>.ts `qkvHeads`), and per matrix its singular values, those of the
// same entries shuffled (main/metrics/random-matrix.ts, seeded) and the Marchenko-Pastur edges.
import { largestTensorBytes } from '../cost';
import type { TensorEntry } from '../../formats/types';
import type { ArrayResult, ScalarResult, UnitResults } from '../../store/store';
import { qkvHeadsOf } from '../../architectures';
import { eigenvaluesFromSingularValues, powerLawAlpha } from '../../metrics/spectrum';
import { entrySigma, randomMatrixSummary, shuffledCopy, SHUFFLE_SEED } from '../../metrics/random-matrix';
import { headTensor, type HeadSpectrumFrame } from '../../../common/analyses/head-spectra';
import { shortHash } from '../plan';
import { analysedTensors, eachTensor, withSources } from './common';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';
import type { RunInfo } from '../../../common/domain';

interface BlockWeights {
  block: number;
  /** The largest of the block's weights (eachTensor takes the large-tensor slot by its size). */
  entry: TensorEntry;
  /** In the family's `qkvHeads.components` order. */
  entries: TensorEntry[];
}

export async function headSpectraUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  const config = task.run.config;
  const qkv = qkvHeadsOf(task.run.family);
  if (!config || !qkv) throw new Error('per-head spectra need config.json and a known architecture (gpt_neox, gpt2, llama)');
  // onnxruntime is loaded only by workers that compute spectra.
  const { singularValues } = await import('../../compute/gram');
  return withSources([task.checkpoint.folder], async ([src]) => {
    const scalars: ScalarResult[] = [];
    const arrays: ArrayResult[] = [];
    const warnings: string[] = [];
    const tensors: NonNullable<UnitResults['tensors']> = [];
    const byBlock = new Map<number, Map<string, TensorEntry>>();
    for (const { entry, role } of analysedTensors(task, src!)) {
      if (role.kind !== 'weight' || typeof role.block !== 'number' || !qkv.components.includes(role.component)) continue;
      if (!byBlock.has(role.block)) byBlock.set(role.block, new Map());
      byBlock.get(role.block)!.set(role.component, entry);
    }
    const blocks: BlockWeights[] = [];
    for (const [block, parts] of [...byBlock].sort((a, b) => a[0] - b[0])) {
      const entries = qkv.components.map((c) => parts.get(c));
      if (entries.some((e) => !e)) {
        warnings.push(`block ${block}: missing ${qkv.components.filter((c) => !parts.has(c)).join(', ')}; its heads are skipped`);
        continue;
      }
      const all = entries as TensorEntry[];
      const entry = all.reduce((a, b) => (numel(b) > numel(a) ? b : a));
      blocks.push({ block, entry, entries: all });
    }
    await eachTensor(blocks, async ({ block, entries }) => {
      progress(`block ${block} heads`);
      const weights = [];
      for (const e of entries) weights.push(await src!.read(e.name, 'f32'));
      if (weights.some((w) => !w.every(Number.isFinite))) {
        warnings.push(`block ${block}: non-finite attention weights, head spectra skipped`);
        return;
      }
      for (const slice of qkv.slices(weights, config)) {
        const name = headTensor(block, slice.head, slice.part);
        const opts = { intraOpThreads: task.intraOpThreads };
        const s = await singularValues(slice.data, slice.rows, slice.cols, opts);
        const shuffled = await singularValues(shuffledCopy(slice.data), slice.rows, slice.cols, opts);
        const fit = powerLawAlpha(eigenvaluesFromSingularValues(s));
        const sum = randomMatrixSummary(s, shuffled, slice.rows, slice.cols, entrySigma(slice.data));
        scalars.push(
          { metric: 'head_spectral_norm', tensor: name, value: s[0] ?? null },
          { metric: 'mp_upper_edge', tensor: name, value: sum.mp.upper },
          { metric: 'mp_spikes', tensor: name, value: sum.spikes },
          { metric: 'shuffled_spectral_norm', tensor: name, value: shuffled[0] ?? null },
          { metric: 'spike_ratio', tensor: name, value: sum.spikeRatio },
          { metric: 'head_alpha', tensor: name, value: fit?.alpha ?? null },
        );
        const frame: HeadSpectrumFrame = {
          rows: slice.rows, cols: slice.cols, singular_values: s, shuffled_singular_values: shuffled,
          mp_sigma: sum.mp.sigma, mp_lower: sum.mp.lower, mp_upper: sum.mp.upper,
          alpha: fit?.alpha ?? null, alpha_xmin: fit?.xmin ?? null, alpha_ks: fit?.ks ?? null,
        };
        arrays.push({ kind: 'head_spectrum', tensor: name, data: frame });
        tensors.push({ tensor: name, role: { block, component: `attn.${slice.part}`, kind: 'other' }, shape: [slice.rows, slice.cols] });
      }
    });
    return { scalars, arrays, info: { warnings, provider: 'cpu' }, tensors };
  });
}

function numel(e: TensorEntry): number {
  return e.shape.reduce((a, b) => a * b, 1);
}

function headSpectraPrecondition(run: RunInfo): string | null {
  if (!run.config) return 'no config.json with the number of heads';
  if (!qkvHeadsOf(run.family)) return 'per-head spectra need a known architecture (gpt_neox, gpt2, llama)';
  return null;
}

export const descriptor: UnitDescriptor = {
  name: 'head-spectra',
  version: 1,
  precondition: headSpectraPrecondition,
  context: () => shortHash({ seed: SHUFFLE_SEED }),
  run: headSpectraUnit,
  cost: {
    // Gram products of every head's Q, K, V [hd, d] and of their shuffled copies: 6 d^2 hd per block.
    work: (s, _probe, config) => (config ? 6 * config.hidden * config.hidden * config.headDim * Math.max(1, s.layers) : s.gramWork),
    memory: largestTensorBytes,
    // Small Gram products: the spectra rate; a block's attention weights as float32 plus float64 slices.
    calibration: { rate: 8e-11, memoryFactor: 3 },
  },
};
