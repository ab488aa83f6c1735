// `embedding`: Pearson correlation between the input embedding's rows of tokens 0..255 (DOMAIN.md
// "embedding correlation"), with a clustering order for the view. Unit: main/jobs/units/embedding.ts.
import type { AnalysisInfo } from './types';

/** Rows r0..r1-1 of the input embedding (DOMAIN.md default 0..255). */
export const EMBEDDING_ROWS: readonly [number, number] = [0, 256];

export const embedding = {
  id: 'embedding',
  label: 'Embedding correlation',
  units: ['embedding'],
  metrics: [],
  frames: [{ kind: 'embedding_correlation', file: 'embedding_correlation.jsonl', exportShape: (d) => ({ rows: d.rows, matrix: d.matrix }) }],
  views: ['animations:correlation'],
} as const satisfies AnalysisInfo;
