// Tokenizer loading on the fixture's tiny byte-level BPE: ids equal those of an independent
// plain-Python BPE (tools/make_reader_fixtures.py), single ids decode to their text, and decoding
// an encoding gives the text back.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesForDisplay, loadTokenizer } from '../../../main/tokenizer/index';
import { projectRoot } from '../../../main/paths';
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
  it('shows tokens that are parts of UTF-8 characters as their bytes', async () => {
    // The demo's byte-level BPE (512 tokens) splits non-ASCII characters into byte tokens, each of
    // which decodes to U+FFFD alone. Shown as \xNN, the tokens of a text give back its UTF-8 bytes.
    const snapshots = join(projectRoot(), 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny', 'snapshots');
    const commit = readFileSync(join(projectRoot(), 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny', 'refs', 'main'), 'utf8').trim();
    const tok = await loadTokenizer(join(snapshots, commit, 'tokenizer.json'));
    const bytesOfShown = (shown: string): number[] => {
      const out: number[] = [];
      for (const part of shown.split(/(\\x[0-9a-f]{2})/)) {
        if (/^\\x[0-9a-f]{2}$/.test(part)) out.push(parseInt(part.slice(2), 16));
        else out.push(...Buffer.from(part, 'utf8'));
      }
      return out;
    };
    let escaped = 0;
    for (const text of ['café', ' naïve', '中文', '😀!', 'Ωmega €5']) {
      const ids = tok.encode(text);
      const shown = ids.map((id) => tok.displayToken(id));
      for (const [k, id] of ids.entries()) {
        if (tok.decodeToken(id).includes('\uFFFD')) {
          expect(shown[k]).toMatch(/\\x[0-9a-f]{2}/);
          escaped++;
        } else expect(shown[k]).toBe(tok.decodeToken(id));
      }
      expect(shown.flatMap(bytesOfShown)).toEqual([...Buffer.from(text, 'utf8')]);
    }
    expect(escaped).toBeGreaterThan(5);
    // Whole tokens keep their text; specials too.
    expect(tok.displayToken(tok.encode(' the')[0])).toBe(tok.decodeToken(tok.encode(' the')[0]));
    expect(tok.displayToken(0)).toBe('<|endoftext|>');
  });

  it('writes bytes as Python bytes.decode("utf-8", "backslashreplace") does', () => {
    const cases: Array<[number[], string]> = [
      [[0x61, 0xe2, 0x82, 0xac], 'a€'],
      [[0xe2, 0x82], '\\xe2\\x82'],
      [[0xe2, 0x41], '\\xe2A'],
      [[0xf0, 0x9f, 0x98, 0x41], '\\xf0\\x9f\\x98A'],
      [[0xc0, 0xaf], '\\xc0\\xaf'], // overlong
      [[0xed, 0xa0, 0x80], '\\xed\\xa0\\x80'], // surrogate
      [[0xff], '\\xff'],
      [[], ''],
    ];
    for (const [bytes, want] of cases) expect(bytesForDisplay(Uint8Array.from(bytes)), JSON.stringify(bytes)).toBe(want);
  });

  it('refuses a missing or malformed file with the path named', async () => {
    await expect(loadTokenizer(join(dir, 'nope.json'))).rejects.toThrow(FormatError);
    await expect(loadTokenizer(join(dir, 'expected.json'))).rejects.toThrow(/tokenizer.json has no model/);
  });

  it('refuses to encode to ids the vocabulary lacks (a BPE with a list vocab and no unk token; fuzz seed 3 case 13593)', async () => {
    // Before the fix, encode returned `undefined` ids, which would reach the model graph as NaN.
    const folder = mkdtempSync(join(tmpdir(), 'atlas-tok-'));
    try {
      const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
      const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
      writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify({
        version: '1.0', truncation: null, padding: null,
        added_tokens: [special(0, '<|endoftext|>'), special(1, '<|padding|>')],
        normalizer: null, pre_tokenizer: byteLevel, post_processor: null, decoder: byteLevel,
        model: { type: 'BPE', dropout: null, unk_token: false, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab: [], merges: ['h e', 'l l'] },
      }));
      const tok = await loadTokenizer(join(folder, 'tokenizer.json'));
      expect(tok.vocabSize).toBe(2);
      expect(() => tok.encode('hello world')).toThrow(FormatError);
      expect(() => tok.encode('hello world')).toThrow(/tokenizer\.json: encoding gave token 0 no id in the vocabulary \(got undefined; 2 ids known\)/);
      // The specials it does know still encode.
      expect(tok.encode('<|endoftext|>')).toEqual([0]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
