// Typed views of the JSON frames the `frames` API method returns (one per checkpoint). The API
// types frames as unknown; these guards check the shape once, when frames arrive, so the chart
// functions can rely on it and a malformed frame is reported rather than drawn wrong.

export interface HistogramFrame {
  edges: number[];
  counts: number[];
  underflow: number;
  overflow: number;
}

export interface QqFrame {
  probabilities: number[];
  empirical: number[];
  gaussian: number[];
  logistic: number[];
  student_t: number[];
}

export interface SpectrumFrame {
  singular_values: number[];
}

export interface CorrelationFrame {
  rows: [number, number];
  /** n x n, row-major (flat) or nested rows; see correlationMatrix(). */
  matrix: number[] | number[][];
  order?: number[];
}

export class FrameShapeError extends Error {
  constructor(kind: string, problem: string) {
    super(`${kind} frame: ${problem}`);
    this.name = 'FrameShapeError';
  }
}

const isNumArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null);
const rec = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

export function asHistogramFrame(v: unknown): HistogramFrame | null {
  if (v === null || v === undefined) return null;
  const o = rec(v);
  if (!o || !isNumArray(o.edges) || !isNumArray(o.counts)) throw new FrameShapeError('histogram', 'needs numeric arrays edges and counts');
  if (o.edges.length !== o.counts.length + 1) {
    throw new FrameShapeError('histogram', `edges (${o.edges.length}) must be one longer than counts (${o.counts.length})`);
  }
  return { edges: o.edges, counts: o.counts, underflow: Number(o.underflow ?? 0), overflow: Number(o.overflow ?? 0) };
}

export function asQqFrame(v: unknown): QqFrame | null {
  if (v === null || v === undefined) return null;
  const o = rec(v);
  const keys = ['probabilities', 'empirical', 'gaussian', 'logistic', 'student_t'] as const;
  if (!o || !keys.every((k) => isNumArray(o[k]))) throw new FrameShapeError('qq', `needs numeric arrays ${keys.join(', ')}`);
  const n = (o.empirical as number[]).length;
  for (const k of keys) {
    if ((o[k] as number[]).length !== n) throw new FrameShapeError('qq', `${k} has ${(o[k] as number[]).length} entries, empirical ${n}`);
  }
  return o as unknown as QqFrame;
}

export function asSpectrumFrame(v: unknown): SpectrumFrame | null {
  if (v === null || v === undefined) return null;
  const o = rec(v);
  if (!o || !isNumArray(o.singular_values)) throw new FrameShapeError('spectrum', 'needs a numeric array singular_values');
  return { singular_values: o.singular_values };
}

export function asCorrelationFrame(v: unknown): CorrelationFrame | null {
  if (v === null || v === undefined) return null;
  const o = rec(v);
  if (!o || !Array.isArray(o.matrix)) throw new FrameShapeError('embedding_correlation', 'needs matrix');
  const rows = isNumArray(o.rows) && o.rows.length === 2 ? (o.rows as [number, number]) : null;
  const n = correlationSize(o.matrix as number[] | number[][]);
  return {
    rows: rows ?? [0, n],
    matrix: o.matrix as number[] | number[][],
    ...(isNumArray(o.order) ? { order: o.order } : {}),
  };
}

/** Side of a correlation matrix given flat (n*n) or nested storage. */
export function correlationSize(matrix: number[] | number[][]): number {
  if (matrix.length > 0 && Array.isArray(matrix[0])) return matrix.length;
  const n = Math.round(Math.sqrt(matrix.length));
  if (n * n !== matrix.length) throw new FrameShapeError('embedding_correlation', `flat matrix of ${matrix.length} values is not square`);
  return n;
}

/** Entry (i, j) whatever the storage. */
export function correlationAt(matrix: number[] | number[][], n: number, i: number, j: number): number {
  const row = matrix[i];
  if (Array.isArray(row)) return row[j]!;
  return (matrix as number[])[i * n + j]!;
}
