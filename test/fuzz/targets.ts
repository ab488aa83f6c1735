// The fuzz targets: for each reader, its seeds (the valid and hostile fixtures under
// test/fixtures/readers), how one case is generated from a seed (format-aware and format-blind
// mutations, chosen by a per-case random stream) and how a case is exercised (open, list, read
// every tensor; parse config; load a tokenizer, encode and decode). Exercising returns normally or
// throws; the worker classifies what was thrown (typed refusal or crash).
import { createHash } from 'node:crypto';
import { link, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { ConfigError, familyOf, readModelConfig } from '../../main/architectures/index';
import { listWeightFiles, openCheckpoint } from '../../main/formats/index';
import type { FileOpener } from '../../main/formats/random-access';
import { openSafetensors } from '../../main/formats/safetensors';
import { openTorchZip } from '../../main/formats/torch-zip';
import { FormatError, type TensorSource } from '../../main/formats/types';
import { PathGuard, ScanRefusal } from '../../main/layouts/guard';
import { loadTokenizer } from '../../main/tokenizer/index';
import { boundaryValue, concat, mutateBytes, mutateRegion, writeUintLE } from './mutate-bytes';
import { mutateJsonValue, parseJson, writeJson, type Json, type JsonDictionary } from './mutate-json';
import { ESCAPE_STRINGS, mutatePickle } from './mutate-pickle';
import { escapeTerminal } from '../../common/terminal';
import { exerciseDifferential, generateDifferential } from './safetensors-differential';
import { Rng, hash32, hashString } from './rng';
import { mutateZipEntries, mutateZipFields, parseZipModel, writeZipModel, type ZipModelEntry } from './zip-model';

export const TARGET_NAMES = ['safetensors', 'torch-zip', 'pickle', 'config', 'tokenizer', 'shard-index', 'safetensors-differential'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface FuzzFile {
  /** Relative name inside the case's folder. */
  name: string;
  bytes: Uint8Array;
  /**
   * Made as a special file instead of from `bytes` (issue 14): a FIFO (hard link to the run's FIFO),
   * a link to /dev/zero, or links leaving the folder to the run's secret file or FIFO.
   */
  special?: SpecialFile;
}

export const SPECIAL_FILES = ['fifo', 'dev-zero', 'outside-secret', 'outside-fifo'] as const;
export type SpecialFile = (typeof SPECIAL_FILES)[number];
/** Made by the supervisor's process in the scratch root (test/fuzz/cli.ts). */
export const FIFO_NAME = 'fifo';
export const SECRET_NAME = 'secret.json';
/** In the secret file; must never appear in any message (contents are never quoted). */
export const SECRET_MARKER = 'SECRET-MARKER-c0ffee';

/** What a terminal must never receive raw (escapeTerminal's job). */
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** One generated case: a small folder of files and which of them to open ('.' = the folder). */
export interface FuzzInput {
  files: FuzzFile[];
  entry: string;
  /** Which seed and which mutation family produced it (for the report). */
  origin: string;
}

export interface Seeds {
  safetensors: FuzzInput[];
  torchZip: FuzzInput[];
  /** Torch archives whose entries could be parsed (structure- and pickle-aware mutations). */
  torchModels: { origin: string; entries: ZipModelEntry[] }[];
  config: FuzzInput[];
  tokenizer: FuzzInput[];
  shardFolders: FuzzInput[];
}

/** A result that contradicts the reader's own contract (e.g. fewer elements than the shape). */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

/** Errors that are the readers' documented way to refuse an input. */
export function isTypedError(err: unknown): boolean {
  return err instanceof FormatError || err instanceof ConfigError || err instanceof ScanRefusal;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out.sort();
}

/** Load every seed from test/fixtures/readers (content-deduplicated). */
export async function loadSeeds(repoRoot: string): Promise<Seeds> {
  const root = join(repoRoot, 'test/fixtures/readers');
  const files = await walk(root);
  const seen = new Set<string>();
  const seeds: Seeds = { safetensors: [], torchZip: [], torchModels: [], config: [], tokenizer: [], shardFolders: [] };
  const once = (bytes: Uint8Array, kind: string): boolean => {
    const h = kind + createHash('sha256').update(bytes).digest('hex');
    if (seen.has(h)) return false;
    seen.add(h);
    return true;
  };
  for (const file of files) {
    const rel = relative(root, file);
    if (rel.includes('fuzz-regressions')) continue;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch {
      continue; // dangling links in the hub-cache fixture
    }
    const name = file.split('/').pop()!;
    if (name.endsWith('.safetensors') && once(bytes, 'st')) {
      seeds.safetensors.push({ files: [{ name: 'model.safetensors', bytes }], entry: 'model.safetensors', origin: rel });
    } else if (/\.(pt|pth|bin)$/.test(name) && once(bytes, 'pt')) {
      seeds.torchZip.push({ files: [{ name: 'model.pt', bytes }], entry: 'model.pt', origin: rel });
      if (bytes[0] === 0x50 && bytes[1] === 0x4b && !rel.startsWith('hostile/')) {
        try {
          const entries = parseZipModel(bytes);
          if (entries.some((e) => e.name.endsWith('/data.pkl'))) seeds.torchModels.push({ origin: rel, entries });
        } catch {
          // not structurally parseable: still a byte-level seed
        }
      }
    } else if (name === 'config.json' && once(bytes, 'cfg')) {
      seeds.config.push({ files: [{ name: 'config.json', bytes }], entry: 'config.json', origin: rel });
    } else if (name === 'tokenizer.json') {
      const folder = dirname(file);
      const tf: FuzzFile[] = [{ name: 'tokenizer.json', bytes }];
      try {
        tf.push({ name: 'tokenizer_config.json', bytes: new Uint8Array(await readFile(join(folder, 'tokenizer_config.json'))) });
      } catch {
        // optional
      }
      seeds.tokenizer.push({ files: tf, entry: 'tokenizer.json', origin: rel });
    } else if (name.endsWith('.index.json')) {
      const folder = dirname(file);
      const index = parseJson(new TextDecoder().decode(bytes)) as { weight_map: Record<string, string> };
      const shardNames = [...new Set(Object.values(index.weight_map))];
      const sf: FuzzFile[] = [{ name, bytes }];
      for (const s of shardNames) sf.push({ name: s, bytes: new Uint8Array(await readFile(join(folder, s))) });
      seeds.shardFolders.push({ files: sf, entry: '.', origin: relative(root, folder) });
    }
  }
  return seeds;
}

const SAFETENSORS_DICT: JsonDictionary = {
  strings: ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'U16', 'U32', 'U64', 'BOOL', 'F8_E4M3', 'F8_E5M2', 'C64', 'f32', 'float32', 'F4', '', 'pt', '__metadata__'],
  keys: ['dtype', 'shape', 'data_offsets', '__metadata__', 'format', 'weight', 'a.weight', ...ESCAPE_STRINGS],
};
const CONFIG_DICT: JsonDictionary = {
  strings: [...ESCAPE_STRINGS, 'gpt_neox', 'gpt2', 'llama', 'mistral', 'qwen2', 'unknown', 'GPTNeoXForCausalLM', 'GPT2LMHeadModel', 'LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'Qwen2Model', 'gelu', 'silu', 'gelu_new', 'relu', '__proto__', 'constructor', 'toString', 'hasOwnProperty'],
  keys: ['model_type', 'architectures', 'hidden_size', 'num_attention_heads', 'num_hidden_layers', 'vocab_size', 'intermediate_size', 'max_position_embeddings', 'layer_norm_eps', 'layer_norm_epsilon', 'rms_norm_eps', 'rotary_pct', 'rotary_emb_base', 'rope_theta', 'use_parallel_residual', 'hidden_act', 'activation_function', 'tie_word_embeddings', 'attention_bias', 'mlp_bias', 'n_embd', 'n_head', 'n_layer', 'n_positions', 'n_inner', 'num_key_value_heads', 'head_dim', 'rope_scaling'],
};
const TOKENIZER_DICT: JsonDictionary = {
  strings: [...ESCAPE_STRINGS, 'BPE', 'WordPiece', 'WordLevel', 'Unigram', 'ByteLevel', 'Whitespace', 'WhitespaceSplit', 'Split', 'Metaspace', 'Sequence', 'NFC', 'NFKC', 'NFD', 'Lowercase', 'Replace', 'Strip', 'Prepend', 'BertPreTokenizer', 'Digits', 'Punctuation', 'TemplateProcessing', 'RobertaProcessing', 'BertProcessing', 'ByteFallback', 'Fuse', 'WordPiece', 'CTC', 'Isolated', 'Removed', 'MergedWithPrevious', 'Contiguous', '(a+)+$', '[', '\\p{L}+', '(?<=x)y', '', '<unk>', '<|endoftext|>', ' ', 'Ġ', '▁', 'first', 'always', 'never'],
  keys: ['type', 'model', 'vocab', 'merges', 'normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'added_tokens', 'unk_token', 'continuing_subword_prefix', 'end_of_word_suffix', 'dropout', 'fuse_unk', 'byte_fallback', 'ignore_merges', 'pattern', 'Regex', 'String', 'behavior', 'invert', 'add_prefix_space', 'trim_offsets', 'use_regex', 'id', 'content', 'special', 'normalized', 'lstrip', 'rstrip', 'single_word', 'pretokenizers', 'normalizers', 'decoders', 'processors', 'replacement', 'prepend_scheme', 'split', 'lowercase', 'strip_accents', 'max_input_chars_per_word', 'single', 'pair', 'special_tokens', 'tokenizer_class', 'add_bos_token', 'bos_token', 'eos_token', 'model_max_length'],
};

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A safetensors file with its JSON header mutated (and the length field usually kept right). */
function mutateSafetensorsHeader(rng: Rng, file: Uint8Array): Uint8Array {
  if (file.length < 8) return mutateBytes(rng, file);
  const n = Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > file.length) return mutateBytes(rng, file);
  let header: Json;
  try {
    header = parseJson(text(file.subarray(8, 8 + n)));
  } catch {
    return mutateRegion(rng, file, 8, 8 + n);
  }
  let headerText = writeJson(mutateJsonValue(rng, header, SAFETENSORS_DICT));
  if (rng.chance(0.5)) headerText += ' '.repeat((8 - ((headerText.length) % 8)) % 8); // the reference writer pads to 8
  const headerBytes = utf8(headerText);
  let data = file.subarray(8 + n);
  const dataChoice = rng.int(10);
  if (dataChoice === 0) data = data.subarray(0, rng.int(data.length + 1));
  else if (dataChoice === 1) data = concat(data, new Uint8Array(rng.range(1, 64)));
  const out = concat(new Uint8Array(8), headerBytes, data);
  const lengthChoice = rng.int(10);
  const length = lengthChoice < 8 ? BigInt(headerBytes.length) : lengthChoice === 8 ? BigInt(headerBytes.length + rng.range(-3, 3)) : boundaryValue(rng, out.length);
  writeUintLE(out, 0, 8, length);
  return out;
}

function generateSafetensors(rng: Rng, seed: FuzzInput): FuzzInput {
  const bytes = seed.files[0].bytes;
  const choice = rng.int(20);
  let out: Uint8Array;
  let how: string;
  if (choice < 8) { out = mutateSafetensorsHeader(rng, bytes); how = 'json-header'; }
  else if (choice < 11) { out = bytes.slice(); writeUintLE(out, 0, 8, boundaryValue(rng, bytes.length)); how = 'header-length'; }
  else if (choice < 15) { out = mutateRegion(rng, bytes, 0, 8 + Math.min(bytes.length, 4096)); how = 'bytes-header'; }
  else { out = mutateBytes(rng, bytes); how = 'bytes'; }
  return { files: [{ name: 'model.safetensors', bytes: out }], entry: 'model.safetensors', origin: `${seed.origin}:${how}` };
}

function generateTorchZip(rng: Rng, seeds: Seeds): FuzzInput {
  const choice = rng.int(10);
  let out: Uint8Array;
  let origin: string;
  if (choice < 4 && seeds.torchModels.length) {
    const model = rng.pick(seeds.torchModels);
    let entries = model.entries;
    const k = rng.geometric(3);
    for (let i = 0; i < k; i++) entries = mutateZipEntries(rng, entries);
    const written = writeZipModel(entries, { zip64: rng.chance(0.25) });
    out = rng.chance(0.4) ? mutateZipFields(rng, written) : written.bytes;
    origin = `${model.origin}:zip-structure`;
  } else if (choice < 7 && seeds.torchModels.length) {
    const model = rng.pick(seeds.torchModels);
    out = mutateZipFields(rng, writeZipModel(model.entries, { zip64: rng.chance(0.3) }));
    origin = `${model.origin}:zip-fields`;
  } else {
    const seed = rng.pick(seeds.torchZip);
    const bytes = seed.files[0].bytes;
    // Half the time confine the damage to the tail (central directory and end records).
    out = rng.chance(0.5) ? mutateRegion(rng, bytes, Math.max(0, bytes.length - 1024), bytes.length) : mutateBytes(rng, bytes);
    origin = `${seed.origin}:bytes`;
  }
  return { files: [{ name: 'model.pt', bytes: out }], entry: 'model.pt', origin };
}

function generatePickle(rng: Rng, seeds: Seeds): FuzzInput {
  const model = rng.pick(seeds.torchModels);
  const entries = model.entries.map((e) => (e.name.endsWith('/data.pkl') ? { ...e, data: rng.chance(0.9) ? mutatePickle(rng, e.data) : mutateBytes(rng, e.data) } : e));
  const out = writeZipModel(entries, { zip64: rng.chance(0.1) }).bytes;
  return { files: [{ name: 'model.pt', bytes: out }], entry: 'model.pt', origin: `${model.origin}:pickle` };
}

function generateJsonFile(rng: Rng, bytes: Uint8Array, dict: JsonDictionary, jsonShare: number): Uint8Array {
  if (rng.chance(jsonShare)) {
    try {
      return utf8(writeJson(mutateJsonValue(rng, parseJson(text(bytes)), dict)));
    } catch {
      // not JSON (an earlier mutation): fall through to bytes
    }
  }
  return mutateBytes(rng, bytes);
}

function generateConfig(rng: Rng, seed: FuzzInput): FuzzInput {
  return { files: [{ name: 'config.json', bytes: generateJsonFile(rng, seed.files[0].bytes, CONFIG_DICT, 0.75) }], entry: 'config.json', origin: `${seed.origin}:config` };
}

/** One file of a file-backed case replaced by a special file (FIFO, device, links leaving the folder). */
function withSpecialFile(rng: Rng, input: FuzzInput): FuzzInput {
  const files = input.files.map((f) => ({ ...f }));
  const k = rng.int(files.length);
  const special = rng.pick(SPECIAL_FILES);
  files[k] = { name: files[k].name, bytes: new Uint8Array(0), special };
  return { ...input, files, origin: `${input.origin}:special-${special}` };
}

function generateTokenizer(rng: Rng, seed: FuzzInput): FuzzInput {
  if (rng.chance(0.06)) return withSpecialFile(rng, { files: seed.files.map((f) => ({ ...f })), entry: 'tokenizer.json', origin: seed.origin });
  const files = seed.files.map((f) => ({ ...f }));
  const which = files.length > 1 && rng.chance(0.15) ? 1 : 0;
  files[which] = { name: files[which].name, bytes: generateJsonFile(rng, files[which].bytes, TOKENIZER_DICT, 0.8) };
  if (rng.chance(0.05)) files.splice(1, 1); // no tokenizer_config.json
  return { files, entry: 'tokenizer.json', origin: `${seed.origin}:${files[which]?.name ?? 'tokenizer.json'}` };
}

function generateShardFolder(rng: Rng, seed: FuzzInput, seeds: Seeds): FuzzInput {
  const files = seed.files.map((f) => ({ ...f }));
  const shardNames = files.slice(1).map((f) => f.name);
  const tensorNames = Object.keys((parseJson(text(files[0].bytes)) as { weight_map: Record<string, string> }).weight_map);
  const dict: JsonDictionary = {
    strings: [...shardNames, files[0].name, 'config.json', '../' + shardNames[0], '/etc/passwd', 'missing.safetensors', `sub/../${shardNames[0]}`, `./${shardNames[0]}`, '.', '', 'model-00001-of-00002.bin', 'model-00003-of-00002.safetensors', shardNames[0] + '/'],
    keys: ['weight_map', 'metadata', 'total_size', ...tensorNames, ...ESCAPE_STRINGS],
  };
  if (rng.chance(0.06)) return withSpecialFile(rng, { files, entry: '.', origin: seed.origin });
  const choice = rng.int(10);
  let how: string;
  if (choice < 6) { files[0] = { ...files[0], bytes: generateJsonFile(rng, files[0].bytes, dict, 0.85) }; how = 'index'; }
  else {
    const k = 1 + rng.int(files.length - 1);
    const shard = files[k];
    const asSeed: FuzzInput = { files: [shard], entry: shard.name, origin: seed.origin };
    const mutated = shard.name.endsWith('.safetensors') ? generateSafetensors(rng, asSeed) : rng.chance(0.5) ? generateTorchZip(rng, { ...seeds, torchZip: [asSeed], torchModels: [] }) : { files: [{ name: shard.name, bytes: mutateBytes(rng, shard.bytes) }] };
    files[k] = { name: shard.name, bytes: mutated.files[0].bytes };
    how = 'shard';
    if (rng.chance(0.2)) files.splice(1 + rng.int(files.length - 1), 1); // a shard missing
  }
  return { files, entry: '.', origin: `${seed.origin}:${how}` };
}

/** The case with this index, generated from (run seed, target, index) alone. */
export function generateCase(target: TargetName, runSeed: number, index: number, seeds: Seeds): FuzzInput {
  const rng = new Rng(hash32(runSeed, hashString(target), index));
  switch (target) {
    case 'safetensors': return generateSafetensors(rng, rng.pick(seeds.safetensors));
    case 'torch-zip': return generateTorchZip(rng, seeds);
    case 'pickle': return generatePickle(rng, seeds);
    case 'config': return generateConfig(rng, rng.pick(seeds.config));
    case 'tokenizer': return generateTokenizer(rng, rng.pick(seeds.tokenizer));
    case 'shard-index': { const seed = rng.pick(seeds.shardFolders); return generateShardFolder(rng, seed, seeds); }
    case 'safetensors-differential': return generateDifferential(rng, seeds);
  }
}

/** Positioned reads over in-memory files, with the same contract as openRandomAccess. */
export function memoryOpener(files: Map<string, Uint8Array>): FileOpener {
  return async (path) => {
    const data = files.get(path);
    if (!data) throw new FormatError(path, 'cannot open: ENOENT: no such file or directory');
    return {
      path,
      size: data.length,
      async readExact(position, length) {
        if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0) {
          throw new FormatError(path, `invalid read range ${position}+${length}`);
        }
        if (position + length > data.length) throw new FormatError(path, `read ${position}+${length} runs past the end of the file (${data.length} bytes)`);
        const out = new Uint8Array(new ArrayBuffer(length));
        out.set(data.subarray(position, position + length));
        return out;
      },
      async close() {},
    };
  };
}

/** list() then read() of every tensor; checks each array holds exactly the shape's elements. */
async function drain(source: TensorSource): Promise<number> {
  try {
    const entries = source.list();
    let first = true;
    for (const e of entries) {
      const numel = e.shape.reduce((a, b) => a * b, 1);
      const values = await source.read(e.name, first ? 'f64' : 'f32');
      first = false;
      if (values.length !== numel) throw new InvariantViolation(`${source.path}: tensor "${e.name}" of shape [${e.shape.join(', ')}] read as ${values.length} elements`);
      if (RAW_CONTROL.test(escapeTerminal(e.name))) throw new InvariantViolation(`${source.path}: tensor name keeps raw control characters after escapeTerminal`);
    }
    return entries.length;
  } finally {
    await source.close();
  }
}

const PROBE_TEXT = 'Hello world, the quick brown fox: 123 ümlaut 😀 <|endoftext|>\n\ttabs';

/** Where the file-backed targets write their cases (one folder per worker). */
export interface Scratch {
  dir: string;
}

async function materialise(input: FuzzInput, folder: string, scratch: Scratch): Promise<void> {
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const root = dirname(scratch.dir);
  for (const f of input.files) {
    const p = join(folder, f.name);
    if (!p.startsWith(folder + '/')) continue; // case files never leave their folder
    await mkdir(dirname(p), { recursive: true });
    switch (f.special) {
      case 'fifo': await link(join(root, FIFO_NAME), p); break; // a FIFO inside the folder
      case 'dev-zero': await symlink('/dev/zero', p); break;
      case 'outside-secret': await symlink(join(root, SECRET_NAME), p); break;
      case 'outside-fifo': await symlink(join(root, FIFO_NAME), p); break;
      default: await writeFile(p, f.bytes);
    }
  }
}

/**
 * Oracles of issue 14 on top of each target's own: a typed refusal never quotes the secret file's
 * contents, and every name and message becomes free of raw control characters once escaped for a
 * terminal (as scan/analyze print them).
 */
export async function exercise(target: TargetName, input: FuzzInput, scratch: Scratch): Promise<string> {
  try {
    return await exerciseTarget(target, input, scratch);
  } catch (err) {
    if (isTypedError(err)) {
      const message = (err as Error).message;
      if (message.includes(SECRET_MARKER)) throw new InvariantViolation(`a refusal quotes the contents of a file outside the folder: ${escapeTerminal(message.slice(0, 200))}`);
      if (RAW_CONTROL.test(escapeTerminal(message))) throw new InvariantViolation('a refusal keeps raw control characters after escapeTerminal');
    }
    throw err;
  }
}

/** Run one case against its reader; returns a short description of the success, or throws. */
async function exerciseTarget(target: TargetName, input: FuzzInput, scratch: Scratch): Promise<string> {
  switch (target) {
    case 'safetensors-differential': return exerciseDifferential(input);
    case 'safetensors':
    case 'torch-zip':
    case 'pickle': {
      const path = `/fuzz/${target}/${input.entry}`;
      const opener = memoryOpener(new Map([[path, input.files[0].bytes]]));
      const source = target === 'safetensors' ? await openSafetensors(path, { opener }) : await openTorchZip(path, { opener });
      return `${await drain(source)} tensors`;
    }
    case 'config': {
      // As the scan does (layouts/checkpoint.ts): unparseable JSON is an absent config, any
      // parsed value goes to familyOf and, when truthy, to readModelConfig.
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(input.files[0].bytes));
      } catch {
        return 'not JSON (treated as no config)';
      }
      const family = familyOf(parsed);
      if (parsed) {
        const config = readModelConfig(parsed as Record<string, unknown>);
        if (config.family !== family) throw new InvariantViolation(`config.json: familyOf says ${String(family)} but readModelConfig says ${config.family}`);
      }
      return `family ${String(family)}`;
    }
    case 'tokenizer': {
      const folder = join(scratch.dir, 'case');
      await materialise(input, folder, scratch);
      const tok = await loadTokenizer(join(folder, input.entry));
      const ids = tok.encode(PROBE_TEXT);
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0 || id >= tok.vocabSize) throw new InvariantViolation(`${tok.path}: encode produced id ${id} outside [0, ${tok.vocabSize})`);
      }
      tok.decode(ids);
      for (const id of ids.slice(0, 64)) tok.decodeToken(id);
      return `${ids.length} ids`;
    }
    case 'shard-index': {
      const folder = join(scratch.dir, 'case');
      await materialise(input, folder, scratch);
      // As the scan does (layouts/scan.ts, checkpoint.ts): the index and every shard pass the
      // folder guard before anything is opened.
      const guard = await PathGuard.create(folder);
      const weights = await listWeightFiles(folder, { checkPath: (p) => guard.resolve(p) });
      for (const f of weights?.files ?? []) await guard.resolve(f);
      return `${await drain(await openCheckpoint(folder))} tensors`;
    }
  }
}
