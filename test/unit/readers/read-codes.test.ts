// TensorSource.readCodes: the raw codes of every F16/BF16 tensor, decoded by an independent
// bit-level decoder written here, equal the reader's own read(name, 'f64') (made by PyTorch for
// these fixtures), for contiguous safetensors, torch views (transposed, offset) and shards (every
// one of the 65,536 codes); other
// dtypes, bad ranges and files truncated after opening are refused with clear errors.
import { describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../../main/formats';
import { projectRoot } from '../../../main/paths';

import { decodeHalfCode, halfSafetensors, type HalfCodesDType } from './half-codes';

const FIXTURES = join(projectRoot(), 'test', 'fixtures', 'readers');



describe('TensorSource.readCodes', () => {
  it('shards delegate to the shard that holds the tensor', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-codes-'));
    try {
      // Every code once, NaN/Inf/subnormals included, split over two shards and two dtypes.
      const all = Uint16Array.from({ length: 65536 }, (_, i) => (i * 40503) & 0xffff);
      const a = { dtype: 'F16' as const, shape: [256, 128], codes: all.slice(0, 32768) };
      const b = { dtype: 'BF16' as const, shape: [128, 256], codes: all.slice(32768) };
      await writeFile(join(dir, 'model-00001-of-00002.safetensors'), halfSafetensors({ a }));
      await writeFile(join(dir, 'model-00002-of-00002.safetensors'), halfSafetensors({ b }));
      await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }));
      const src = await openCheckpoint(dir);
      try {
        for (const [name, t] of [['a', a], ['b', b]] as const) {
          const codes = await src.readCodes(name, 0, 32768);
          expect(Array.from(codes)).toEqual(Array.from(t.codes));
          const whole = await src.read(name, 'f64');
          expect(Array.from(codes, (c) => decodeHalfCode(c, t.dtype))).toEqual(Array.from(whole));
          expect(Array.from(await src.readCodes(name, 1000, 3000, new Uint16Array(4096)))).toEqual(Array.from(t.codes.subarray(1000, 4000)));
        }
      } finally {
        await src.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const file of ['dtypes.safetensors', 'dtypes.pt', 'views.pt', 'views-zip64.pt']) {
    it(`decodes to read() for every 16-bit float tensor and refuses the rest: ${file}`, async () => {
      const src = await openCheckpoint(join(FIXTURES, file));
      let halves = 0;
      try {
        for (const e of src.list()) {
          const n = e.shape.reduce((a, b) => a * b, 1);
          if (e.dtype !== 'F16' && e.dtype !== 'BF16') {
            await expect(src.readCodes(e.name, 0, n)).rejects.toThrow(new RegExp(`"${e.name}" is ${e.dtype}: raw 16-bit codes are read only from F16 and BF16`));
            continue;
          }
          halves++;
          const whole = await src.read(e.name, 'f64');
          const codes = await src.readCodes(e.name, 0, n);
          expect(codes).toBeInstanceOf(Uint16Array);
          expect(Array.from(codes, (c) => decodeHalfCode(c, e.dtype as HalfCodesDType))).toEqual(Array.from(whole));
          // Ranges, fresh and into a reused array (written at its start, a view of it returned).
          const into = new Uint16Array(n + 5).fill(0xffff);
          for (const [start, count] of [[Math.floor(n / 3), Math.ceil(n / 3)], [n - 1, 1], [n, 0]] as const) {
            expect(Array.from(await src.readCodes(e.name, start, count))).toEqual(Array.from(codes.subarray(start, start + count)));
            const part = await src.readCodes(e.name, start, count, into);
            expect(part.buffer).toBe(into.buffer);
            expect(part.byteOffset).toBe(into.byteOffset);
            expect(Array.from(part)).toEqual(Array.from(codes.subarray(start, start + count)));
          }
          // An unaligned `into` (readExact wants 8-byte alignment) still receives the codes.
          const odd = new Uint16Array(new ArrayBuffer(2 * n + 2), 2, n);
          expect(Array.from(await src.readCodes(e.name, 0, n, odd))).toEqual(Array.from(codes));
          expect(Array.from(odd)).toEqual(Array.from(codes));
          await expect(src.readCodes(e.name, n, 1)).rejects.toThrow(/outside tensor/);
          await expect(src.readCodes(e.name, -1, 1)).rejects.toThrow(/outside tensor/);
        }
        await expect(src.readCodes('no such tensor', 0, 1)).rejects.toThrow(/no tensor named "no such tensor"/);
      } finally {
        await src.close();
      }
      expect(halves).toBeGreaterThan(0);
    });
  }

  for (const file of ['dtypes.safetensors', 'dtypes.pt']) {
    it(`a file truncated after opening is a clear error, not short data: ${file}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'atlas-codes-'));
      try {
        const copy = join(dir, file);
        await copyFile(join(FIXTURES, file), copy);
        const src = await openCheckpoint(copy);
        try {
          const e = src.list().find((t) => t.dtype === 'BF16')!;
          const n = e.shape.reduce((a, b) => a * b, 1);
          const fh = await open(copy, 'r+');
          await fh.truncate(e.byteOffset + 3);
          await fh.close();
          await expect(src.readCodes(e.name, 0, n)).rejects.toThrow(new RegExp(`${file}: file shrank while reading`));
        } finally {
          await src.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
