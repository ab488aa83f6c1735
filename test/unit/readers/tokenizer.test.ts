// Tokenizer loading on the fixture's tiny byte-level BPE: ids equal those of an independent
// plain-Python BPE (tools/make_reader_fixtures.py), single ids decode to their text, and decoding
// an encoding gives the text back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../../main/tokenizer/index';
import { FormatError } from '../../../main/formats/types';
import { FIXTURES } from './expected';

const dir = join(FIXTURES, 'tokenizer');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  vocab_size: number; cases: Record<string, number[]>; decode: Record<string, string>;
};

describe('tokenizer', () => {
  it('encodes like the reference BPE and round-trips', async () => {
    const tok = await loadTokenizer(join(dir, 'tokenizer.json'));
    expect(tok.vocabSize).toBe(expected.vocab_size);
    for (const [text, ids] of Object.entries(expected.cases)) {
      expect(tok.encode(text), text).toEqual(ids);
      expect(tok.decode(ids)).toBe(text);
    }
  });
  it('decodes single ids, specials and byte tokens included', async () => {
    const tok = await loadTokenizer(join(dir, 'tokenizer.json'));
    for (const [id, text] of Object.entries(expected.decode)) expect(tok.decodeToken(Number(id))).toBe(text);
    // Pythia-like layout: ids 2..257 are the 256 single bytes; printable ASCII decodes to itself.
    expect(tok.decodeToken(2 + 0x41)).toBe('A');
    expect(tok.decodeToken(2 + 0x20)).toBe(' '); // stored as 'Ġ' by the byte-level table
    expect(tok.decodeToken(2 + 0x0a)).toBe('\n');
  });
  it('refuses a missing or malformed file with the path named', async () => {
    await expect(loadTokenizer(join(dir, 'nope.json'))).rejects.toThrow(FormatError);
    await expect(loadTokenizer(join(dir, 'expected.json'))).rejects.toThrow(/tokenizer.json has no model/);
  });
});
