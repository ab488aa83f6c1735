// safetensors reader: exact values against torch for every dtype, the reference implementation's
// header rules on hostile files, and the positioned read of only a tensor's bytes in a sparse
// >= 4 GB file.
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../../main/formats/safetensors';
import { halfToNumber } from '../../../main/formats/dtype-convert';
import { openRandomAccess, type FileOpener } from '../../../main/formats/random-access';
import { FormatError } from '../../../main/formats/types';
import { FIXTURES, expectExactlyEqual, loadExpected, toF32 } from './expected';

describe('safetensors: values equal torch exactly', () => {
  const file = join(FIXTURES, 'dtypes.safetensors');
  const expected = loadExpected(file);

  it('lists every tensor with dtype and shape from the header', async () => {
    const src = await openSafetensors(file);
    const listed = src.list();
    expect(listed.map((e) => e.name).sort()).toEqual(expected.map((e) => e.name).sort());
    for (const e of expected) {
      const entry = listed.find((l) => l.name === e.name)!;
      expect(entry.dtype).toBe(e.dtype);
      expect(entry.shape).toEqual(e.shape);
      expect(entry.file).toBe(file);
    }
    expect(src.metadata).toEqual({ format: 'pt' });
    await src.close();
  });

  for (const precision of ['f64', 'f32'] as const) {
    it(`reads every dtype as ${precision}`, async () => {
      const src = await openSafetensors(file);
      for (const e of expected) {
        const got = await src.read(e.name, precision);
        expect(got).toBeInstanceOf(precision === 'f64' ? Float64Array : Float32Array);
        expectExactlyEqual(got, precision === 'f64' ? e.values : toF32(e.values), `${e.name} (${e.dtype})`);
      }
      await src.close();
    });
  }

  it('decodes IEEE half specials by closed form', () => {
    expect(halfToNumber(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(halfToNumber(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(halfToNumber(0x7bff)).toBe(65504);
    expect(halfToNumber(0x7c00)).toBe(Infinity);
    expect(halfToNumber(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(halfToNumber(0x7e00))).toBe(true);
    expect(Object.is(halfToNumber(0x8000), -0)).toBe(true);
  });

  it('refuses a read of an unknown name and a read after close', async () => {
    const src = await openSafetensors(file);
    await expect(src.read('nope')).rejects.toThrow(/no tensor named "nope"/);
    await src.close();
    await expect(src.read('f32')).rejects.toThrow(FormatError);
  });
});

describe('safetensors: hostile files are refused quickly with the file and the problem named', () => {
  const elapsed: number[] = [];
  afterAll(() => console.log(`safetensors hostile refusals: slowest ${Math.max(...elapsed).toFixed(1)} ms of ${elapsed.length}`));
  const cases: [string, RegExp][] = [
    ['truncated.safetensors', /past the end of the data/],
    ['trailing-bytes.safetensors', /data buffer is \d+ bytes but the tensors cover/],
    ['lying-header-length.safetensors', /header length \d+ runs past the end of the file/],
    ['huge-header-length.safetensors', /exceeds the 100 MB limit/],
    ['tiny.safetensors', /too small for a safetensors header/],
    ['not-json.safetensors', /not valid JSON/],
    ['bad-utf8.safetensors', /not valid UTF-8/],
    ['not-object.safetensors', /header is a JSON array, not an object/],
    ['overlapping.safetensors', /overlap the previous tensor/],
    ['gap.safetensors', /leave a gap/],
    ['out-of-range.safetensors', /past the end of the data/],
    ['size-mismatch.safetensors', /span 16 bytes but shape \[3\] x F32 needs 12/],
    ['overflow.safetensors', /element count of shape .* overflows/],
    ['unknown-dtype.safetensors', /unknown dtype "Q7"/],
    ['f8.safetensors', /dtype F8_E4M3 is not supported/],
    ['negative-shape.safetensors', /shape holds number -1, not a non-negative integer/],
    ['duplicate-names.safetensors', /duplicate tensor name "a"/],
  ];
  for (const [name, problem] of cases) {
    it(name, async () => {
      const file = join(FIXTURES, 'hostile', name);
      const started = performance.now();
      const err = await openSafetensors(file).then(() => null, (e: unknown) => e);
      const elapsedMs = performance.now() - started;
      elapsed.push(elapsedMs);
      expect(err).toBeInstanceOf(FormatError);
      expect((err as FormatError).file).toBe(file);
      expect((err as FormatError).problem).toMatch(problem);
      expect((err as FormatError).message).toContain(file);
      // Not a timing assertion on speed, a sanity bound: a refusal must not hang.
      expect(elapsedMs).toBeLessThan(5000);
    });
  }
});

describe('safetensors: leading whitespace before "{" is accepted, as the reference 0.8.0 accepts it', () => {
  it('reads no-leading-brace.safetensors (a space before "{")', async () => {
    const src = await openSafetensors(join(FIXTURES, 'hostile', 'no-leading-brace.safetensors'));
    expect(src.list().map((e) => [e.name, e.dtype, e.shape])).toEqual([['a', 'F32', [1]]]);
    expect(Array.from(await src.read('a'))).toEqual([0]);
    await src.close();
  });
});

describe('safetensors: a tensor at the end of a sparse >= 4 GB file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-sparse-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads exactly that tensor bytes and nothing in between', async () => {
    const file = join(dir, 'big.safetensors');
    const bigBytes = 4 * 1024 ** 3 + 8; // > 4 GiB of zeros (a hole), then a tiny tensor
    const header = {
      big: { dtype: 'U8', shape: [bigBytes], data_offsets: [0, bigBytes] },
      tail: { dtype: 'F32', shape: [3], data_offsets: [bigBytes, bigBytes + 12] },
    };
    let text = JSON.stringify(header);
    text += ' '.repeat((8 - (text.length % 8)) % 8);
    const fh = await open(file, 'w');
    const lengthField = Buffer.alloc(8);
    lengthField.writeBigUInt64LE(BigInt(text.length));
    await fh.write(lengthField, 0, 8, 0);
    await fh.write(Buffer.from(text), 0, text.length, 8);
    const tailPosition = 8 + text.length + bigBytes;
    await fh.write(Buffer.from(new Float32Array([1.5, -2, 1e-30]).buffer), 0, 12, tailPosition);
    await fh.truncate(tailPosition + 12);
    await fh.close();

    const reads: { position: number; length: number }[] = [];
    const countingOpener: FileOpener = async (p) => {
      const inner = await openRandomAccess(p);
      return {
        path: inner.path, size: inner.size, close: () => inner.close(),
        readExact(position, length) {
          reads.push({ position, length });
          return inner.readExact(position, length);
        },
      };
    };
    const src = await openSafetensors(file, { opener: countingOpener });
    expect(src.list().map((e) => e.name)).toEqual(['big', 'tail']);
    const headerBytes = reads.reduce((s, r) => s + r.length, 0);
    expect(headerBytes).toBe(8 + text.length);
    reads.length = 0;
    const tail = await src.read('tail', 'f64');
    expect(Array.from(tail)).toEqual([1.5, -2, Math.fround(1e-30)]);
    expect(reads).toEqual([{ position: tailPosition, length: 12 }]);
    await src.close();
  });
});
