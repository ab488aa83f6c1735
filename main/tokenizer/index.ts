// The run's tokenizer (Hugging Face `tokenizer.json`, with `tokenizer_config.json` beside it when
// present), loaded with the pure-JS @huggingface/tokenizers package: encodes the probe text (no
// special tokens added: the probe batch has no BOS) and decodes single ids for the SVD-direction
// token tables. A token that is only part of a UTF-8 character (a byte-level BPE byte such as
// 0xE2, a SentencePiece byte-fallback piece) decodes to U+FFFD, and many different tokens would
// all show as the same "�"; displayToken shows their bytes instead (`\xe2`), the way Python's
// `bytes.decode('utf-8', 'backslashreplace')` writes them.
import { basename, dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { parseJsonQuietly, readRegularFile } from '../formats/regular-file';
import { FormatError } from '../formats/types';
import { PathGuard, ScanRefusal } from '../layouts/guard';

export interface LoadedTokenizer {
  readonly path: string;
  /** Number of ids (largest id + 1, added tokens included). */
  readonly vocabSize: number;
  encode(text: string): number[];
  /** One id as text (byte-level pieces mapped back to their characters; specials kept). */
  decodeToken(id: number): string;
  /** decodeToken, except that bytes which are not whole UTF-8 characters are shown as `\xNN`. */
  displayToken(id: number): string;
  decode(ids: number[]): string;
}

const MAX_TOKENIZER_BYTES = 256 * 1024 * 1024;
const MAX_TOKENIZER_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * tokenizer.json / tokenizer_config.json: a regular file (never a FIFO or device), size-capped,
 * inside the tokenizer's own folder by the scan's confinement rule (a hub snapshot's links into the
 * same model's blobs allowed; a link to any other file is refused, so its contents are never read).
 * JSON errors name the position only, never the file's text.
 */
async function readJson(path: string, required: boolean, guard: PathGuard): Promise<Record<string, unknown> | null> {
  let real: string;
  try {
    real = await guard.resolve(path);
  } catch (err) {
    if (!required && err instanceof ScanRefusal && err.problem.startsWith('dangling')) return null;
    throw new FormatError(path, err instanceof ScanRefusal ? err.problem : 'cannot resolve');
  }
  let value: unknown;
  try {
    // tokenizer_config.json holds a few settings (and at most a chat template): 4 MiB is ample.
    const limit = basename(path) === 'tokenizer_config.json' ? MAX_TOKENIZER_CONFIG_BYTES : MAX_TOKENIZER_BYTES;
    value = parseJsonQuietly((await readRegularFile(real, limit)).toString('utf8'), path, basename(path));
  } catch (err) {
    if (err instanceof FormatError && err.file !== path) throw new FormatError(path, err.problem);
    throw err;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FormatError(path, 'not a JSON object');
  return value as Record<string, unknown>;
}

/** Largest token id accepted (the library allocates arrays indexed by id). */
export const MAX_TOKEN_ID = 2 ** 24;

/**
 * Every vocab and added-token id must be an integer in [0, MAX_TOKEN_ID): the tokenizer library
 * trusts them, and a file with id 2^31 made it loop for minutes, with an object id it returned
 * "[object Object]" as an id (both found by fuzzing).
 */
function validateIds(path: string, json: Record<string, unknown>): void {
  const check = (id: unknown, what: string): void => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_TOKEN_ID) {
      throw new FormatError(path, `${what} has id ${typeof id === 'number' ? id : typeof id}, not an integer in [0, ${MAX_TOKEN_ID})`);
    }
  };
  const model = json.model as Record<string, unknown>;
  const vocab = model.vocab;
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) {
    for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) check(id, `vocab token ${JSON.stringify(token.slice(0, 20))}`);
  } else if (Array.isArray(vocab)) {
    // Unigram: [piece, score] pairs; ids are positions.
    if (vocab.length > MAX_TOKEN_ID) throw new FormatError(path, `vocab has ${vocab.length} entries`);
  } else if (vocab !== undefined) {
    throw new FormatError(path, 'model.vocab is neither an object nor a list');
  }
  if (json.added_tokens !== undefined) {
    if (!Array.isArray(json.added_tokens)) throw new FormatError(path, 'added_tokens is not a list');
    for (const t of json.added_tokens) {
      if (typeof t !== 'object' || t === null) throw new FormatError(path, 'an added token is not an object');
      check((t as { id?: unknown }).id, 'added token');
    }
  }
}

export async function loadTokenizer(tokenizerJsonPath: string): Promise<LoadedTokenizer> {
  // Confined to the tokenizer's folder (hub blobs of the same model included), as the scan is.
  const guard = await PathGuard.create(dirname(tokenizerJsonPath)).catch((err: unknown) => {
    throw new FormatError(tokenizerJsonPath, `cannot open its folder: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  });
  const json = (await readJson(tokenizerJsonPath, true, guard))!;
  if (typeof json.model !== 'object' || json.model === null) throw new FormatError(tokenizerJsonPath, 'tokenizer.json has no model');
  const config = (await readJson(join(dirname(tokenizerJsonPath), 'tokenizer_config.json'), false, guard)) ?? {};
  validateIds(tokenizerJsonPath, json);
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (err) {
    throw new FormatError(tokenizerJsonPath, `unsupported tokenizer: ${(err as Error).message}`);
  }
  let maxId = -1;
  const pieceOf = new Map<number, string>();
  for (const [piece, id] of tokenizer.get_vocab(true)) {
    if (id > maxId) maxId = id;
    pieceOf.set(id, piece);
  }
  const byteLevel = usesByteLevelDecoder(json.decoder);
  const decodeToken = (id: number): string => tokenizer.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  return {
    path: tokenizerJsonPath,
    vocabSize: maxId + 1,
    encode: (text) => {
      // The library returns `undefined` for a piece its model has no id for (a BPE whose vocab is
      // empty or a list, with no unk token: fuzz run 6, seed 3 case 13593); such ids would reach the
      // model graph as NaN, so the file is refused here, by name.
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > maxId) {
          throw new FormatError(tokenizerJsonPath, `encoding gave token ${i} no id in the vocabulary (got ${typeof id === 'number' ? id : typeof id}; ${maxId + 1} ids known): the model's vocab lacks a piece of the text and no unk_token is set`);
        }
      }
      return ids;
    },
    decodeToken,
    displayToken: (id) => {
      const text = decodeToken(id);
      if (!text.includes('\uFFFD')) return text;
      const piece = pieceOf.get(id);
      if (piece === undefined) return text;
      if (!byteLevel) return piece; // e.g. SentencePiece's "<0xE2>": already says which byte
      const bytes: number[] = [];
      for (const ch of piece) {
        const b = BYTE_OF_CHAR.get(ch);
        if (b === undefined) return text;
        bytes.push(b);
      }
      return bytesForDisplay(Uint8Array.from(bytes));
    },
    // The library throws a plain Error on [] (a tokenizer that encodes a text to nothing; found by
    // fuzzing, seed 2 case 1684): no ids decode to no text.
    decode: (ids) => (ids.length === 0 ? '' : tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false })),
  };
}

/** True for a ByteLevel decoder, alone or inside a Sequence. */
function usesByteLevelDecoder(decoder: unknown): boolean {
  if (typeof decoder !== 'object' || decoder === null) return false;
  const d = decoder as { type?: unknown; decoders?: unknown };
  if (d.type === 'ByteLevel') return true;
  return d.type === 'Sequence' && Array.isArray(d.decoders) && d.decoders.some(usesByteLevelDecoder);
}

/**
 * GPT-2's byte-to-character table (byte-level BPE stores each byte as one printable character):
 * printable Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100 onwards in order.
 */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = (() => {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let next = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCodePoint(printable(b) ? b : 256 + next++), b);
  return map;
})();

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whole UTF-8 characters as text, every other byte as `\xNN` (lowercase hex). */
export function bytesForDisplay(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i];
    const len = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0;
    if (len > 0 && i + len <= bytes.length) {
      try {
        out += strictUtf8.decode(bytes.subarray(i, i + len));
        i += len;
        continue;
      } catch {
        // not a valid character: escape the lead byte and go on
      }
    }
    out += `\\x${lead.toString(16).padStart(2, '0')}`;
    i += 1;
  }
  return out;
}
