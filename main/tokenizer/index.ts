// The run's tokenizer (Hugging Face `tokenizer.json`, with `tokenizer_config.json` beside it when
// present), loaded with the pure-JS @huggingface/tokenizers package: encodes the probe text (no
// special tokens added: the probe batch has no BOS) and decodes single ids for the SVD-direction
// token tables.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { FormatError } from '../formats/types';

export interface LoadedTokenizer {
  readonly path: string;
  /** Number of ids (largest id + 1, added tokens included). */
  readonly vocabSize: number;
  encode(text: string): number[];
  /** One id as text (byte-level pieces mapped back to their characters; specials kept). */
  decodeToken(id: number): string;
  decode(ids: number[]): string;
}

const MAX_TOKENIZER_BYTES = 256 * 1024 * 1024;

async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | null> {
  try {
    if ((await stat(path)).size > MAX_TOKENIZER_BYTES) throw new FormatError(path, 'tokenizer file is too large');
    const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FormatError(path, 'not a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof FormatError) throw err;
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new FormatError(path, `cannot read tokenizer: ${(err as Error).message}`);
  }
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
  const json = (await readJson(tokenizerJsonPath, true))!;
  if (typeof json.model !== 'object' || json.model === null) throw new FormatError(tokenizerJsonPath, 'tokenizer.json has no model');
  const config = (await readJson(join(dirname(tokenizerJsonPath), 'tokenizer_config.json'), false)) ?? {};
  validateIds(tokenizerJsonPath, json);
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (err) {
    throw new FormatError(tokenizerJsonPath, `unsupported tokenizer: ${(err as Error).message}`);
  }
  let maxId = -1;
  for (const id of tokenizer.get_vocab(true).values()) if (id > maxId) maxId = id;
  return {
    path: tokenizerJsonPath,
    vocabSize: maxId + 1,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    decodeToken: (id) => tokenizer.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    decode: (ids) => tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
  };
}
