// The bundled demo run as a user meets it: both models are found with their 32 checkpoints, and
// the ONNX forward pass on the default probe reproduces PyTorch's float64 losses on the stored
// float16 weights (test/fixtures/demo/probe-loss.json).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine, defaultDemoRoot } from '../../main/api/engine';
import { projectRoot } from '../../main/paths';

const expected = JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'demo', 'probe-loss.json'), 'utf8')) as {
  batch: number;
  seqLen: number;
  loss: Record<string, Record<string, number>>;
  rounding: number;
};

let dir: string;
let store: Store;
let engine: Engine;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-demo-'));
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', scanHubCache: false, defaultThreads: 0 });
});
afterAll(async () => {
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bundled demo', () => {
  it('lists both demo models with 32 checkpoints each, from step 0', async () => {
    expect(defaultDemoRoot()).toMatch(/resources\/demo\/hub$/);
    const { runs } = await engine.listRuns({});
    const demo = runs.filter((r) => r.source === 'demo').map((r) => [r.name, r.checkpointCount, r.firstStep, r.family]);
    expect(demo.sort()).toEqual([
      ['atlas-demo-small', 32, 0, 'gpt_neox'],
      ['atlas-demo-tiny', 32, 0, 'gpt_neox'],
    ]);
  });

  it('reproduces the float64 PyTorch probe loss of the tiny model (abs 1e-3)', async () => {
    const { runs } = await engine.listRuns({});
    const tiny = runs.find((r) => r.name === 'atlas-demo-tiny')!;
    const { jobId } = await engine.startAnalysis({ runId: tiny.id, analyses: ['activations'], probe: { batch: expected.batch, seqLen: expected.seqLen } });
    const job = await engine.jobs.wait(jobId);
    expect(job.failed).toBe(0);
    const grid = await engine.scalarGrid({ runId: tiny.id, metric: 'loss' });
    const row = grid.values[grid.tensors.findIndex((t) => t.tensor === 'probe')]!;
    for (const [step, loss] of Object.entries(expected.loss['atlas-demo-tiny']!)) {
      const value = row[grid.steps.indexOf(Number(step))]!;
      expect(Math.abs(value - loss)).toBeLessThan(1e-3);
    }
    // Training worked: the probe loss falls by more than 2 nats from init to the end.
    expect(row[0]! - row[row.length - 1]!).toBeGreaterThan(2);
  }, 120_000);
});
