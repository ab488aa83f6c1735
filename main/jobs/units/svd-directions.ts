// The `svd-directions` unit of one checkpoint (DOMAIN.md "SVD directions"; ids, frame schema and
// closeness to final: common/analyses/svd-directions.ts): for every block, the top-30 singular
// directions of mlp.out and of each head's OV circuit (sliced by the family adapter,
// main/architectures/<family>.ts), on the residual-stream side, mapped through the unembedding to
// their top-20 tokens (both signs, since a singular vector's sign is arbitrary), decoded with the
// run's tokenizer. Stored as one frame per checkpoint; closeness to the final checkpoint is
// computed from the token ids when read (export, UI), so checkpoints stay independent.
// The numerics run in main/compute/directions.ts (products on onnxruntime, one pass over the
// unembedding per block for every direction of the block).
import { largestTensorBytes } from '../cost';
import { SVD_DIRECTIONS, SVD_FRAME_KIND, SVD_TENSOR, SVD_TOP_TOKENS, type StoredDirection } from '../../../common/analyses/svd-directions';
import type { UnitResults } from '../../store/store';
import type { TensorEntry, TensorSource } from '../../formats/types';
import type { ComponentDirections } from '../../metrics/svd-directions';
import type { BlockMatrices, HeadSlices } from '../../compute/directions';
import { ovHeadsOf } from '../../architectures';
import { loadTokenizer } from '../../tokenizer';
import { shortHash } from '../plan';
import { analysedTensors, withSources, type AnalysedTensor } from './common';
import { needsConfigAndTokenizer, type ProgressFn, type UnitDescriptor, type UnitTask } from './types';

export { SVD_DIRECTIONS, SVD_TENSOR, SVD_TOP_TOKENS, type StoredDirection };

async function readF32(src: TensorSource, e: TensorEntry): Promise<Float32Array> {
  const x = await src.read(e.name, 'f32');
  return x instanceof Float32Array ? x : Float32Array.from(x);
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

/** Largest vocabulary mapped through (the largest real ones are ~262k tokens). */
export const MAX_UNEMBED_ROWS = 1 << 20;

export async function svdDirectionsUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  const config = task.run.config;
  if (!config) throw new Error('SVD directions need config.json (hidden size, heads)');
  if (!task.run.tokenizerPath) throw new Error('SVD directions need the run\'s tokenizer.json to decode tokens');
  const tokenizer = await loadTokenizer(task.run.tokenizerPath);
  const decode = (id: number): string => (id < tokenizer.vocabSize ? tokenizer.displayToken(id) : `<${id}>`);
  // onnxruntime is loaded only by workers that compute SVD directions.
  const { blockDirections, prepareUnembedding } = await import('../../compute/directions');
  const ovHeads = ovHeadsOf(task.run.family);
  return withSources([task.checkpoint.folder], async ([src]) => {
    const tensors = analysedTensors(task, src!);
    const weight = (pred: (t: AnalysedTensor) => boolean): AnalysedTensor | undefined => tensors.find((t) => t.role.kind === 'weight' && pred(t));
    const unembedT = weight((t) => t.role.component === 'unembed') ?? (config.tiedEmbeddings ? weight((t) => t.role.component === 'embed') : undefined);
    if (!unembedT) throw new Error('no unembedding matrix found (unembed or tied embed)');
    const d = config.hidden;
    const [vocab, ud] = unembedT.entry.shape as [number, number];
    // GPT-2's tied wte is [V, d]; a Conv1D-style [d, V] unembedding would need a transpose.
    const unembed = ud === d ? await readF32(src!, unembedT.entry) : transpose(await readF32(src!, unembedT.entry), unembedT.entry.shape[0], unembedT.entry.shape[1]);
    const unembedVocab = ud === d ? vocab : ud;
    const directions: StoredDirection[] = [];
    const keep = (block: number, comps: ComponentDirections[]): void => {
      for (const c of comps)
        for (const dir of c.directions)
          directions.push({
            component: c.component,
            block,
            head: c.head,
            index: dir.index,
            singular_value: dir.singularValue,
            top: dir.top,
            bottom: dir.bottom,
            tokens: dir.topTokens,
            neg_tokens: dir.bottomTokens,
          });
    };
    const opts = { directions: SVD_DIRECTIONS, topK: SVD_TOP_TOKENS, intraOpThreads: task.intraOpThreads };
    const un = prepareUnembedding(unembed, unembedVocab, d);
    const headsOf = (slices: (h: number) => HeadSlices): { head: number; slices: HeadSlices }[] => Array.from({ length: config.heads }, (_, h) => ({ head: h, slices: slices(h) }));
    // Blocks present in the checkpoint (within the configured count), never a loop over a number
    // that config.json merely claims (issue 14: num_hidden_layers 1e9 ran for ever).
    const blocks = [...new Set(tensors.map((t) => t.role.block).filter((b): b is number => typeof b === 'number' && b >= 0 && b < config.layers))].sort((a, b) => a - b);
    if (unembedVocab > MAX_UNEMBED_ROWS) throw new Error(`the unembedding has ${unembedVocab} rows; SVD directions are computed for vocabularies up to ${MAX_UNEMBED_ROWS}`);
    for (const block of blocks) {
      progress(`block ${block}`);
      const matrices: BlockMatrices = {};
      const out = weight((t) => t.role.block === block && t.role.component === 'mlp.out');
      if (out && out.entry.shape.length === 2) {
        const [r, c] = out.entry.shape as [number, number];
        // Residual side must be the rows: [d, d_ff] (NeoX, Llama) as stored; GPT-2 Conv1D stores [d_ff, d].
        const w = r === d ? await readF32(src!, out.entry) : transpose(await readF32(src!, out.entry), r, c);
        matrices.mlpOut = { w, dff: r === d ? c : r };
      }
      const part = (component: string): AnalysedTensor | undefined => weight((t) => t.role.block === block && t.role.component === component);
      if (ovHeads) {
        const [value, output] = ovHeads.components.map(part);
        if (value && output) {
          const [v, o] = [await readF32(src!, value.entry), await readF32(src!, output.entry)];
          matrices.heads = headsOf((h) => ovHeads.slice(v, o, config, h));
        }
      }
      keep(block, await blockDirections(matrices, un, decode, opts));
    }
    return {
      scalars: [],
      arrays: [{ kind: SVD_FRAME_KIND, tensor: SVD_TENSOR, data: { directions } }],
      info: {},
    };
  });
}

export const descriptor: UnitDescriptor = {
  name: 'svd-directions',
  // 2: bytes that are not whole UTF-8 characters are shown as \xNN instead of U+FFFD.
  version: 2,
  precondition: needsConfigAndTokenizer,
  context: () => shortHash({}),
  run: svdDirectionsUnit,
  // Work: the Gram work of the matrices + the unembedding once per block. Default rate: BENCHMARKS.md's
  // SVD directions (36 s per 410m checkpoint).
  cost: {
    work: (s) => s.gramWork + s.unembed * Math.max(1, s.layers),
    memory: largestTensorBytes,
    calibration: { rate: 1.7e-10, memoryFactor: 3 },
    onnxruntime: true,
  },
};
