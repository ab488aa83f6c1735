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
import { TOKEN_LOSS_CSV_HEADER, tokenLossCommand } from '../../main/export/token-loss-command';

const expected = JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'demo', 'probe-loss.json'), 'utf8')) as {
  batch: number;
  seqLen: number;
  loss: Record<string, Record<string, number>>;
  rounding: number;
};

const lensFixture = JSON.parse(readFileSync(join(projectRoot(), 'test', 'fixtures', 'lens', 'demo-tiny.json'), 'utf8')) as {
  tokens: number[][];
  steps: Record<string, { lens_loss: number[]; lens_top1: number[]; token_loss: number[]; induction: number[][] }>;
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
    const row = grid.values[grid.tensors.findIndex((t) => t.tensor === 'probe')];
    for (const [step, loss] of Object.entries(expected.loss['atlas-demo-tiny'])) {
      const value = row[grid.steps.indexOf(Number(step))]!;
      expect(Math.abs(value - loss)).toBeLessThan(1e-3);
    }
    // Training worked: the probe loss falls by more than 2 nats from init to the end.
    expect(row[0]! - row[row.length - 1]!).toBeGreaterThan(2);
  }, 120_000);

  it('computes the logit lens, per-token losses and induction scores like float64 PyTorch (test/fixtures/lens/demo-tiny.json)', async () => {
    const { runs } = await engine.listRuns({});
    const tiny = runs.find((r) => r.name === 'atlas-demo-tiny')!;
    const [lensLoss, lensTop1, induction] = await Promise.all(['lens_loss', 'lens_top1', 'induction_score'].map((metric) => engine.scalarGrid({ runId: tiny.id, metric })));
    const value = (grid: typeof lensLoss, tensor: string, step: number) => grid.values[grid.tensors.findIndex((t) => t.tensor === tensor)][grid.steps.indexOf(step)]!;
    let worstLens = 0, worstInduction = 0;
    for (const [step, want] of Object.entries(lensFixture.steps)) {
      want.lens_loss.forEach((l, i) => {
        worstLens = Math.max(worstLens, Math.abs(value(lensLoss, `resid.${i}`, Number(step)) - l));
        // float32 logits may reorder a near-tie: at most one prediction of 508 apart.
        expect(Math.abs(value(lensTop1, `resid.${i}`, Number(step)) - want.lens_top1[i]), `step ${step} resid.${i}`).toBeLessThanOrEqual(1 / 508 + 1e-12);
      });
      want.induction.forEach((heads, b) => heads.forEach((v, h) => (worstInduction = Math.max(worstInduction, Math.abs(value(induction, `attn.${b}.head.${h}`, Number(step)) - v)))));
    }
    expect(induction.tensors.map((t) => t.tensor).sort()).toEqual([0, 1, 2].flatMap((b) => [0, 1, 2].map((h) => `attn.${b}.head.${h}`)).sort());
    expect(worstLens).toBeLessThan(1e-4);
    expect(worstInduction).toBeLessThan(1e-6);
    // Per-token loss change from init to the end: every listed delta is PyTorch's for that prediction,
    // and the list holds the largest |delta| of all 508 predictions.
    const change = await engine.tokenLossChange({ runId: tiny.id, from: 0, to: 2600, top: 5 });
    const a = lensFixture.steps['0'].token_loss, b = lensFixture.steps['2600'].token_loss;
    const deltas = a.map((x, k) => b[k] - x);
    const fifth = [...deltas].map(Math.abs).sort((p, q) => q - p)[4];
    expect(change.tokens).toHaveLength(5);
    for (const t of change.tokens) {
      expect(Math.abs(t.delta - deltas[t.sequence * 127 + t.position - 1])).toBeLessThan(1e-3);
      expect(Math.abs(t.delta)).toBeGreaterThanOrEqual(fifth - 1e-3);
      expect(t.token).toBe(lensFixture.tokens[t.sequence][t.position]);
      expect(t.text.length).toBeGreaterThan(0);
    }
    expect(change.sequences).toHaveLength(4);
    for (const s of change.sequences) {
      const want = deltas.slice(s.sequence * 127, (s.sequence + 1) * 127).reduce((x, y) => x + y, 0) / 127;
      expect(Math.abs(s.delta - want)).toBeLessThan(1e-4);
    }
    expect(change.meanFrom! - change.meanTo!).toBeGreaterThan(2);
    await expect(engine.tokenLossChange({ runId: tiny.id, from: 3, to: 2600 })).rejects.toThrow(/no checkpoint at step 3/);
    // The CLI's `token-loss` writes the same lists as CSV.
    const out = join(dir, 'loss-change.csv');
    const cli = await tokenLossCommand({ db: join(dir, 'atlas.sqlite'), run: 'atlas-demo-tiny', from: '0', to: '2600', top: '5', out });
    const text = readFileSync(out, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(cli.rows).toBe(9);
    expect(lines[0]).toBe(TOKEN_LOSS_CSV_HEADER);
    // Rows start with the run id (sequence texts are quoted and may hold newlines).
    const rowStart = (kind: string) => text.split(`\n${tiny.id},0,2600,${kind},`).length - 1;
    expect(rowStart('token')).toBe(5);
    expect(rowStart('sequence')).toBe(4);
    const t0 = change.tokens[0];
    expect(lines[1].startsWith(`${tiny.id},0,2600,token,${t0.sequence},${t0.position},${t0.token},`)).toBe(true);
    expect(text.split(`,${t0.from},${t0.to},${t0.delta}\n`)).toHaveLength(2);
    await expect(tokenLossCommand({ db: join(dir, 'atlas.sqlite'), run: 'atlas-demo-tiny', from: '0', to: '2600', top: '0' })).rejects.toThrow(/--top must be an integer 1\.\.1000/);
    process.stdout.write(`demo lens max |err| ${worstLens}, induction max |err| ${worstInduction}\n`);
  });
});
