// Starts `checkpoint-atlas serve` once for the whole e2e suite, on a fresh cache database and an
// empty Hugging Face cache in a temporary folder (bin/checkpoint-atlas.mjs builds first when the
// sources are newer than out/), and hands its URL and token to the specs through
// environment variables (Playwright's workers inherit the setup's process.env). The returned
// function is the teardown: it stops the server and removes the folder.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Extra folders for `serve` to open (path-delimiter separated), e.g. test fixtures while the demo
 * is not built.
 */
const EXTRA_PATHS = (process.env.ATLAS_E2E_OPEN ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean);

export default async function globalSetup(): Promise<() => Promise<void>> {
  const tmp = mkdtempSync(join(tmpdir(), 'atlas-e2e-'));
  const hfHome = join(tmp, 'hf-home');
  mkdirSync(hfHome, { recursive: true });
  const child = spawn(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), 'serve', '--db', join(tmp, 'atlas.sqlite'), '--port', '0', '--no-hub-cache', ...EXTRA_PATHS], {
    cwd: root,
    env: { ...process.env, HF_HOME: hfHome, HF_HUB_CACHE: join(hfHome, 'hub') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    if (stderr.length > 20000) stderr = stderr.slice(-20000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 180 s; stderr:\n${stderr}`)), 180_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d;
      const m = buf.match(/Serving Checkpoint Atlas on (http:\/\/127\.0\.0\.1:\d+\/\?token=[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before printing its URL; stderr:\n${stderr}`));
    });
  });
  process.env.ATLAS_E2E_URL = url;
  process.env.ATLAS_E2E_TMP = tmp;
  process.env.ATLAS_E2E_EXTRA = EXTRA_PATHS.join('\n');
  return async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(tmp, { recursive: true, force: true });
  };
}
