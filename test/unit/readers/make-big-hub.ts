// Test helper (not a test): writes safetensors files by hand and builds Hugging Face hub-cache
// trees in a temp folder, e.g. the 154 Pythia revisions (step0, 1, 2, 4, ..., 512, 1000, ...,
// 143000) with tiny weights each, for the scan-speed check and the integrity tests.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TinyTensor {
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  /** Raw little-endian bytes. */
  data: Uint8Array;
}

/** The safetensors layout: u64 LE header length, JSON header padded with spaces to 8, data. */
export function safetensorsBytes(tensors: Record<string, TinyTensor>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(Buffer.from(text, 'utf8'), 8);
  let p = 8 + text.length;
  for (const t of Object.values(tensors)) {
    out.set(t.data, p);
    p += t.data.length;
  }
  return out;
}

/** A deterministic tiny F32 tensor whose values depend on `seed`. */
export function tinyF32(seed: number, count = 8): TinyTensor {
  const values = Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233));
  return { dtype: 'F32', shape: [count], data: new Uint8Array(values.buffer) };
}

/** Pythia's 154 revision steps: 0, the powers of two to 512, then every 1000 to 143000. */
export function pythiaSteps(): number[] {
  const steps = [0];
  for (let p = 1; p <= 512; p *= 2) steps.push(p);
  for (let s = 1000; s <= 143000; s += 1000) steps.push(s);
  return steps;
}

export interface HubRevision {
  revision: string;
  /** File name -> bytes; empty = a revision whose snapshot lacks weights. */
  files: Record<string, Uint8Array>;
}

/** Build `models--{org}--{name}` under `root` with refs, snapshots (relative symlinks) and blobs. */
export function makeHubModel(root: string, repoId: string, revisions: HubRevision[], mainAlias?: string): string {
  const model = join(root, `models--${repoId.replace('/', '--')}`);
  mkdirSync(join(model, 'blobs'), { recursive: true });
  mkdirSync(join(model, 'refs'), { recursive: true });
  const commits = new Map<string, string>();
  for (const rev of revisions) {
    const commit = createHash('sha1').update(`${repoId}@${rev.revision}`).digest('hex');
    commits.set(rev.revision, commit);
    const snapshot = join(model, 'snapshots', commit);
    mkdirSync(snapshot, { recursive: true });
    for (const [name, bytes] of Object.entries(rev.files)) {
      const blob = createHash('sha256').update(bytes).digest('hex');
      if (!existsSync(join(model, 'blobs', blob))) writeFileSync(join(model, 'blobs', blob), bytes);
      symlinkSync(join('..', '..', 'blobs', blob), join(snapshot, name));
    }
    writeFileSync(join(model, 'refs', rev.revision), commit);
  }
  if (mainAlias) writeFileSync(join(model, 'refs', 'main'), commits.get(mainAlias)!);
  return model;
}

const CONFIG = new TextEncoder().encode(JSON.stringify({
  model_type: 'gpt_neox', architectures: ['GPTNeoXForCausalLM'], hidden_size: 8, num_attention_heads: 2,
  num_hidden_layers: 1, vocab_size: 8, intermediate_size: 32,
}));

/** The 154-revision Pythia-like hub model, step0 == step1 as in the published series. */
export function makeBigHub(root: string, options: { omit?: number[] } = {}): string {
  const omit = new Set(options.omit ?? []);
  const revisions: HubRevision[] = pythiaSteps().filter((s) => !omit.has(s)).map((step) => ({
    revision: `step${step}`,
    files: {
      'config.json': CONFIG,
      'model.safetensors': safetensorsBytes({ 'gpt_neox.embed_in.weight': tinyF32(step === 1 ? 0 : step), 'embed_out.weight': tinyF32(step + 0.5) }),
    },
  }));
  // step0 and step1 must be byte-identical: give step1 the same second tensor as step0.
  const step1 = revisions.find((r) => r.revision === 'step1');
  const step0 = revisions.find((r) => r.revision === 'step0');
  if (step1 && step0) step1.files['model.safetensors'] = step0.files['model.safetensors'];
  return makeHubModel(root, 'EleutherAI/pythia-tiny-154', revisions, revisions[revisions.length - 1].revision);
}
