// readRange(name, start, count) returns exactly read(name).subarray(start, start + count), for
// contiguous safetensors tensors (one positioned read) and for torch views (offsets, strides).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openCheckpoint } from '../../../main/formats';
import { projectRoot } from '../../../main/paths';

const FIXTURES = join(projectRoot(), 'test', 'fixtures', 'readers');

describe('TensorSource.readRange', () => {
  for (const file of ['dtypes.safetensors', 'views.pt', 'dtypes.pt', 'sharded-safetensors']) {
    it(`equals a slice of the whole tensor: ${file}`, async () => {
      const src = await openCheckpoint(join(FIXTURES, file));
      try {
        for (const e of src.list()) {
          const whole = await src.read(e.name, 'f64');
          const n = whole.length;
          for (const [start, count] of [[0, n], [0, Math.min(1, n)], [Math.floor(n / 3), Math.ceil(n / 3)], [n, 0]] as const) {
            const part = await src.readRange(e.name, start, count, 'f64');
            expect(Array.from(part)).toEqual(Array.from(whole.subarray(start, start + count)));
          }
          // Into a reused array (the streaming path): same values, written to its start.
          const into = new Float64Array(n + 3).fill(-7);
          for (const [start, count] of [[Math.floor(n / 3), Math.ceil(n / 3)], [0, n]] as const) {
            const part = await src.readRange(e.name, start, count, 'f64', into);
            expect(part.buffer).toBe(into.buffer);
            expect(Array.from(part)).toEqual(Array.from(whole.subarray(start, start + count)));
          }
          // An array of the wrong precision is not used: the values are still right.
          const wrong = new Float32Array(n);
          const part = await src.readRange(e.name, 0, n, 'f64', wrong);
          expect(part).toBeInstanceOf(Float64Array);
          expect(Array.from(part)).toEqual(Array.from(whole));
          await expect(src.readRange(e.name, n, 1)).rejects.toThrow(/outside tensor/);
        }
      } finally {
        await src.close();
      }
    });
  }
});
