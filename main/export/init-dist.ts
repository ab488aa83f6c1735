// `init-dist`: one trained tensor's distribution as a file a new model can be initialised from
// (DOMAIN.md export contract: a safetensors file of float64 `probabilities` and `quantiles`).
// The tensor is read from the checkpoint itself (exact float64 upcast), not from the cache: the
// quantile function needs every element, which no analysis stores. `__metadata__` names run,
// tensor, step, shape and dtype, and carries the Student-t fit (mu, sigma, nu) for those who prefer
// a parametric draw. docs/INIT_DIST.md shows the PyTorch snippet that samples from the file.
import { resolve } from 'node:path';
import { AtlasError, type InitDistRequest, type Response } from '../../common/api';
import type { CheckpointInfo, RunInfo } from '../../common/domain';
import { openCheckpoint } from '../formats/index';
import { safetensorsFileBytes } from '../formats/safetensors-write';
import { writeFileSync } from 'node:fs';
import { fitDistributions } from '../metrics/fits';
import { empiricalQuantiles, sortedFinite, tailDenseProbabilities, QUANTILE_POINTS } from '../metrics/quantiles';
import type { Store } from '../store/store';

export interface InitDistOptions {
  run: string;
  tensor: string;
  /** Checkpoint step; default the last checkpoint with a step. */
  step?: number;
  out: string;
  points?: number;
}

export interface InitDistResult {
  path: string;
  run: RunInfo;
  checkpoint: CheckpointInfo;
  shape: number[];
  probabilities: Float64Array;
  quantiles: Float64Array;
  metadata: Record<string, string>;
}

/** Finds a run by id or (unique) name in the cache. */
export function findRun(store: Store, key: string): RunInfo {
  const byId = store.getRun(key);
  if (byId) return byId.info;
  const named = store.listRuns().filter((r) => r.name === key);
  if (named.length === 1) return named[0].info;
  const known = store.listRuns().map((r) => `${r.id} (${r.name})`).slice(0, 12).join(', ');
  throw new AtlasError('not-found', named.length > 1 ? `run name "${key}" is ambiguous: use its id (${named.map((r) => r.id).join(', ')})` : `no run "${key}" in the cache (runs: ${known || 'none; run analyze or serve first'})`);
}

/** The checkpoint at `step`, or the last one with a step; a clear error naming the steps there are. */
export function pickCheckpoint(run: RunInfo, step: number | undefined): CheckpointInfo {
  const present = run.checkpoints.filter((c) => !c.missing && c.step !== null).sort((a, b) => a.step! - b.step!);
  const checkpoint = step === undefined ? present[present.length - 1] : present.find((c) => c.step === step);
  if (!checkpoint) {
    throw new AtlasError('not-found', `run ${run.name} has no checkpoint at step ${step ?? '(any)'} (steps: ${present.map((c) => c.step).slice(0, 20).join(', ')}${present.length > 20 ? ', ...' : ''})`);
  }
  return checkpoint;
}

/** The file of `initDistribution` as the API's `initDist` answer (the app's Export menu saves it); nothing written here. */
export async function initDistResponse(store: Store, req: InitDistRequest): Promise<Response<'initDist'>> {
  const r = await build(store, req);
  const filename = `${r.run.name}-${r.metadata.tensor}-step${r.checkpoint.step}.init-dist.safetensors`.replace(/[^A-Za-z0-9._-]+/g, '_');
  return { filename, mime: 'application/octet-stream', base64: Buffer.from(r.bytes).toString('base64'), bytes: r.bytes.length, metadata: r.metadata };
}

export async function initDistribution(store: Store, opts: InitDistOptions): Promise<InitDistResult> {
  const r = await build(store, opts);
  writeFileSync(r.path, r.bytes);
  return r;
}

async function build(store: Store, opts: Omit<InitDistOptions, 'out'> & { out?: string }): Promise<InitDistResult & { bytes: Uint8Array }> {
  const run = findRun(store, opts.run);
  const checkpoint = pickCheckpoint(run, opts.step);
  const source = await openCheckpoint(checkpoint.folder);
  try {
    const entry = source.list().find((e) => e.name === opts.tensor);
    if (!entry) {
      throw new AtlasError('not-found', `no tensor "${opts.tensor}" in ${checkpoint.label} (e.g. ${source.list().slice(0, 6).map((e) => e.name).join(', ')})`, checkpoint.folder);
    }
    const values = await source.read(entry.name, 'f64');
    const { sorted, nonFinite } = sortedFinite(values);
    if (sorted.length === 0) throw new AtlasError('bad-request', `tensor ${entry.name} at step ${checkpoint.step} has no finite elements`, entry.file);
    const probabilities = tailDenseProbabilities(opts.points ?? QUANTILE_POINTS);
    const quantiles = empiricalQuantiles(sorted, probabilities);
    const fits = fitDistributions(values);
    const metadata: Record<string, string> = {
      format: 'checkpoint-atlas init-dist 1',
      run: run.name,
      run_id: run.id,
      tensor: entry.name,
      step: String(checkpoint.step),
      checkpoint: checkpoint.id,
      shape: JSON.stringify(entry.shape),
      dtype: entry.dtype,
      numel: String(values.length),
      nonfinite: String(nonFinite),
      quantile_method: 'numpy type 7 (linear) over the finite elements; probabilities on a cosine grid (denser in the tails)',
      ...(fits
        ? {
            student_t: JSON.stringify({ mu: fits.studentT.mu, sigma: fits.studentT.sigma, nu: fits.studentT.nu, ks: fits.studentT.ks, sample_size: fits.sampleSize }),
          }
        : {}),
    };
    const path = resolve(opts.out ?? `${entry.name}.init-dist.safetensors`);
    const bytes = safetensorsFileBytes({
      probabilities: { dtype: 'F64', shape: [probabilities.length], data: probabilities },
      quantiles: { dtype: 'F64', shape: [quantiles.length], data: quantiles },
    }, metadata);
    return { path, run, checkpoint, shape: entry.shape, probabilities, quantiles, metadata, bytes };
  } finally {
    await source.close();
  }
}
