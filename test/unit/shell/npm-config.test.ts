// npm's configuration of this project (issue 15 #11): every npm command in the repository used to
// print 'Unknown project config "electron_skip_binary_download"' and '... "onnxruntime_node_install"'
// because .npmrc carried keys npm does not know. The downloads they skipped are now denied through
// package.json "allowScripts" (npm's own install-script policy), so npm has nothing to warn about,
// and every dependency with an install script is reviewed there (none runs "with a notice").
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../main/paths';

const ROOT = projectRoot();

describe('npm configuration', () => {
  it('an npm command in the project prints no "Unknown ... config" warning', () => {
    // `npm config get` reads every config file (project .npmrc included) without touching the
    // network; the warnings are printed to stderr while the configuration loads.
    const r = spawnSync('npm', ['config', 'get', 'fund'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('false'); // the project's .npmrc was read
    expect(r.stderr).not.toMatch(/Unknown (project|cli|env) config/);
  });

  it('dependencies whose install scripts download from outside the npm registry are denied by allowScripts', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>;
      scripts: Record<string, string>;
    };
    // electron's postinstall downloads its binary; onnxruntime-node's only downloads CUDA
    // libraries from api.nuget.org (its CPU provider ships in the npm package).
    expect(pkg.allowScripts.electron).toBe(false);
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    // the opt-ins run those scripts directly, spelled one way (cuda12) as README says
    expect(pkg.scripts['onnxruntime:install-cuda']).toContain('--onnxruntime-node-install=cuda12');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm run onnxruntime:install-cuda');
    expect(readme).not.toMatch(/onnxruntime_node_install|ONNXRUNTIME_NODE_INSTALL_CUDA/);
  });

  it('every locked dependency with an install script is reviewed in allowScripts', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, v]) => v.hasInstallScript)
      .map(([k]) => k.replace(/^.*node_modules\//, ''));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(Object.hasOwn(pkg.allowScripts, name), name).toBe(true);
  });

  it('.npmrc holds only keys npm knows', () => {
    const keys = readFileSync(join(ROOT, '.npmrc'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith(';'))
      .map((l) => l.split('=')[0].trim());
    expect(keys).not.toContain('electron_skip_binary_download');
    expect(keys).not.toContain('onnxruntime_node_install');
  });
});
