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
          await expect(src.readRange(e.name, n, 1)).rejects.toThrow(/outside tensor/);
        }
      } finally {
        await src.close();
      }
    });
  }
});
