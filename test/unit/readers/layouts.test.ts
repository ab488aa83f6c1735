// Layout discovery and scanning on the torch-made fixture layouts: hub cache (refs, snapshot
// symlinks, a `main` alias, a revision without weights, training_log.json), HF Trainer output,
// step folders, single checkpoints; symlink loops / escapes and broken checkpoints do not stop a scan.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findHubCacheRoot, listHubModels } from '../../../main/layouts/hf-cache';
import { formatScanText, scanPaths } from '../../../main/layouts/scan';
import { stepOfFolderName } from '../../../main/layouts/names';
import { FIXTURES } from './expected';

const LAYOUTS = join(FIXTURES, 'layouts');
const tmp = mkdtempSync(join(tmpdir(), 'atlas-layouts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hub cache', () => {
  it('finds the cache root by huggingface_hub precedence', () => {
    const home = '/home/u';
    expect(findHubCacheRoot({ HF_HUB_CACHE: '/a', HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' }, home)).toBe('/a');
    expect(findHubCacheRoot({ HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' }, home)).toBe('/b');
    expect(findHubCacheRoot({ HF_HOME: '/c', XDG_CACHE_HOME: '/x' }, home)).toBe('/c/hub');
    expect(findHubCacheRoot({ XDG_CACHE_HOME: '/x' }, home)).toBe('/x/huggingface/hub');
    expect(findHubCacheRoot({}, home)).toBe('/home/u/.cache/huggingface/hub');
    expect(findHubCacheRoot({ HF_HOME: '~/hf' }, home)).toBe('/home/u/hf/hub');
  });

  it('lists models in a root', async () => {
    expect(await listHubModels(join(LAYOUTS, 'hub'))).toEqual([
      { repoId: 'EleutherAI/pythia-tiny', name: 'pythia-tiny', folder: join(LAYOUTS, 'hub', 'models--EleutherAI--pythia-tiny') },
    ]);
    expect(await listHubModels(join(tmp, 'nowhere'))).toEqual([]);
  });

  it('revisions become checkpoints; main is an alias; a revision without weights is missing', async () => {
    const result = await scanPaths([join(LAYOUTS, 'hub')]);
    expect(result.errors).toEqual([]);
    expect(result.runs.length).toBe(1);
    const run = result.runs[0];
    expect(run.name).toBe('pythia-tiny');
    expect(run.layout).toBe('hf-cache');
    expect(run.family).toBe('gpt_neox');
    expect(run.checkpoints.map((c) => c.step)).toEqual([0, 1, 2, 4, 8]);
    expect(run.checkpoints.map((c) => c.label)).toEqual(['step0', 'step1', 'step2', 'step4', 'step8 (= main)']);
    expect(run.checkpoints.find((c) => c.step === 4)!.missing).toBe(true);
    expect(run.checkpoints.filter((c) => c.missing).length).toBe(1);
    const step8 = run.checkpoints.find((c) => c.step === 8)!;
    expect(step8.format).toBe('safetensors');
    expect(step8.dtype).toBe('F16');
    expect(step8.weightFiles).toEqual([join(step8.folder, 'model.safetensors')]);
    // step0 and step1 hold identical weights (Pythia issue #83 reproduced in the fixture).
    const identical = run.warnings.find((w) => w.kind === 'identical-weights')!;
    expect(identical.checkpoints.sort()).toEqual(['step0', 'step1']);
    expect(run.checkpoints[0].warnings.join()).toMatch(/identical weights/);
    expect(run.warnings.some((w) => w.kind === 'missing-weights')).toBe(true);
    expect(run.trainingLog.map((e) => e.step)).toEqual([0, 1, 2, 4, 8]);
    expect(run.trainingLog[0]).toMatchObject({ step: 0, loss: 10, learning_rate: 1e-3 });
    expect(run.id).toMatch(/^[0-9a-f]{16}$/);
    const again = await scanPaths([join(LAYOUTS, 'hub', 'models--EleutherAI--pythia-tiny')]);
    expect(again.runs[0].id).toBe(run.id); // stable: same root and name
    expect(again.runs[0].checkpoints.map((c) => c.fingerprint)).toEqual(run.checkpoints.map((c) => c.fingerprint));
  });

  it('a snapshot whose blob never arrived is missing, not broken', async () => {
    const copy = join(tmp, 'hub-partial');
    cpSync(join(LAYOUTS, 'hub'), copy, { recursive: true, verbatimSymlinks: true });
    const model = join(copy, 'models--EleutherAI--pythia-tiny');
    const snapshot = join(model, 'snapshots', '3333333333333333333333333333333333333333');
    rmSync(join(snapshot, 'model.safetensors'));
    symlinkSync(join('..', '..', 'blobs', 'f'.repeat(64) + '.incomplete'), join(snapshot, 'model.safetensors'));
    const run = (await scanPaths([copy])).runs[0];
    const step2 = run.checkpoints.find((c) => c.step === 2)!;
    expect(step2.missing).toBe(true);
    expect(step2.warnings.join()).toMatch(/absent \(dangling link: partial download\?\)/);
    expect(run.warnings.some((w) => w.kind === 'unreadable')).toBe(false);
  });

  it('a snapshot folder opened directly may follow its links into the model blobs', async () => {
    const snapshot = join(LAYOUTS, 'hub', 'models--EleutherAI--pythia-tiny', 'snapshots', '5555555555555555555555555555555555555555');
    const result = await scanPaths([snapshot]);
    expect(result.errors).toEqual([]);
    expect(result.runs[0].layout).toBe('single');
    expect(result.runs[0].checkpoints[0].warnings).toEqual([]);
    expect(result.runs[0].checkpoints[0].format).toBe('safetensors');
  });
});

describe('trainer output, step folders, single checkpoints', () => {
  it('trainer: checkpoint-N folders, final model in the parent, log_history', async () => {
    const result = await scanPaths([join(LAYOUTS, 'trainer')]);
    expect(result.errors).toEqual([]);
    const run = result.runs[0];
    expect(run).toMatchObject({ name: 'my-run', layout: 'trainer', family: 'gpt_neox' });
    expect(run.checkpoints.map((c) => [c.id, c.step])).toEqual([['checkpoint-10', 10], ['checkpoint-20', 20], ['checkpoint-30', 30], ['final', 30]]);
    expect(run.trainingLog.filter((e) => e.loss !== undefined).map((e) => e.step)).toEqual([5, 10, 15, 20, 25, 30]);
    expect(run.trainingLog.find((e) => e.step === 20 && e.loss !== undefined)).toMatchObject({ loss: 2.9 - 1, learning_rate: 1e-4, grad_norm: 1.25 });
  });

  it('step folders in several naming schemes', async () => {
    expect(['step_100', 'step100', 'global_step100', 'iter_0000100', 'ckpt-100', '100'].map(stepOfFolderName)).toEqual([100, 100, 100, 100, 100, 100]);
    expect(stepOfFolderName('checkpoint-100')).toBeNull();
    expect(stepOfFolderName('stepwise')).toBeNull();
    const a = (await scanPaths([join(LAYOUTS, 'steps-a')])).runs[0];
    expect(a).toMatchObject({ layout: 'step-folders', name: 'steps-a', family: 'gpt_neox' });
    expect(a.checkpoints.map((c) => [c.label, c.step, c.format])).toEqual([
      ['global_step100', 100, 'torch-zip'], ['global_step200', 200, 'torch-zip'], ['global_step300', 300, 'torch-zip'],
    ]);
    const b = (await scanPaths([join(LAYOUTS, 'steps-b')])).runs[0];
    expect(b.checkpoints.map((c) => c.step)).toEqual([500, 1000, 1500, 2000, 2500]);
    expect(b.family).toBe('unknown');
  });

  it('single folder and single file', async () => {
    const r = await scanPaths([join(FIXTURES, 'llama-gqa'), join(LAYOUTS, 'single', 'weights.safetensors')]);
    expect(r.errors).toEqual([]);
    expect(r.runs.map((x) => [x.name, x.layout, x.family])).toEqual([['llama-gqa', 'single', 'llama'], ['weights', 'single', 'unknown']]);
    expect(r.runs[0].checkpoints[0].dtype).toBe('BF16');
    expect(r.runs[0].config).toMatchObject({ kvHeads: 2 });
    expect(r.runs[1].checkpoints[0].folder).toBe(join(LAYOUTS, 'single', 'weights.safetensors'));
  });

  it('one opened folder holding several runs', async () => {
    const result = await scanPaths([LAYOUTS]);
    expect(result.runs.map((r) => r.name).sort()).toEqual(['my-run', 'pythia-tiny', 'single', 'steps-a', 'steps-b']);
    expect(new Set(result.runs.map((r) => r.id)).size).toBe(5);
    const text = formatScanText(result);
    expect(text).toContain('Run pythia-tiny  [hf-cache]  family gpt_neox');
    expect(text).toContain('step8 (= main)');
    expect(text).toMatch(/MISSING/);
  });
});

describe('hostile trees: the scan continues', () => {
  it('refuses symlink loops and links escaping the opened folder, keeps scanning', async () => {
    const root = join(tmp, 'tree');
    mkdirSync(root);
    cpSync(join(LAYOUTS, 'steps-b'), join(root, 'good'), { recursive: true });
    mkdirSync(join(root, 'outside-target'));
    const outside = mkdtempSync(join(tmpdir(), 'atlas-outside-'));
    cpSync(join(LAYOUTS, 'single'), join(outside, 'secret'), { recursive: true });
    symlinkSync(outside, join(root, 'escape'));
    symlinkSync(join(root, 'self-loop'), join(root, 'self-loop')); // ELOOP
    symlinkSync('.', join(root, 'dot-loop')); // resolves to the root itself
    const result = await scanPaths([root]);
    rmSync(outside, { recursive: true, force: true });
    expect(result.runs.map((r) => r.name)).toEqual(['good']);
    const messages = result.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
    expect(messages).toMatch(/escape: symlink points outside the opened folder/);
    expect(messages).toMatch(/self-loop: symlink loop/);
    expect(messages).toMatch(/dot-loop: symlink loop/);
  });

  it('weight files and shard indexes linked from outside are not read', async () => {
    const root = join(tmp, 'linked');
    const outside = mkdtempSync(join(tmpdir(), 'atlas-outside-'));
    cpSync(join(FIXTURES, 'sharded-safetensors'), join(outside, 'sharded'), { recursive: true });
    cpSync(join(LAYOUTS, 'steps-b'), root, { recursive: true });
    rmSync(join(root, 'step_500', 'model.safetensors'));
    symlinkSync(join(outside, 'sharded', 'model-00001-of-00002.safetensors'), join(root, 'step_500', 'model.safetensors'));
    rmSync(join(root, 'ckpt-1500', 'model.safetensors'));
    symlinkSync(join(outside, 'sharded', 'model.safetensors.index.json'), join(root, 'ckpt-1500', 'model.safetensors.index.json'));
    const result = await scanPaths([root]);
    rmSync(outside, { recursive: true, force: true });
    const run = result.runs[0];
    expect(run.checkpoints.map((c) => c.step)).toEqual([500, 1000, 1500, 2000, 2500]);
    expect(run.checkpoints[0].warnings.join()).toMatch(/unreadable: .*symlink points outside the opened folder/);
    expect(run.checkpoints[2].warnings.join()).toMatch(/unreadable: .*symlink points outside the opened folder/);
    expect(run.checkpoints[1].warnings).toEqual([]);
  });

  it('broken checkpoints become warnings; unreadable folders become errors', async () => {
    const root = join(tmp, 'broken');
    cpSync(join(LAYOUTS, 'steps-a'), root, { recursive: true });
    writeFileSync(join(root, 'global_step200', 'pytorch_model.bin'), 'garbage');
    mkdirSync(join(root, 'global_step400'));
    cpSync(join(FIXTURES, 'hostile', 'evil-os-system.pt'), join(root, 'global_step400', 'pytorch_model.bin'));
    const result = await scanPaths([root, join(tmp, 'does-not-exist')]);
    const run = result.runs[0];
    expect(run.checkpoints.map((c) => c.step)).toEqual([100, 200, 300, 400]);
    expect(run.checkpoints[1].warnings.join()).toMatch(/unreadable: .*not a torch.save zip archive/);
    expect(run.checkpoints[3].warnings.join()).toMatch(/refused global posix\.system/);
    expect(run.warnings.filter((w) => w.kind === 'unreadable').length).toBe(2);
    expect(result.errors.map((e) => e.path)).toEqual([join(tmp, 'does-not-exist')]);
    if (process.getuid && process.getuid() !== 0) {
      const locked = join(tmp, 'locked');
      mkdirSync(join(locked, 'inner'), { recursive: true });
      chmodSync(join(locked, 'inner'), 0o000);
      const r = await scanPaths([locked]);
      chmodSync(join(locked, 'inner'), 0o755);
      expect(r.errors[0].message).toMatch(/cannot read folder/);
    }
  });
});
