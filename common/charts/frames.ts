// Typed views of the frames the `frames` API method returns (one per checkpoint), after
// common/frames.ts decodeFrame (large arrays arrive as Float32/Float64Array, small ones as JSON
// lists: both are accepted). The API types frames as unknown; these guards check the shape once,
// when frames arrive, so the chart functions can rely on it and a malformed frame is reported
// rather than drawn wrong.
import { uniformEdges } from '../analyses/weights';

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
  /** n x n, row-major (flat, possibly a typed array) or nested rows; read with correlationAt(). */
  matrix: CorrelationMatrix;
  order?: number[];
}

export type CorrelationMatrix = ArrayLike<number> | number[][];

export class FrameShapeError extends Error {
  constructor(kind: string, problem: string) {
    super(`${kind} frame: ${problem}`);
    this.name = 'FrameShapeError';
  }
}

const isTyped = (v: unknown): v is Float32Array | Float64Array => v instanceof Float32Array || v instanceof Float64Array;
/** A plain number list, or a typed array converted to one (small arrays only). */
function numbers(v: unknown): number[] | null {
  if (isTyped(v)) return Array.from(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === null)) return v as number[];
  return null;
}
const isNumArray = (v: unknown): v is number[] => numbers(v) !== null;
const rec = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

export function asHistogramFrame(v: unknown): HistogramFrame | null {
  if (v === null || v === undefined) return null;
  const o = rec(v);
  const edges = o ? (numbers(o.edges) ?? uniformEdges(o)) : null;
  const counts = o ? numbers(o.counts) : null;
  if (!o || !edges || !counts) throw new FrameShapeError('histogram', 'needs numeric arrays edges and counts');
  if (edges.length !== counts.length + 1) {
    throw new FrameShapeError('histogram', `edges (${edges.length}) must be one longer than counts (${counts.length})`);
  }
  return { edges, counts, underflow: Number(o.underflow ?? 0), overflow: Number(o.overflow ?? 0) };
}


export function asQqFrame(v: unknown): QqFrame | null {
  if (v === null || v === undefined) return null;
  const raw = rec(v);
  // The engine's QQData spells the Student-t column `studentT`; the export contract `student_t`.
  const o = raw && raw.student_t === undefined && raw.studentT !== undefined ? { ...raw, student_t: raw.studentT } : raw;
  const keys = ['probabilities', 'empirical', 'gaussian', 'logistic', 'student_t'] as const;
  if (!o || !keys.every((k) => isNumArray(o[k]))) throw new FrameShapeError('qq', `needs numeric arrays ${keys.join(', ')}`);
  const out = Object.fromEntries(keys.map((k) => [k, numbers(o[k])!])) as unknown as QqFrame;
  const n = out.empirical.length;
  for (const k of keys) {
    if (out[k].length !== n) throw new FrameShapeError('qq', `${k} has ${out[k].length} entries, empirical ${n}`);
  }
  return out;
}

export function asSpectrumFrame(v: unknown): SpectrumFrame | null {
  if (v === null || v === undefined) return null;
  const o = rec(v);
  const sv = o ? numbers(o.singular_values) : null;
  if (!o || !sv) throw new FrameShapeError('spectrum', 'needs a numeric array singular_values');
  return { singular_values: sv };
}

export function asCorrelationFrame(v: unknown): CorrelationFrame | null {
  if (v === null || v === undefined) return null;
  const o = rec(v);
  if (!o || !(Array.isArray(o.matrix) || isTyped(o.matrix))) throw new FrameShapeError('embedding_correlation', 'needs matrix');
  const matrix = o.matrix as CorrelationMatrix;
  const rowsList = numbers(o.rows);
  const n = correlationSize(matrix);
  const order = numbers(o.order);
  return {
    rows: rowsList && rowsList.length === 2 ? [rowsList[0], rowsList[1]] : [0, n],
    matrix,
    ...(order && order.length === n ? { order } : {}),
  };
}

/** Side of a correlation matrix given flat (n*n) or nested storage. */
export function correlationSize(matrix: CorrelationMatrix): number {
  if (matrix.length > 0 && Array.isArray(matrix[0])) return matrix.length;
  const n = Math.round(Math.sqrt(matrix.length));
  if (n * n !== matrix.length) throw new FrameShapeError('embedding_correlation', `flat matrix of ${matrix.length} values is not square`);
  return n;
}

/** Entry (i, j) whatever the storage. */
export function correlationAt(matrix: CorrelationMatrix, n: number, i: number, j: number): number {
  const row = matrix[i];
  if (Array.isArray(row)) return row[j];
  return (matrix as ArrayLike<number>)[i * n + j];
}
