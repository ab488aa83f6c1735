// The `svd-directions` unit of one checkpoint: for every block, the top-30 singular directions
// of mlp.out and (GPT-NeoX) of each head's OV circuit, on the residual-stream side, mapped through
// the unembedding to their top-20 tokens (both signs, since a singular vector's sign is arbitrary),
// decoded with the run's tokenizer. Stored as one frame per checkpoint; closeness to the final
// checkpoint is computed from the token ids when read (export, UI), so checkpoints stay independent.
// The numerics run in main/compute/directions.ts (products on onnxruntime, one pass over the
// unembedding per block for every direction of the block).
import type { UnitResults } from '../../store/store';
import type { TensorEntry, TensorSource } from '../../formats/types';
import { gpt2HeadSlices, gptNeoxHeadSlices, llamaHeadSlices, type ComponentDirections } from '../../metrics/svd-directions';
import { blockDirections, prepareUnembedding, type BlockMatrices, type HeadSlices } from '../../compute/directions';
import { loadTokenizer } from '../../tokenizer';
import { analysedTensors, withSources, type AnalysedTensor } from './common';
import type { ProgressFn, UnitTask } from '.';

export const SVD_DIRECTIONS = 30;
export const SVD_TOP_TOKENS = 20;
/** The pseudo-tensor name the frames are stored under (one frame holds every block). */
export const SVD_TENSOR = 'svd_directions';

export interface StoredDirection {
  component: 'mlp.out' | 'attn.ov';
  block: number;
  head: number | null;
  index: number;
  singular_value: number;
  top: number[];
  bottom: number[];
  tokens: string[];
  neg_tokens: string[];
}

async function readF32(src: TensorSource, e: TensorEntry): Promise<Float32Array> {
  const x = await src.read(e.name, 'f32');
  return x instanceof Float32Array ? x : Float32Array.from(x);
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  return out;
}

export async function svdDirectionsUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  const config = task.run.config;
  if (!config) throw new Error('SVD directions need config.json (hidden size, heads)');
  if (!task.run.tokenizerPath) throw new Error('SVD directions need the run\'s tokenizer.json to decode tokens');
  const tokenizer = await loadTokenizer(task.run.tokenizerPath);
  const decode = (id: number): string => (id < tokenizer.vocabSize ? tokenizer.displayToken(id) : `<${id}>`);
  return withSources([task.checkpoint.folder], async ([src]) => {
    const tensors = analysedTensors(task, src!);
    const weight = (pred: (t: AnalysedTensor) => boolean): AnalysedTensor | undefined => tensors.find((t) => t.role.kind === 'weight' && pred(t));
    const unembedT = weight((t) => t.role.component === 'unembed') ?? (config.tiedEmbeddings ? weight((t) => t.role.component === 'embed') : undefined);
    if (!unembedT) throw new Error('no unembedding matrix found (unembed or tied embed)');
    const d = config.hidden;
    const [vocab, ud] = unembedT.entry.shape as [number, number];
    // GPT-2's tied wte is [V, d]; a Conv1D-style [d, V] unembedding would need a transpose.
    const unembed = ud === d ? await readF32(src!, unembedT.entry) : transpose(await readF32(src!, unembedT.entry), unembedT.entry.shape[0]!, unembedT.entry.shape[1]!);
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
    for (let block = 0; block < config.layers; block++) {
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
      const out2 = part('attn.out');
      if (config.family === 'gpt_neox') {
        const qkv = part('attn.qkv');
        if (qkv && out2) {
          const [q, o] = [await readF32(src!, qkv.entry), await readF32(src!, out2.entry)];
          matrices.heads = headsOf((h) => gptNeoxHeadSlices(q, o, d, config.heads, h));
        }
      } else if (config.family === 'gpt2') {
        const qkv = part('attn.qkv');
        if (qkv && out2) {
          const [a, o] = [await readF32(src!, qkv.entry), await readF32(src!, out2.entry)];
          matrices.heads = headsOf((h) => gpt2HeadSlices(a, o, d, config.heads, h));
        }
      } else if (config.family === 'llama') {
        const v = part('attn.v');
        if (v && out2) {
          const [vp, op] = [await readF32(src!, v.entry), await readF32(src!, out2.entry)];
          matrices.heads = headsOf((h) => llamaHeadSlices(vp, op, d, config.heads, config.kvHeads, config.headDim, h));
        }
      }
      keep(block, await blockDirections(matrices, un, decode, opts));
    }
    return {
      scalars: [],
      arrays: [{ kind: 'svd_directions', tensor: SVD_TENSOR, data: { directions } }],
      info: {},
    };
  });
}
