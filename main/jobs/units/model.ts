// What the `activations` and `gradients` units (main/jobs/units/activations.ts, gradients.ts) do
// with one checkpoint: run the run's ONNX forward graph
// (one graph per run and probe shape, weights as inputs, so the session is built once per worker)
// on the probe batch, then reduce what it returns to the export contract's numbers:
// residual-stream statistics per block, outlier dimensions, histograms on fixed bins, loss,
// top-1 accuracy; with gradients, the norm of d(loss)/d(weight) per tensor, the total norm and
// gradient histograms.
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { ModelConfig, TensorRole } from '../../../common/domain';
import type { ArrayResult, ScalarResult, UnitResults } from '../../store/store';
import { buildForward, normaliseWeightName, runForward, type ForwardGraph } from '../../compute/forward';
import { createSession } from '../../compute/providers';
import { loadTokenizer } from '../../tokenizer';
import { readRegularFile } from '../../formats/regular-file';
import { FormatError } from '../../formats/types';
import { activationStats } from '../../metrics/activations';
import { makeProbeBatch } from '../../compute/probe';
import { histogram } from '../../metrics/histogram';
import { ACTIVATION_EDGES, GRADIENT_EDGES } from '../../metrics/log-histogram';
import { projectRoot } from '../../paths';
import { modelProblem, roleOf } from '../../architectures';
import { precisionOf, withSources } from './common';
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
  graph: ForwardGraph;
  session: Ort.InferenceSession;
  provider: string;
  tokens: BigInt64Array;
}

// One cached session per worker thread: consecutive checkpoints of a run reuse it.
let cached: SessionEntry | null = null;

async function sessionFor(task: UnitTask, config: ModelConfig, gradients: boolean): Promise<SessionEntry> {
  const shape = probeShape(task, config);
  const key = JSON.stringify({ run: task.run.id, config, shape, gradients, provider: task.provider, threads: task.intraOpThreads });
  if (cached?.key === key) return cached;
  if (cached) await cached.session.release();
  cached = null;
  if (!task.run.tokenizerPath) throw new Error('the run has no tokenizer.json: the probe text cannot be tokenised');
  const tokens = await probeTokens(task.run.tokenizerPath, shape, config.vocabSize);
  const graph = buildForward(config, { batch: shape.batch, seqLen: shape.seqLen, gradients, outputs: { logits: false } });
  const { session, provider } = await createSession(graph.model, { provider: task.provider, threads: task.intraOpThreads });
  cached = { key, graph, session, provider, tokens };
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

/** L2 norm; null when any element is NaN/Inf (an undefined gradient is not a zero one). */
function l2(x: Float32Array): number | null {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) return null;
    s += v * v;
  }
  return Math.sqrt(s);
}

export async function modelUnit(task: UnitTask, progress: ProgressFn, gradients: boolean): Promise<UnitResults> {
  const config = task.run.config;
  if (!config) throw new Error('running the model needs config.json with the model dimensions');
  const problem = modelProblem(config.family);
  if (problem) throw new Error(problem);
  const entry = await sessionFor(task, config, gradients);
  return withSources([task.checkpoint.folder], async ([src]) => {
    const byCanonical = new Map(src!.list().map((e) => [normaliseWeightName(config.family, e.name), e]));
    progress(gradients ? 'forward + backward' : 'forward');
    const result = await runForward(entry.session, entry.graph, async (name) => {
      const e = byCanonical.get(name);
      if (!e) throw new Error(`weight ${name} is missing from the checkpoint`);
      const x = await src!.read(e.name, precisionOf(e));
      return x instanceof Float32Array ? x : Float32Array.from(x);
    }, entry.tokens);

    const scalars: ScalarResult[] = [];
    const arrays: ArrayResult[] = [];
    const warnings: string[] = [];
    const tensors: NonNullable<UnitResults['tensors']> = [];
    const probeLoss = result.loss;
    if (probeLoss !== null && !Number.isFinite(probeLoss)) warnings.push(`the forward pass gave a non-finite loss (${probeLoss})`);

    if (!gradients) {
      for (const [name, act] of result.activations) {
        const isResid = name.startsWith('resid.') || name === 'final_norm';
        const isMlp = name.startsWith('mlp.');
        if (!isResid && !isMlp) continue;
        const width = act.dims[act.dims.length - 1]!;
        const st = activationStats(act.data, width, { topK: TOP_DIMS, edges: ACTIVATION_EDGES });
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
        tensors.push({ tensor: name, role: activationRole(name) });
      }
      // A non-finite forward pass has no meaningful predictions: accuracy is undefined, not 0.
      const finiteForward = probeLoss !== null && Number.isFinite(probeLoss);
      scalars.push({ metric: 'loss', tensor: 'probe', value: probeLoss }, { metric: 'top1_accuracy', tensor: 'probe', value: finiteForward ? result.top1Accuracy : null });
      tensors.push({ tensor: 'probe', role: { block: null, component: 'probe', kind: 'other' } });
    } else {
      let total: number | null = 0;
      let undefinedGrads = 0;
      for (const [name, g] of result.gradients) {
        const norm = l2(g);
        if (norm === null) undefinedGrads++;
        total = norm === null || total === null ? null : total + norm * norm;
        scalars.push({ metric: 'grad_norm', tensor: name, value: norm });
        const h = histogram(g, GRADIENT_EDGES);
        arrays.push({ kind: 'grad_histogram', tensor: name, data: { edges: Array.from(GRADIENT_EDGES), counts: h.counts, underflow: h.underflow, overflow: h.overflow, nonFinite: h.nonFinite } });
        tensors.push({ tensor: name, role: roleOf(config.family, name) });
      }
      if (undefinedGrads) warnings.push(`${undefinedGrads} gradients contain NaN/Inf (norms left empty)`);
      scalars.push({ metric: 'grad_total_norm', tensor: 'probe', value: total === null ? null : Math.sqrt(total) });
      tensors.push({ tensor: 'probe', role: { block: null, component: 'probe', kind: 'other' } });
    }
    return { scalars, arrays, info: { warnings, provider: entry.provider, probe: { batch: entry.graph.batch, seqLen: entry.graph.seqLen } }, tensors };
  });
}
