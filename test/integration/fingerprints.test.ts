// Checkpoint fingerprints (main/layouts/integrity.ts) cover every tensor: a run in which one
// tensor changes per checkpoint (a frozen-layer fine-tune) gets distinct fingerprints and no
// "identical weights" warning (safetensors, and a torch.save zip: fails without the per-tensor
// blocks); identical weights are said only once a full sha256 confirms them;
// and a checkpoint overwritten in place loses its cached units at the rescan and is computed again.
// (The changed tensors lie between the blocks the former whole-file sampler read, so each of these
// tests failed with it.)
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanPaths } from '../../main/layouts/scan';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { safetensorsBytes, type TinyTensor } from '../unit/readers/make-big-hub';
import { FIXTURES } from '../unit/readers/expected';
import { fingerprintWeightFile } from '../../main/layouts/integrity';
import { openRandomAccess } from '../../main/formats/random-access';
import { readTorchZipIndex } from '../../main/formats/torch-zip';

const dir = mkdtempSync(join(tmpdir(), 'atlas-fingerprints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TENSORS = 31;
const NUMEL = 2048; // 8 KB of float32 per tensor
/** The tensor that checkpoint k (k >= 1) changes, relative to checkpoint k - 1. */
const CHANGED = [-1, 3, 6, 9, 13, 16, 23, 27];

function values(t: number, version: number): Float32Array {
  return Float32Array.from({ length: NUMEL }, (_, i) => Math.sin(t * 7.1 + i * 0.37 + version * 1.3) * 0.02);
}

function checkpointFile(k: number): Record<string, { values: Float32Array }> {
  const out: Record<string, { values: Float32Array }> = {};
  for (let t = 0; t < TENSORS; t++) {
    // Tensor t is at its version = how many checkpoints up to k changed it.
    const version = CHANGED.slice(1, k + 1).filter((c) => c === t).length;
    out[`layers.${t}.w`] = { values: values(t, version) };
  }
  return out;
}

function write(folder: string, tensors: Record<string, { values: Float32Array }>): void {
  mkdirSync(folder, { recursive: true });
  const file: Record<string, TinyTensor> = {};
  for (const [name, t] of Object.entries(tensors)) file[name] = { dtype: 'F32', shape: [NUMEL], data: new Uint8Array(t.values.buffer.slice(0)) };
  writeFileSync(join(folder, 'model.safetensors'), safetensorsBytes(file));
}

function makeRun(root: string): void {
  for (let k = 0; k < CHANGED.length; k++) write(join(root, `step_${k * 100}`), checkpointFile(k));
}

describe('fingerprints per tensor', () => {
  it('one tensor changing per checkpoint: distinct fingerprints, no identical-weights warning', async () => {
    const root = join(dir, 'one-tensor');
    makeRun(root);
    const run = (await scanPaths([root])).runs[0];
    expect(run.checkpoints.length).toBe(8);
    expect(new Set(run.checkpoints.map((c) => c.fingerprint)).size).toBe(8);
    expect(run.warnings.filter((w) => w.kind === 'identical-weights')).toEqual([]);
  });

  it('torch zip (pytorch_model.bin, made by torch.save): one tensor changing per checkpoint gives distinct fingerprints, no identical-weights warning', async () => {
    // The real file from tools/ (Pythia's old layout, buffers included); step k flips one byte in
    // the middle of tensor k's bytes, so each checkpoint differs from the previous one in one tensor.
    const original = readFileSync(join(FIXTURES, 'pythia-old', 'pytorch_model.bin'));
    const file = await openRandomAccess(join(FIXTURES, 'pythia-old', 'pytorch_model.bin'));
    const { entries } = await readTorchZipIndex(file).finally(() => file.close());
    const tensors = entries.filter((e) => e.byteLength > 0);
    expect(tensors.length).toBeGreaterThan(4);
    const root = join(dir, 'torch-zip');
    const bytes = Buffer.from(original);
    const paths: string[] = [];
    for (let k = 0; k <= tensors.length; k++) {
      if (k > 0) {
        const e = tensors[k - 1];
        const at = e.byteOffset + Math.floor(e.byteLength / 2);
        bytes[at] = bytes[at] ^ 0x01;
      }
      const folder = join(root, `step_${k * 100}`);
      mkdirSync(folder, { recursive: true });
      copyFileSync(join(FIXTURES, 'pythia-old', 'config.json'), join(folder, 'config.json'));
      writeFileSync(join(folder, 'pytorch_model.bin'), bytes);
      paths.push(join(folder, 'pytorch_model.bin'));
    }
    const perFile = await Promise.all(paths.map((p) => fingerprintWeightFile(p)));
    expect(new Set(perFile.map((f) => f.fingerprint)).size).toBe(tensors.length + 1);
    const run = (await scanPaths([root])).runs[0];
    expect(run.checkpoints.length).toBe(tensors.length + 1);
    expect(new Set(run.checkpoints.map((c) => c.fingerprint)).size).toBe(tensors.length + 1);
    expect(run.warnings.filter((w) => w.kind === 'identical-weights')).toEqual([]);
  });

  it('identical weights are confirmed by a full hash; sampled fingerprints that agree on different bytes are not', async () => {
    const root = join(dir, 'confirm');
    makeRun(root);
    // step_800: a true copy of step_700. step_900: step_700 with bytes changed inside tensor 3,
    // away from the blocks sampled from it (start, middle, end).
    mkdirSync(join(root, 'step_800'));
    copyFileSync(join(root, 'step_700', 'model.safetensors'), join(root, 'step_800', 'model.safetensors'));
    const bytes = readFileSync(join(root, 'step_700', 'model.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const at = 8 + headerLength + 3 * NUMEL * 4 + 1000;
    bytes[at] = bytes[at] ^ 0xff;
    mkdirSync(join(root, 'step_900'));
    writeFileSync(join(root, 'step_900', 'model.safetensors'), bytes);

    const run = (await scanPaths([root])).runs[0];
    const identical = run.warnings.filter((w) => w.kind === 'identical-weights');
    expect(identical.map((w) => w.checkpoints)).toEqual([['step_700', 'step_800']]);
    expect(identical[0].message).toMatch(/step_700, step_800 hold identical weights \(sha256/);
    const fp = new Map(run.checkpoints.map((c) => [c.id, c.fingerprint]));
    expect(fp.get('step_700')).toBe(fp.get('step_800'));
    expect(fp.get('step_900')).not.toBe(fp.get('step_800'));
    expect(fp.get('step_900')!.startsWith('sha256:')).toBe(true);
  });

  it('a checkpoint overwritten in place: its cached units are dropped at the rescan and computed again', async () => {
    const root = join(dir, 'overwrite');
    makeRun(root);
    const store = new Store(join(dir, 'cache.sqlite'));
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0, watchRuns: false });
    try {
      const runId = (await engine.openPaths({ paths: [root] })).runs[0].id;
      const first = await engine.jobs.wait((await engine.startAnalysis({ runId, analyses: ['weights'] })).jobId);
      expect(first.state).toBe('done');
      expect(first.skipped).toBe(0);
      const norm = async (step: number): Promise<number | null> => {
        const grid = await engine.scalarGrid({ runId, metric: 'frobenius_norm' });
        const row = grid.tensors.findIndex((t) => t.tensor === 'layers.13.w');
        return grid.values[row][grid.steps.indexOf(step)]!;
      };
      const naiveNorm = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
      expect(await norm(300)).toBeCloseTo(naiveNorm(values(13, 0)), 12);

      // The training script saves step 300 again, over the same file: tensor 13 is new.
      const rewritten = checkpointFile(3);
      rewritten['layers.13.w'] = { values: values(13, 5) };
      write(join(root, 'step_300'), rewritten);

      // The rescan drops step 300's stale units (no view shows the old numbers)...
      await engine.openPaths({ paths: [root] });
      expect(await norm(300)).toBeNull();
      expect(await norm(200)).toBeCloseTo(naiveNorm(values(13, 0)), 12);
      // ...and the next analysis computes them again (and step 400's distances to the previous
      // checkpoint, whose context changed); the other checkpoints come from the cache.
      const second = await engine.jobs.wait((await engine.startAnalysis({ runId, analyses: ['weights'] })).jobId);
      expect(second.state).toBe('done');
      expect(await norm(300)).toBeCloseTo(naiveNorm(values(13, 5)), 12);
      const weightsUnits = second.total / 2;
      expect(second.skipped).toBeGreaterThanOrEqual(weightsUnits - 2);
      const dist = await engine.scalarGrid({ runId, metric: 'dist_to_prev' });
      const row = dist.tensors.findIndex((t) => t.tensor === 'layers.13.w');
      const diff = values(13, 5).map((v, i) => v - values(13, 1)[i]);
      // Step 400 changed tensor 13 to version 1; its previous checkpoint is now the rewritten step 300.
      expect(dist.values[row][dist.steps.indexOf(400)]).toBeCloseTo(naiveNorm(Float32Array.from(diff)), 6);
    } finally {
      await engine.close();
      store.close();
    }
  });
});
