// Execution provider choice: the auto choice must be a provider that actually starts, with the
// reasons the earlier ones were passed over; a forced provider that cannot start is an error.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableProviders, chooseProvider, createSession, cudaInstalled, parseProvider, passedOverText, probeProviders, PROVIDER_ORDER, sharedLibraryFound } from '../../../main/compute/providers';
import { GraphBuilder } from '../../../main/compute/onnx/graph';
import * as ort from 'onnxruntime-node';

describe('providers', () => {
  it('lists cpu always and cuda only when its library is installed', () => {
    const list = availableProviders();
    expect(list.at(-1)).toBe('cpu');
    expect(list.includes('cuda')).toBe(cudaInstalled());
  });

  it('auto picks the first provider that starts and reports the attempts', async () => {
    const choice = await chooseProvider('auto');
    expect(choice.forced).toBe(false);
    const last = choice.attempts.at(-1)!;
    expect(last.ok).toBe(true);
    expect(last.provider).toBe(choice.provider);
    for (const a of choice.attempts.slice(0, -1)) {
      expect(a.ok).toBe(false);
      expect(a.error).toBeTruthy();
    }
    expect(choice.attempts.map((a) => a.provider)).toEqual(PROVIDER_ORDER.slice(0, choice.attempts.length));
  });

  it('forcing cpu works; forcing cuda without its library fails with a named error', async () => {
    expect((await chooseProvider('cpu')).provider).toBe('cpu');
    if (!cudaInstalled()) await expect(chooseProvider('cuda')).rejects.toThrow(/execution provider cuda/);
    expect(parseProvider(' CPU ')).toBe('cpu');
    expect(() => parseProvider('tpu')).toThrow(/unknown provider/);
  });

  it('creates a session on the chosen provider', async () => {
    const g = new GraphBuilder('p');
    g.output(g.neg(g.input('x', 'float32', [3])), 'y');
    const { session, provider } = await createSession(g.toBuffer(), { provider: 'cpu', threads: 1 });
    expect(provider).toBe('cpu');
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, -2, 3), [3]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([-1, 2, -3]);
  });

  it('probes every provider once: cpu starts, each other one that does not has its reason', async () => {
    const attempts = await probeProviders();
    expect(attempts.map((a) => a.provider)).toEqual([...PROVIDER_ORDER]);
    expect(attempts.find((a) => a.provider === 'cpu')!.ok).toBe(true);
    for (const a of attempts) if (!a.ok) expect(a.error!.length, a.provider).toBeGreaterThan(5);
    if (!cudaInstalled()) expect(attempts.find((a) => a.provider === 'cuda')!.error).toMatch(/not installed/);
    // Without a Vulkan loader WebGPU is passed over before onnxruntime (and Dawn's warning) is reached.
    if (process.platform === 'linux' && !sharedLibraryFound('libvulkan.so.1')) {
      expect(attempts.find((a) => a.provider === 'webgpu')).toEqual({ provider: 'webgpu', ok: false, error: expect.stringMatching(/no Vulkan loader \(libvulkan\.so\.1\)/) });
    }
    expect(passedOverText([{ provider: 'cuda', ok: false, error: 'not installed' }, { provider: 'cpu', ok: true }])).toBe('cuda: not installed');
  });

  it('finds a shared library through LD_LIBRARY_PATH and not a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atlas-lib-'));
    writeFileSync(join(dir, 'libatlas-probe.so.1'), '');
    expect(sharedLibraryFound('libatlas-probe.so.1', { LD_LIBRARY_PATH: `/nonexistent:${dir}` })).toBe(true);
    expect(sharedLibraryFound('libatlas-probe.so.1', {})).toBe(false);
  });
});
