// Tensors above READ_PIECE_BYTES are read and converted piece by piece through one reused buffer:
// the result must equal the one-buffer conversion of the same bytes exactly, for every float dtype
// and both precisions, in safetensors files and in contiguous torch-zip entries; and a float64
// read of a 16-bit float tensor must equal its float32 read widened (two independent paths).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors, READ_PIECE_BYTES } from '../../../main/formats/safetensors';
import { readTorchEntry } from '../../../main/formats/torch-zip';
import { openRandomAccess } from '../../../main/formats/random-access';
import { decodeElements } from '../../../main/formats/dtype-convert';
import { safetensorsBytes } from './make-big-hub';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-large-read-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('piecewise reads of large tensors', () => {
  for (const [dtype, itemsize] of [['F16', 2], ['BF16', 2], ['F32', 4]] as const) {
    it(`${dtype}: equals the one-buffer conversion`, async () => {
      const numel = Math.ceil((2.5 * READ_PIECE_BYTES) / itemsize) + 3; // not a multiple of a piece
      const data = new Uint8Array(numel * itemsize);
      let s = 12345;
      for (let i = 0; i < data.length; i++) {
        s = (s * 1103515245 + 12345) >>> 0;
        data[i] = s >>> 24;
      }
      const file = join(dir, `${dtype}.safetensors`);
      writeFileSync(file, safetensorsBytes({ w: { dtype: dtype as 'F32', shape: [numel], data } }));
      const src = await openSafetensors(file);
      try {
        for (const precision of ['f32', 'f64'] as const) {
          const got = await src.read('w', precision);
          const bytes = new Uint8Array(readFileSync(file)).subarray(-data.length);
          const want = decodeElements(bytes, dtype, numel, precision);
          expect(got.length).toBe(numel);
          expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
        }
        if (dtype !== 'F32') {
          // Every half and bfloat16 is exact in float32: the f64 read is the f32 read widened.
          const f32 = await src.read('w', 'f32');
          const f64 = await src.read('w', 'f64');
          let mismatches = 0;
          for (let i = 0; i < numel; i++) if (!Object.is(f64[i], f32[i]) && !(Number.isNaN(f64[i]) && Number.isNaN(f32[i]))) mismatches++;
          expect(mismatches).toBe(0);
        }
      } finally {
        await src.close();
      }
    });
  }

  it('a contiguous torch-zip entry at an offset takes the piecewise path with the same result', async () => {
    const numel = Math.ceil((1.5 * READ_PIECE_BYTES) / 2) + 5;
    const lead = 64;
    const data = new Uint8Array(lead + numel * 2);
    let s = 777;
    for (let i = 0; i < data.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      data[i] = s >>> 24;
    }
    const file = join(dir, 'torch-entry.bin');
    writeFileSync(file, data);
    const raw = await openRandomAccess(file);
    try {
      const entry = { name: 'w', file, dtype: 'F16' as const, shape: [numel], byteOffset: lead, byteLength: numel * 2 };
      const got = await readTorchEntry(raw, entry, 'f32');
      const want = decodeElements(data.subarray(lead), 'F16', numel, 'f32');
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    } finally {
      await raw.close();
    }
  });
});
