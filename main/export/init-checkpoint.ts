// `init-dist --write-checkpoint DIR`: a whole initial checkpoint drawn from a trained one, per
// tensor, in the source's format family (one model.safetensors + config.json, and the tokenizer
// files beside it), so it opens as a new run (docs/INIT_DIST.md). Each weight is either sampled
// i.i.d. from its own empirical quantile function (the same table `init-dist` writes: tail-dense
// probabilities, numpy type-7 quantiles, inverse transform with linear interpolation) or, with
// `permute`, its trained values shuffled (exactly the trained distribution, no structure).
// Buffers (rotary tables, masks: architectures/ says which) and integer tensors are copied as
// they are; names, shapes and dtypes are the source's. Streamed: the header is written from the
// source's shapes first, then one tensor at a time, so memory is one tensor.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { AtlasError } from '../../common/api';
import { DTYPE_BYTES, type CheckpointInfo, type RunInfo } from '../../common/domain';
import { roleOf } from '../architectures';
import { openCheckpoint } from '../formats/index';
import { encodeElements } from '../formats/dtype-encode';
import { sampleFromQuantiles, sortedFinite, tailDenseProbabilities, empiricalQuantiles, QUANTILE_POINTS } from '../metrics/quantiles';
import type { Store } from '../store/store';
import { findRun, pickCheckpoint } from './init-dist';

export type InitMethod = 'sample' | 'permute';

export interface InitCheckpointOptions {
  run: string;
  step?: number;
  out: string;
  method?: InitMethod;
  seed?: number;
  points?: number;
}

export interface InitCheckpointResult {
  path: string;
  run: RunInfo;
  checkpoint: CheckpointInfo;
  /** Tensors drawn (sampled or permuted) and those copied unchanged (buffers, integers). */
  drawn: string[];
  copied: string[];
}

const FLOAT = new Set(['F16', 'BF16', 'F32', 'F64']);
/** Files beside the weights that make the folder a run of the same model. */
const SIDE_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];

/** A seeded uniform generator on [0, 1) with 53 random bits (two 32-bit xorshift draws). */
export function uniform(seed: number): () => number {
  let s = (seed >>> 0) ^ 0x9e3779b9 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

/** New values for one tensor: i.i.d. from its quantile function, or its own values shuffled. */
export function drawLike(values: Float64Array, method: InitMethod, rand: () => number, points = QUANTILE_POINTS): Float64Array {
  if (method === 'permute') {
    const out = Float64Array.from(values);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }
  const { sorted } = sortedFinite(values);
  if (sorted.length === 0) return Float64Array.from(values);
  const p = tailDenseProbabilities(points);
  const q = empiricalQuantiles(sorted, p);
  const out = new Float64Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = sampleFromQuantiles(p, q, rand());
  return out;
}

export async function writeInitCheckpoint(store: Store, opts: InitCheckpointOptions): Promise<InitCheckpointResult> {
  const run = findRun(store, opts.run);
  const checkpoint = pickCheckpoint(run, opts.step);
  const method = opts.method ?? 'sample';
  const seed = opts.seed ?? 0;
  const out = resolve(opts.out);
  if (existsSync(out) && readdirSync(out).length) throw new AtlasError('bad-request', `${out} exists and is not empty: give a new folder for the initial checkpoint`, out);
  const source = await openCheckpoint(checkpoint.folder);
  const drawn: string[] = [];
  const copied: string[] = [];
  try {
    const entries = source.list();
    // The header first, from shapes and dtypes alone (every tensor written contiguous, in source order).
    const header: Record<string, unknown> = {
      __metadata__: {
        format: 'pt',
        written_by: 'checkpoint-atlas init-dist --write-checkpoint 1',
        source_run: run.name,
        source_step: String(checkpoint.step),
        source_checkpoint: checkpoint.id,
        method,
        seed: String(seed),
        points: String(opts.points ?? QUANTILE_POINTS),
      },
    };
    let offset = 0;
    for (const e of entries) {
      const numel = e.shape.reduce((a, b) => a * b, 1);
      const bytes = numel * DTYPE_BYTES[e.dtype];
      header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
    json.copy(padded);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(padded.length));
    mkdirSync(out, { recursive: true });
    const fd = openSync(join(out, 'model.safetensors'), 'wx');
    try {
      writeSync(fd, length);
      writeSync(fd, padded);
      const rand = uniform(seed);
      for (const e of entries) {
        const values = (await source.read(e.name, 'f64')) as Float64Array;
        const keep = !FLOAT.has(e.dtype) || roleOf(run.family, e.name).kind === 'buffer';
        const next = keep ? values : drawLike(values, method, rand, opts.points);
        (keep ? copied : drawn).push(e.name);
        writeSync(fd, encodeElements(next, e.dtype));
      }
    } finally {
      closeSync(fd);
    }
  } finally {
    await source.close();
  }
  for (const dir of [checkpoint.folder, run.root]) {
    for (const f of SIDE_FILES) {
      const from = join(dir, f);
      if (existsSync(from) && !existsSync(join(out, f))) copyFileSync(from, join(out, f));
    }
  }
  if (run.tokenizerPath && !existsSync(join(out, 'tokenizer.json'))) copyFileSync(run.tokenizerPath, join(out, basename(run.tokenizerPath) === 'tokenizer.json' ? 'tokenizer.json' : basename(run.tokenizerPath)));
  return { path: out, run, checkpoint, drawn, copied };
}
