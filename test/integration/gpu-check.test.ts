// The GPU check (bench/gpu/check.ts) is run by hand on a borrowed GPU machine; this runs the same
// bundle in its quick mode on the CPU provider so it cannot rot between those runs: it must build,
// report the CPU provider as started, run the demo's model graphs and the Gram product, and write
// its tables.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'atlas-gpu-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench/gpu/check.ts (quick mode, CPU)', () => {
  it('bundles, runs the demo and a small model on every provider that starts, and writes its results', () => {
    execFileSync(process.execPath, [join(root, 'bench', 'gpu', 'bundle.mjs'), join(dir, 'check.mjs')], { cwd: root, stdio: 'pipe' });
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    const r = spawnSync(process.execPath, [join(dir, 'check.mjs'), dir, join(root, 'resources', 'demo', 'hub')], {
      env: { ...process.env, ATLAS_GPU_QUICK: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    const cpu = results.providers.find((p: { provider: string }) => p.provider === 'cpu');
    expect(cpu.ok).toBe(true);
    // Every provider that is not available here says why (onnxruntime's message), never a blank.
    for (const p of results.providers) if (!p.ok) expect(p.error.length).toBeGreaterThan(10);
    const demo = results.models.find((m: { model: string; provider: string }) => m.model.startsWith('demo') && m.provider === 'cpu');
    // The demo's probe loss on random tokens is finite and positive; forward and backward were timed.
    expect(demo.loss).toBeGreaterThan(0);
    expect(Number.isFinite(demo.loss)).toBe(true);
    expect(demo.forwardBackwardS).toBeGreaterThan(0);
    expect(results.gram[0].provider).toBe('cpu');
    expect(readFileSync(join(dir, 'results.md'), 'utf8')).toMatch(/\| cpu \| yes \|/);
  }, 180_000);
});
