// The fits unit reuses the moments the weights unit computed for the same checkpoint's tensors
// (main/jobs/units/kept-moments.ts), and its results are the same as when it computes them itself.
// Float32 and float64 tensors only: float16/bfloat16 ones are streamed as codes by both units
// (test/unit/jobs/half-units.test.ts), so the demo checkpoint is read here as a float32 copy.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../main/formats';
import { writeSafetensors, type OutTensor } from '../../../main/formats/safetensors-write';
import type { CheckpointInfo } from '../../../common/domain';
import { weightsUnit } from '../../../main/jobs/units/weights';
import { fitsUnit } from '../../../main/jobs/units/fits';
import { keepMoments, keptCount, takeMoments } from '../../../main/jobs/units/kept-moments';
import { moments } from '../../../main/metrics/moments';
import type { UnitTask } from '../../../main/jobs/units/types';

const snapshots = join(__dirname, '../../../resources/demo/hub/models--atlas--atlas-demo-tiny/snapshots');
const demo = join(snapshots, readdirSync(snapshots).sort()[0]);
const folder = mkdtempSync(join(tmpdir(), 'atlas-kept-'));

beforeAll(async () => {
  const src = await openCheckpoint(demo);
  const tensors: Record<string, OutTensor> = {};
  try {
    for (const e of src.list()) tensors[e.name] = { dtype: 'F32', shape: e.shape, data: (await src.read(e.name, 'f32')) as Float32Array };
  } finally {
    await src.close();
  }
  writeSafetensors(join(folder, 'model.safetensors'), tensors);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function task(unit: 'weights' | 'fits', fingerprint: string): UnitTask {
  const checkpoint: CheckpointInfo = {
    id: 'step0', label: 'step 0', step: 0, folder, weightFiles: [], format: 'safetensors', dtype: 'F32', fingerprint, missing: false, warnings: [],
  } as unknown as CheckpointInfo;
  return {
    unit,
    run: { id: 'demo', family: 'gpt_neox', config: null, tokenizerPath: null },
    checkpoint, init: checkpoint, prev: null, final: checkpoint, provider: 'cpu', intraOpThreads: 1,
  };
}

describe('moments kept from the weights unit for the fits unit', () => {
  it('are taken once by the fits unit of the same checkpoint, with the same results as computing them', async () => {
    const before = keptCount();
    const own = await fitsUnit(task('fits', 'fp-own'), () => {});
    expect(keptCount()).toBe(before);
    const w = await weightsUnit(task('weights', 'fp-shared'), () => {});
    const tensors = w.tensors!.length;
    expect(tensors).toBeGreaterThan(10);
    expect(keptCount()).toBe(before + tensors);
    const shared = await fitsUnit(task('fits', 'fp-shared'), () => {});
    expect(keptCount()).toBe(before);
    expect(shared).toEqual(own);
    expect(own.arrays.length).toBeGreaterThan(10);
  });

  it('are keyed by checkpoint fingerprint, tensor and precision', () => {
    const a = { folder: '/x', fingerprint: 'f1' };
    const x = Float32Array.from([1, 2, 3, 4.5]);
    const kept = keepMoments(a, 't', x);
    expect(kept).toEqual(moments(x));
    const y = Float32Array.from([9, 9, 1, 0]);
    // Another fingerprint (the file changed), another tensor, another precision: computed afresh.
    expect(takeMoments({ folder: '/x', fingerprint: 'f2' }, 't', y)).toEqual(moments(y));
    expect(takeMoments(a, 'u', y)).toEqual(moments(y));
    expect(takeMoments(a, 't', Float64Array.from(y))).toEqual(moments(Float64Array.from(y)));
    expect(takeMoments(a, 't', x)).toBe(kept);
    expect(takeMoments(a, 't', y)).toEqual(moments(y));
  });
});
