// One call that runs a checkpoint's block-streamed forward and forward + backward on a named
// onnxruntime provider and returns the numbers to compare across providers (loss, top-1, per-block
// activation statistics, every gradient norm) with timings: the entry point of the GPU check
// (bench/gpu/) and of the memory benchmark (bench/model-memory.mjs). Reduces on the fly, as the app
// does, so its memory is the streamed run's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../../../common/domain';
import { readModelConfig } from '../../architectures/index';
import { openCheckpoint } from '../../formats/index';
import { probeProviders, type ProviderAttempt, type ProviderName } from '../providers';
import { readerFromLookup, readerFromSource, StreamedModel, type StreamTimings, type WeightReader } from './streamed';
import type { WeightLookup } from './index';

export interface ModelCheckOptions {
  /** A checkpoint folder (config.json beside the weights, or `config` given) ... */
  folder?: string;
  /** ... or a config with weights in memory / a loader. */
  config?: ModelConfig;
  weights?: WeightLookup;
  provider: ProviderName;
  batch?: number;
  seqLen?: number;
  threads?: number;
  /** B x L token ids; default: a fixed pseudo-random batch. */
  tokens?: ArrayLike<number>;
  /** Timed runs after one warm-up (median reported); default 1. */
  repeats?: number;
  /** Also run forward + backward (default true). */
  gradients?: boolean;
}

export interface ActivationNumbers {
  maxAbs: number;
  mean: number;
  std: number;
  rms: number;
}

export interface ModelCheckReport {
  provider: ProviderName;
  /** Every provider tried on this machine, with why those that did not start were passed over. */
  providers: ProviderAttempt[];
  config: ModelConfig;
  batch: number;
  seqLen: number;
  loss: number;
  top1Accuracy: number;
  /** resid.i, mlp.i, final_norm. */
  activations: Record<string, ActivationNumbers>;
  /** Per weight ||d loss / d w||_F (null: NaN/Inf); empty without gradients. */
  gradNorms: Record<string, number | null>;
  gradTotalNorm: number | null;
  /** Seconds: session building, median forward, median forward + backward, and their phases. */
  timings: { setupS: number; forwardS: number; forwardBackwardS: number | null; forward: StreamTimings; forwardBackward: StreamTimings | null };
}

function activationNumbers(x: Float32Array): ActivationNumbers {
  let mx = 0, s = 0, s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const a = Math.abs(v);
    if (!(a <= mx)) mx = a;
    s += v;
    s2 += v * v;
  }
  const mean = s / x.length;
  return { maxAbs: mx, mean, std: Math.sqrt(Math.max(0, s2 / x.length - mean * mean)), rms: Math.sqrt(s2 / x.length) };
}

/** A fixed pseudo-random probe (xorshift32), the same on every machine. */
export function seededTokens(n: number, vocab: number, seed = 12345): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s % vocab;
  });
}

/** Run one checkpoint on `provider` (a ProviderError when it cannot start there). */
export async function runModelCheck(opts: ModelCheckOptions): Promise<ModelCheckReport> {
  const batch = opts.batch ?? 8, seqLen = opts.seqLen ?? 128, repeats = Math.max(1, opts.repeats ?? 1);
  const config = opts.config ?? (opts.folder ? readModelConfig(JSON.parse(readFileSync(join(opts.folder, 'config.json'), 'utf8')) as Record<string, unknown>) : null);
  if (!config) throw new Error('runModelCheck needs a checkpoint folder or a config');
  const source = opts.weights ? null : opts.folder ? await openCheckpoint(opts.folder) : null;
  if (!source && !opts.weights) throw new Error('runModelCheck needs a checkpoint folder or weights');
  const reader: WeightReader = source ? readerFromSource(source, config.family) : readerFromLookup(opts.weights!, config.family);
  const tokens = opts.tokens ?? seededTokens(batch * seqLen, config.vocabSize);
  const providers = await probeProviders();
  const models: StreamedModel[] = [];
  try {
    const t0 = performance.now();
    const fwd = new StreamedModel(config, { batch, seqLen, gradients: false, provider: opts.provider, threads: opts.threads });
    models.push(fwd);
    await fwd.prepare();
    const withGrads = opts.gradients ?? true;
    const fb = withGrads ? new StreamedModel(config, { batch, seqLen, gradients: true, resid: false, mlp: false, provider: opts.provider, threads: opts.threads }) : null;
    if (fb) {
      models.push(fb);
      await fb.prepare();
    }
    const setupS = (performance.now() - t0) / 1000;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

    const activations: Record<string, ActivationNumbers> = {};
    let forward = await fwd.run(reader, tokens, { activation: (name, data) => (activations[name] = activationNumbers(data)) });
    const fTimes: number[] = [];
    for (let r = 0; r < repeats; r++) {
      forward = await fwd.run(reader, tokens);
      fTimes.push(forward.timings.total);
    }
    const gradNorms: Record<string, number | null> = {};
    let backward = null as Awaited<ReturnType<StreamedModel['run']>> | null;
    const fbTimes: number[] = [];
    if (fb) {
      const sums = new Map<string, number>();
      backward = await fb.run(reader, tokens, {
        gradient: (name, piece, offset, numel) => {
          let s = sums.get(name) ?? 0;
          for (let i = 0; i < piece.length; i++) s += piece[i] * piece[i];
          sums.set(name, s);
          if (offset + piece.length === numel) gradNorms[name] = Number.isFinite(s) ? Math.sqrt(s) : null;
        },
      });
      for (let r = 0; r < repeats; r++) {
        backward = await fb.run(reader, tokens);
        fbTimes.push(backward.timings.total);
      }
    }
    const norms = Object.values(gradNorms);
    const gradTotalNorm = norms.some((n) => n === null) ? null : Math.sqrt(norms.reduce((a: number, n) => a + n! * n!, 0));
    return {
      provider: fwd.provider!,
      providers,
      config,
      batch,
      seqLen,
      loss: forward.loss,
      top1Accuracy: forward.top1Accuracy,
      activations,
      gradNorms,
      gradTotalNorm: fb ? gradTotalNorm : null,
      timings: { setupS, forwardS: median(fTimes), forwardBackwardS: fb ? median(fbTimes) : null, forward: forward.timings, forwardBackward: backward?.timings ?? null },
    };
  } finally {
    for (const m of models) await m.release();
    await source?.close();
  }
}
