// Which onnxruntime execution provider runs the graphs: CUDA when its provider library is
// installed beside onnxruntime-node's binding and actually initialises, else WebGPU when a GPU
// adapter exists, else CPU. `--provider` forces one (and fails loudly if it cannot start, rather
// than falling back silently). Availability is decided by starting a one-node session on the
// candidate, because a listed or installed provider may still lack drivers or an adapter; the
// result is cached per process and reported so the UI can show which provider ran.
// On Linux WebGPU (Dawn) needs the Vulkan loader: without libvulkan.so.1 it is passed over before
// onnxruntime is asked, because Dawn would print a warning to the terminal on every attempt.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from './onnx/graph';

export type ProviderName = 'cuda' | 'webgpu' | 'cpu';
export const PROVIDER_ORDER: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];

export class ProviderError extends Error {
  constructor(readonly provider: string, readonly problem: string) {
    super(`execution provider ${provider}: ${problem}`);
    this.name = 'ProviderError';
  }
}

export interface ProviderAttempt {
  provider: ProviderName;
  ok: boolean;
  /** Why it could not start (onnxruntime's message), when it failed. */
  error?: string;
}

export interface ProviderChoice {
  provider: ProviderName;
  /** Every provider tried, in order, with why the earlier ones were passed over. */
  attempts: ProviderAttempt[];
  forced: boolean;
}

/** Folder holding onnxruntime-node's native binding (and optional provider libraries). */
function bindingFolder(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/** Whether onnxruntime-node's CUDA provider library was installed (`npm run onnxruntime:install-cuda`). */
export function cudaInstalled(): boolean {
  const folder = bindingFolder();
  if (!folder) return false;
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(folder, lib));
}

/**
 * Providers present in this installation (cheap, synchronous; a present provider may still fail
 * to start, see chooseProvider): cpu always, webgpu when bundled, cuda when installed.
 */
export function availableProviders(): ProviderName[] {
  const bundled = new Set(ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name));
  const out: ProviderName[] = [];
  if (cudaInstalled()) out.push('cuda');
  if (bundled.has('webgpu')) out.push('webgpu');
  out.push('cpu');
  return out;
}

/** Parse a `--provider` value. */
export function parseProvider(value: string): ProviderName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (PROVIDER_ORDER as readonly string[]).includes(v)) return v as ProviderName | 'auto';
  throw new ProviderError(value, `unknown provider (expected auto, ${PROVIDER_ORDER.join(', ')})`);
}

const LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/lib', '/usr/local/lib'];

/** Whether the dynamic loader can find `lib` (LD_LIBRARY_PATH, the ld.so cache, the usual folders). */
export function sharedLibraryFound(lib: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIBRARY_DIRS];
  if (dirs.some((d) => existsSync(join(d, lib)))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes(Buffer.from(lib + '\0'));
  } catch {
    return false;
  }
}

/** Why `provider` cannot start here without asking onnxruntime, or null (then it is tried). */
export function providerPrecheck(provider: ProviderName): string | null {
  if (provider === 'cuda' && !cudaInstalled()) return 'not installed (onnxruntime-node\'s CUDA provider library is absent; see README "Installing")';
  if (provider === 'webgpu') {
    const bundled = ort.listSupportedBackends().some((b) => b.name === 'webgpu' && b.bundled);
    if (!bundled) return 'not in this onnxruntime-node build';
    if (process.platform === 'linux' && !sharedLibraryFound('libvulkan.so.1')) return 'no Vulkan loader (libvulkan.so.1), which WebGPU (Dawn) needs on Linux';
  }
  return null;
}

async function tryProvider(provider: ProviderName): Promise<ProviderAttempt> {
  const reason = providerPrecheck(provider);
  if (reason) return { provider, ok: false, error: reason };
  try {
    const g = new GraphBuilder('provider_probe');
    g.output(g.relu(g.input('x', 'float32', [2])), 'y');
    const session = await ort.InferenceSession.create(g.toBuffer(), { executionProviders: [provider] });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2), [2]) });
    const y = out.y.data as Float32Array;
    await session.release();
    if (y[0] !== 0 || y[1] !== 2) return { provider, ok: false, error: 'wrong result from a one-node test graph' };
    return { provider, ok: true };
  } catch (e) {
    return { provider, ok: false, error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}

let cachedAuto: Promise<ProviderChoice> | null = null;

/** Pick the provider: the forced one (error if it cannot start) or the first that starts. */
export function chooseProvider(forced: ProviderName | 'auto' = 'auto'): Promise<ProviderChoice> {
  if (forced !== 'auto') {
    return tryProvider(forced).then((attempt) => {
      if (!attempt.ok) throw new ProviderError(forced, attempt.error ?? 'failed to start');
      return { provider: forced, attempts: [attempt], forced: true };
    });
  }
  cachedAuto ??= (async () => {
    const attempts: ProviderAttempt[] = [];
    for (const p of PROVIDER_ORDER) {
      const a = await tryProvider(p);
      attempts.push(a);
      if (a.ok) return { provider: p, attempts, forced: false };
    }
    throw new ProviderError('auto', `no provider could start: ${attempts.map((a) => `${a.provider}: ${a.error}`).join('; ')}`);
  })();
  return cachedAuto;
}

let cachedProbe: Promise<ProviderAttempt[]> | null = null;

/**
 * Every provider tried once (cached per process): which start here, and for the others the reason
 * (what the UI and CLI list: only providers that start, and why the others were passed over).
 */
export function probeProviders(): Promise<ProviderAttempt[]> {
  cachedProbe ??= (async () => {
    const out: ProviderAttempt[] = [];
    for (const p of PROVIDER_ORDER) out.push(await tryProvider(p));
    return out;
  })();
  return cachedProbe;
}

/** "webgpu: why; cuda: why" for the providers that did not start, or '' when all did. */
export function passedOverText(attempts: readonly ProviderAttempt[]): string {
  return attempts.filter((a) => !a.ok).map((a) => `${a.provider}: ${a.error ?? 'failed to start'}`).join('; ');
}

export interface SessionOptions {
  provider?: ProviderName | 'auto';
  /** Intra-op threads (CPU provider); default: onnxruntime's own choice. */
  threads?: number;
  /**
   * Keep onnxruntime's CPU memory arena (default true). The block-streamed run turns it off: an
   * arena per small session would keep every session's peak allocated at once.
   */
  memArena?: boolean;
}

/** Create a session on the chosen provider, with full graph optimisation. */
export async function createSession(model: Uint8Array, opts: SessionOptions = {}): Promise<{ session: ort.InferenceSession; provider: ProviderName }> {
  const choice = await chooseProvider(opts.provider ?? 'auto');
  const session = await ort.InferenceSession.create(model, {
    executionProviders: [choice.provider],
    graphOptimizationLevel: 'all',
    ...(opts.memArena === false ? { enableCpuMemArena: false } : {}),
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    // No spin-waiting between ops: a block-streamed run chains many small sessions, and spinning
    // intra-op threads burned CPU the user's other work could use (BENCHMARKS.md "Logit lens and
    // induction" and "Forward and backward passes" are measured with this setting).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  return { session, provider: choice.provider };
}
