// What the `activations` and `gradients` units (main/jobs/units/activations.ts, gradients.ts) do
// with one checkpoint: run the model block by block (main/compute/forward/streamed.ts: small
// sessions built once per worker, one block's weights at a time) on the probe batch, and reduce
// each activation and each gradient piece to the export contract's numbers as soon as it exists,
// so only a block's worth of tensors is resident:
// residual-stream statistics per block, outlier dimensions, histograms on fixed bins, loss,
// top-1 accuracy; with gradients, the norm of d(loss)/d(weight) per tensor, the total norm and
// gradient histograms.
import { join } from 'node:path';
import type { ModelConfig, TensorRole } from '../../../common/domain';
import type { ArrayResult, ScalarResult, UnitResults } from '../../store/store';
import { readerFromSource, StreamedModel, type StreamTimings } from '../../compute/forward/streamed';
import { chooseProvider, passedOverText } from '../../compute/providers';
import { loadTokenizer } from '../../tokenizer';
import { readRegularFile } from '../../formats/regular-file';
import { FormatError } from '../../formats/types';
import { activationStats } from '../../metrics/activations';
import { makeProbeBatch } from '../../compute/probe';
import { histogram, type Histogram } from '../../metrics/histogram';
import { ACTIVATION_EDGES, GRADIENT_EDGES } from '../../metrics/log-histogram';
import { projectRoot } from '../../paths';
import { modelProblem, roleOf } from '../../architectures';
import { withSources } from './common';
import { collectGarbage } from './large-tensor';
import { inductionResults, lensScalars, tokenLossArray } from './model-probes';
import { outlierDimsFrames } from './outlier-dims';
import type { ProgressFn, UnitTask } from './types';

export const DEFAULT_PROBE_FILE = (): string => join(projectRoot(), 'resources', 'probe', 'default.txt');
export const DEFAULT_PROBE_BATCH = 8;
export const DEFAULT_PROBE_LEN = 128;
/** Residual dimensions reported as carrying the outliers, by max |x|. */
export const TOP_DIMS = 8;

export interface ProbeShape {
  file: string;
  batch: number;
  seqLen: number;
}

export function probeShape(task: UnitTask, config: ModelConfig): ProbeShape {
  const seqLen = Math.min(task.probe?.seqLen ?? DEFAULT_PROBE_LEN, config.maxPositions || DEFAULT_PROBE_LEN);
  return { file: task.probe?.file ?? DEFAULT_PROBE_FILE(), batch: task.probe?.batch ?? DEFAULT_PROBE_BATCH, seqLen };
}

/** Largest probe text read (the probe uses a few thousand tokens). */
export const MAX_PROBE_BYTES = 16 * 1024 * 1024;

/**
 * The probe text: a regular file (a FIFO or device is refused before it can block), at most
 * MAX_PROBE_BYTES, valid UTF-8 without NUL bytes (a binary file is not a probe). Errors say what
 * is wrong, never what the file holds.
 */
export async function readProbeText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, MAX_PROBE_BYTES);
  } catch (err) {
    throw new Error(`${file}: cannot read the probe text (${err instanceof FormatError ? err.problem : ((err as NodeJS.ErrnoException).code ?? (err as Error).message)})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${file}: the probe text is not UTF-8 text; choose a plain text file`);
  }
  if (text.includes('\0')) throw new Error(`${file}: the probe text holds NUL bytes (a binary file?); choose a plain text file`);
  return text;
}

/** The first B x L tokens of the probe text, row-major (DOMAIN.md: no BOS, positions 0..L-1). */
export async function probeTokens(tokenizerPath: string, shape: ProbeShape, vocabSize: number): Promise<BigInt64Array> {
  const tokenizer = await loadTokenizer(tokenizerPath);
  const text = await readProbeText(shape.file);
  try {
    return makeProbeBatch(tokenizer.encode(text), shape.batch, shape.seqLen, vocabSize).ids;
  } catch (err) {
    throw new Error(`${shape.file}: ${(err as Error).message}; choose a longer text or a smaller batch`);
  }
}

interface SessionEntry {
  key: string;
  model: StreamedModel;
  provider: string;
  /** Why the providers before it were passed over, or that it was forced. */
  providerNote: string;
  tokens: BigInt64Array;
  shape: ProbeShape;
}

// One cached session per worker thread: consecutive checkpoints of a run reuse it.
let cached: SessionEntry | null = null;

async function sessionFor(task: UnitTask, config: ModelConfig, gradients: boolean): Promise<SessionEntry> {
  const shape = probeShape(task, config);
  const key = JSON.stringify({ run: task.run.id, config, shape, gradients, provider: task.provider, threads: task.intraOpThreads });
  if (cached?.key === key) return cached;
  if (cached) await cached.model.release();
  cached = null;
  if (!task.run.tokenizerPath) throw new Error('the run has no tokenizer.json: the probe text cannot be tokenised');
  const tokens = await probeTokens(task.run.tokenizerPath, shape, config.vocabSize);
  const model = new StreamedModel(config, {
    batch: shape.batch, seqLen: shape.seqLen, gradients, resid: !gradients, mlp: !gradients, lens: !gradients,
    provider: task.provider, threads: task.intraOpThreads, collect: collectGarbage,
  });
  const provider = await model.prepare();
  const choice = await chooseProvider(task.provider);
  const providerNote = choice.forced ? `${provider} as asked (--provider)` : passedOverText(choice.attempts);
  cached = { key, model, provider, providerNote, tokens, shape };
  return cached;
}

/** resid.0 = after the embedding; resid.i = after block i-1; final_norm; mlp.i = block i's MLP. */
export function activationRole(name: string): TensorRole {
  if (name === 'final_norm') return { block: 'final', component: 'resid', kind: 'other' };
  const [kind, index] = name.split('.') as [string, string];
  const i = Number(index);
  if (kind === 'mlp') return { block: i, component: 'mlp.act', kind: 'other' };
  return { block: i === 0 ? 'embed' : i - 1, component: 'resid', kind: 'other' };
}

/**
 * A gradient's norm and histogram over its pieces, in element order: the running sum of squares
 * is the one a single pass over the whole tensor would make; null norm when any element is
 * NaN/Inf (an undefined gradient is not a zero one).
 */
class GradientReduction {
  private sumSq = 0;
  private finite = true;
  private seen = 0;
  private readonly hist: Histogram = { counts: new Array<number>(GRADIENT_EDGES.length - 1).fill(0), underflow: 0, overflow: 0, nonFinite: { nan: 0, posInf: 0, negInf: 0 } };

  /** Adds the next piece; true once the tensor is complete. */
  add(piece: Float32Array, offset: number, numel: number): boolean {
    if (offset !== this.seen) throw new Error(`gradient pieces out of order (${offset} after ${this.seen} elements)`);
    this.seen += piece.length;
    let s = this.sumSq;
    for (let i = 0; i < piece.length; i++) {
      const v = piece[i];
      if (!Number.isFinite(v)) this.finite = false;
      s += v * v;
    }
    this.sumSq = s;
    const h = histogram(piece, GRADIENT_EDGES);
    h.counts.forEach((c, i) => (this.hist.counts[i] += c));
    this.hist.underflow += h.underflow;
    this.hist.overflow += h.overflow;
    this.hist.nonFinite.nan += h.nonFinite.nan;
    this.hist.nonFinite.posInf += h.nonFinite.posInf;
    this.hist.nonFinite.negInf += h.nonFinite.negInf;
    return this.seen === numel;
  }

  get norm(): number | null {
    return this.finite ? Math.sqrt(this.sumSq) : null;
  }

  get histogram(): Histogram {
    return this.hist;
  }
}

export async function modelUnit(task: UnitTask, progress: ProgressFn, gradients: boolean): Promise<UnitResults> {
  const config = task.run.config;
  if (!config) throw new Error('running the model needs config.json with the model dimensions');
  const problem = modelProblem(config.family);
  if (problem) throw new Error(problem);
  const entry = await sessionFor(task, config, gradients);
  return withSources([task.checkpoint.folder], async ([src]) => {
    progress(gradients ? 'forward + backward, block by block' : 'forward, block by block');
    const scalars: ScalarResult[] = [];
    const arrays: ArrayResult[] = [];
    const warnings: string[] = [];
    const tensors: NonNullable<UnitResults['tensors']> = [];
    let total: number | null = 0;
    let undefinedGrads = 0;
    const open = new Map<string, GradientReduction>();
    const dimMax = new Map<string, Float64Array>();
    const reader = readerFromSource(src!, config.family);
    let inductionSeconds: number | undefined;
    const result = await entry.model.run(reader, entry.tokens, {
      lens: (i, loss, top1) => lensScalars(scalars, i, loss, top1),
      activation: (name, data, dims) => {
        const isResid = name.startsWith('resid.') || name === 'final_norm';
        const width = dims[dims.length - 1];
        const st = activationStats(data, width, { topK: TOP_DIMS, edges: ACTIVATION_EDGES });
        const nonFinite = st.nonFinite.nan + st.nonFinite.posInf + st.nonFinite.negInf;
        if (nonFinite) warnings.push(`${name}: ${nonFinite} non-finite activations`);
        const put = (metric: string, value: number | null): void => {
          scalars.push({ metric, tensor: name, value });
        };
        put('max_abs', st.max_abs);
        put('act_mean', st.mean);
        put('act_std', st.std);
        put('rms', st.rms);
        put('act_excess_kurtosis', st.excess_kurtosis);
        const h = st.histogram!;
        arrays.push({
          kind: 'resid_histogram',
          tensor: name,
          data: { edges: Array.from(ACTIVATION_EDGES), counts: h.counts, underflow: h.underflow, overflow: h.overflow, nonFinite: h.nonFinite, ...(isResid ? { top_dims: st.topDims } : {}) },
        });
        if (name.startsWith('resid.') && st.count > 0) dimMax.set(name, st.dimMaxAbs);
        tensors.push({ tensor: name, role: activationRole(name) });
      },
      gradient: (name, piece, offset, numel) => {
        let r = open.get(name);
        if (!r) open.set(name, (r = new GradientReduction()));
        if (!r.add(piece, offset, numel)) return;
        open.delete(name);
        const norm = r.norm;
        if (norm === null) undefinedGrads++;
        total = norm === null || total === null ? null : total + norm * norm;
        scalars.push({ metric: 'grad_norm', tensor: name, value: norm });
        const h = r.histogram;
        arrays.push({ kind: 'grad_histogram', tensor: name, data: { edges: Array.from(GRADIENT_EDGES), counts: h.counts, underflow: h.underflow, overflow: h.overflow, nonFinite: h.nonFinite } });
        tensors.push({ tensor: name, role: roleOf(config.family, name) });
      },
    });
    if (open.size) throw new Error(`incomplete gradients for ${[...open.keys()].join(', ')}`);
    if (!gradients) arrays.push(...(await outlierDimsFrames(src!, config.family, config, dimMax)));
    const probeLoss = result.loss;
    if (!Number.isFinite(probeLoss)) warnings.push(`the forward pass gave a non-finite loss (${probeLoss})`);
    if (!gradients) {
      // A non-finite forward pass has no meaningful predictions: accuracy is undefined, not 0.
      const finiteForward = Number.isFinite(probeLoss);
      scalars.push({ metric: 'loss', tensor: 'probe', value: probeLoss }, { metric: 'top1_accuracy', tensor: 'probe', value: finiteForward ? result.top1Accuracy : null });
      tensors.push({ tensor: 'probe', role: { block: null, component: 'probe', kind: 'other' } });
      arrays.push(tokenLossArray(entry.shape.batch, entry.shape.seqLen, entry.tokens, result.tokenLoss));
      progress('induction probe, block by block');
      const induction = await inductionResults(task, config, reader);
      scalars.push(...induction.scalars);
      tensors.push(...induction.tensors);
      warnings.push(...induction.warnings);
      inductionSeconds = induction.seconds;
    } else {
      if (undefinedGrads) warnings.push(`${undefinedGrads} gradients contain NaN/Inf (norms left empty)`);
      scalars.push({ metric: 'grad_total_norm', tensor: 'probe', value: total === null ? null : Math.sqrt(total) });
      tensors.push({ tensor: 'probe', role: { block: null, component: 'probe', kind: 'other' } });
    }
    return { scalars, arrays, info: { warnings, provider: entry.provider, providerNote: entry.providerNote, probe: { batch: entry.shape.batch, seqLen: entry.shape.seqLen }, timings: roundTimings({ ...result.timings, ...(inductionSeconds === undefined ? {} : { induction: inductionSeconds }) }) }, tensors };
  });
}

function roundTimings(t: StreamTimings & { induction?: number }): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}
