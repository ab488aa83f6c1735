// The `embedding` unit of one checkpoint: the Pearson correlation matrix between the input
// embedding rows of tokens 0..255 (DOMAIN.md), and an ordering of those tokens that reveals
// clusters (used by the view's "reorder" option; the matrix itself is stored in token order).
import type { UnitResults } from '../../store/store';
import { embeddingCorrelation, clusterOrder } from '../../metrics/embedding';
import { EMBEDDING_ROWS } from '../../../common/analyses/embedding';
import { shortHash } from '../plan';
import { analysedTensors, withSources } from './common';
import type { ProgressFn, UnitDescriptor, UnitTask } from './types';

export async function embeddingUnit(task: UnitTask, progress: ProgressFn): Promise<UnitResults> {
  return withSources([task.checkpoint.folder], async ([src]) => {
    const embed = analysedTensors(task, src!).find((t) => t.role.component === 'embed' && t.entry.shape.length === 2);
    if (!embed) return { scalars: [], arrays: [], info: { warnings: ['no input embedding found'] } };
    progress(embed.entry.name);
    const [vocab, dim] = embed.entry.shape as [number, number];
    const r1 = Math.min(EMBEDDING_ROWS[1], vocab);
    const w = await src!.read(embed.entry.name, 'f32');
    const matrix = embeddingCorrelation(w, vocab, dim, EMBEDDING_ROWS[0], r1);
    const n = r1 - EMBEDDING_ROWS[0];
    const order = clusterOrder(matrix, n);
    return {
      scalars: [],
      arrays: [{ kind: 'embedding_correlation', tensor: embed.entry.name, data: { rows: [EMBEDDING_ROWS[0], r1], matrix: Float32Array.from(matrix), order } }],
      info: {},
      // Registered here too: `gif --view correlation` after an embedding-only analysis names it.
      tensors: [{ tensor: embed.entry.name, role: embed.role, shape: embed.entry.shape }],
    };
  });
}

export const descriptor: UnitDescriptor = {
  name: 'embedding',
  version: 1,
  context: () => shortHash({}),
  run: embeddingUnit,
  cost: { work: (s) => s.embed, memory: (s) => s.embed * 4, calibration: { rate: 1e-8, memoryFactor: 3 } },
};
