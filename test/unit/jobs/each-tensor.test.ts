// eachTensor measures every tensor in its own async call so that the previous tensor is garbage by
// the time the next one is read (a suspended async function keeps its whole register file, so a
// plain loop keeps the last tensor alive while reading the next: two large tensors at once).
import { describe, expect, it } from 'vitest';
import { eachTensor } from '../../../main/jobs/units/common';
import { collectGarbage } from '../../../main/jobs/units/large-tensor';
import type { TensorEntry } from '../../../main/formats/types';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function entries(count: number, elements: number): Array<{ entry: TensorEntry }> {
  return Array.from({ length: count }, (_, i) => ({
    entry: { name: `t${i}`, file: 'memory', dtype: 'F32', shape: [elements], byteOffset: 0, byteLength: elements * 4 },
  }));
}

describe('eachTensor', () => {
  it('visits every tensor once, in order', async () => {
    const seen: string[] = [];
    await eachTensor(entries(5, 4), async ({ entry }) => {
      await tick();
      seen.push(entry.name);
    });
    expect(seen).toEqual(['t0', 't1', 't2', 't3', 't4']);
  });

  it("leaves the previous call's tensor collectable while the next one is measured", async () => {
    const refs: Array<WeakRef<Float32Array>> = [];
    const previousAlive: boolean[] = [];
    await eachTensor(entries(4, 1 << 20), async ({ entry }) => {
      if (refs.length) {
        await tick();
        collectGarbage();
        previousAlive.push(refs[refs.length - 1].deref() !== undefined);
      }
      const x = await new Promise<Float32Array>((resolve) => setImmediate(() => resolve(new Float32Array(entry.shape[0]).fill(1))));
      refs.push(new WeakRef(x));
      await tick();
    });
    expect(previousAlive).toEqual([false, false, false]);
  });

  it('propagates a failing measurement', async () => {
    await expect(
      eachTensor(entries(3, 4), async ({ entry }) => {
        if (entry.name === 't1') throw new Error('bad tensor t1');
      }),
    ).rejects.toThrow('bad tensor t1');
  });
});
