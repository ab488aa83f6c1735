// Integrity checks: missing steps in Pythia-like and evenly spaced schedules, identical weights,
// one shard identical across steps (pythia-12b #206), full-hash mode, and the scan of a
// 154-revision hub cache (its duration is printed, not asserted).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectMissingSteps } from '../../../main/layouts/integrity';
import { scanPaths } from '../../../main/layouts/scan';
import { makeBigHub, makeHubModel, pythiaSteps, safetensorsBytes, tinyF32 } from './make-big-hub';

const tmp = mkdtempSync(join(tmpdir(), 'atlas-integrity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('missing steps', () => {
  it('names the gaps of a Pythia-like schedule (log-spaced, then every 1000)', () => {
    const steps = pythiaSteps().filter((s) => ![64, 3000, 77000, 142000].includes(s));
    const result = detectMissingSteps(steps);
    expect(result.missing).toEqual([64, 3000, 77000, 142000]);
    expect(result.schedule).toBe('powers of two from 1, then every 1000 from 1000 to 143000');
    expect(detectMissingSteps(pythiaSteps()).missing).toEqual([]);
  });
  it('evenly spaced trainer checkpoints', () => {
    expect(detectMissingSteps([0, 500, 1000, 2000, 2500, 3000]).missing).toEqual([1500]);
    expect(detectMissingSteps([50, 150, 250, 450, 550]).missing).toEqual([350]);
    expect(detectMissingSteps([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40]).missing).toEqual([]);
  });
  it('issue 15 #11: a last step off the even grid does not make "every 400 from 2600 to 2600"', () => {
    const result = detectMissingSteps([0, 1, 2, 4, 8, 16, 32, 64, 400, 800, 1200, 1600, 2600]);
    expect(result.schedule).toBe('powers of two from 1, then every 400 from 400 to 1600');
    expect(result.missing).toEqual([128, 256]);
  });
  it('finds nothing in irregular or short series', () => {
    expect(detectMissingSteps([0, 1, 2, 4, 8]).missing).toEqual([]);
    expect(detectMissingSteps([3, 17, 40, 41, 1000]).missing).toEqual([]);
    expect(detectMissingSteps([10, 20]).missing).toEqual([]);
  });
});

describe('identical shards and full hashes', () => {
  it('flags one shard equal to the same shard of another step (pythia-12b #206)', async () => {
    const root = join(tmp, 'sharded-hub');
    const shard = (seed: number): Uint8Array => safetensorsBytes({ [`w${seed % 2}`]: tinyF32(seed) });
    const index = (): Uint8Array => new TextEncoder().encode(JSON.stringify({ weight_map: { w0: 'model-00001-of-00002.safetensors', w1: 'model-00002-of-00002.safetensors' } }));
    const rev = (name: string, a: number, b: number) => ({
      revision: name,
      files: { 'model.safetensors.index.json': index(), 'model-00001-of-00002.safetensors': shard(a), 'model-00002-of-00002.safetensors': shard(b) },
    });
    // step50000's first shard is the final model's (step143000) first shard.
    makeHubModel(root, 'EleutherAI/pythia-sharded', [rev('step1000', 10, 11), rev('step50000', 1430, 501), rev('step143000', 1430, 1431)], 'step143000');
    const run = (await scanPaths([root])).runs[0];
    const shardWarning = run.warnings.find((w) => w.kind === 'identical-shard')!;
    expect(shardWarning.message).toMatch(/shard model-00001-of-00002\.safetensors is identical in step50000, step143000 \(= main\)/);
    expect(shardWarning.checkpoints).toEqual(['step50000', 'step143000']);
    expect(run.warnings.some((w) => w.kind === 'identical-weights')).toBe(false);
    expect(run.checkpoints[1].weightFiles.length).toBe(2);

    const full = (await scanPaths([root], { fullHash: true })).runs[0];
    expect(full.checkpoints.every((c) => c.fingerprint.startsWith('sha256:'))).toBe(true);
    expect(full.warnings.find((w) => w.kind === 'identical-shard')!.message).toMatch(/\(sha256\)/);
  });
});

describe('hub revisions sharing one commit', () => {
  it('are aliases of one checkpoint, and different steps on one commit are flagged', async () => {
    const root = join(tmp, 'alias-hub');
    const model = makeHubModel(root, 'EleutherAI/pythia-alias', [
      { revision: 'step1000', files: { 'model.safetensors': safetensorsBytes({ w: tinyF32(1) }) } },
      { revision: 'step2000', files: { 'model.safetensors': safetensorsBytes({ w: tinyF32(2) }) } },
    ], 'step2000');
    // step3000 serves the same commit as step2000 (pythia-2.8b #205: branches serving final weights).
    writeFileSync(join(model, 'refs', 'step3000'), readFileSync(join(model, 'refs', 'step2000')));
    const run = (await scanPaths([root])).runs[0];
    expect(run.checkpoints.map((c) => c.label)).toEqual(['step1000', 'step2000 (= main, step3000)']);
    expect(run.warnings.find((w) => w.kind === 'identical-weights')!.message).toMatch(/revisions step2000, step3000 point at the same commit/);
  });
});

describe('154 Pythia revisions', () => {
  it('scans every revision with main as an alias, flags step0 == step1 and removed steps', async () => {
    const root = join(tmp, 'hub154');
    makeBigHub(root);
    const started = performance.now();
    const result = await scanPaths([root]);
    const elapsed = performance.now() - started;
    console.log(`scan of 154 hub revisions: ${elapsed.toFixed(0)} ms`);
    expect(result.errors).toEqual([]);
    const run = result.runs[0];
    expect(run.checkpoints.length).toBe(154);
    expect(run.checkpoints.map((c) => c.step)).toEqual(pythiaSteps());
    expect(run.checkpoints[153].label).toBe('step143000 (= main)');
    expect(run.warnings.filter((w) => w.kind === 'identical-weights').map((w) => w.checkpoints)).toEqual([['step0', 'step1']]);
    expect(run.warnings.some((w) => w.kind === 'missing-steps')).toBe(false);

    const gappy = join(tmp, 'hub-gaps');
    makeBigHub(gappy, { omit: [128, 5000, 6000] });
    const gapRun = (await scanPaths([gappy])).runs[0];
    expect(gapRun.checkpoints.length).toBe(151);
    expect(gapRun.warnings.find((w) => w.kind === 'missing-steps')!.message).toMatch(/: 128, 5000, 6000$/);
  });
});
