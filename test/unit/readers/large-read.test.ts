// Tensors above READ_PIECE_BYTES are read and converted piece by piece: the result must equal the
// one-buffer conversion of the same bytes exactly, for every float dtype and both precisions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors, READ_PIECE_BYTES } from '../../../main/formats/safetensors';
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
      } finally {
        await src.close();
      }
    });
  }
});
