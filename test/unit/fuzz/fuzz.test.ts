// CI budget of the fuzzer: replays every regression fixture in test/fixtures/fuzz-regressions and
// runs ~2,000 freshly generated cases (fixed seed, ~286 per target) through the same bundled
// harness that `npm run fuzz` runs, in a watched worker. Passes when no fixture marked "fixed"
// fails again, every fixture still marked "open" still fails (else: mark it fixed), fresh cases
// find nothing beyond the open fixtures' signatures, and no pickle payload ran. Limits: 2 s of CPU
// time per case (CPU time does not grow with the machine's load) and 384 MiB of RSS growth per
// case (the largest legitimate growth seen in 100,000 cases is ~140 MiB), so that the known
// runaway cases are stopped quickly and the test stays well under a minute.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { FuzzRunReport } from '../../fuzz/cli';

const repoRoot = join(__dirname, '..', '..', '..');
const CASES = 2000;

it('replays the regression fixtures and fuzzes 2,000 fresh cases across all readers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-fuzz-ci-'));
  try {
    const jsonPath = join(dir, 'report.json');
    const run = spawnSync(process.execPath, [join(repoRoot, 'test/fuzz/run.mjs')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        FUZZ_CASES: String(CASES),
        FUZZ_SEED: process.env.FUZZ_SEED ?? '20251125',
        FUZZ_TIMEOUT_MS: '2000',
        FUZZ_RSS_MB: '384',
        FUZZ_REPLAY: join(repoRoot, 'test/fixtures/fuzz-regressions'),
        FUZZ_SAVE: '',
        FUZZ_JSON: jsonPath,
      },
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    if (run.error) throw run.error;
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as FuzzRunReport;
    const log = `${run.stdout}\n${run.stderr}`;

    expect(report.targets.map((t) => t.target)).toEqual(['safetensors', 'torch-zip', 'pickle', 'config', 'tokenizer', 'shard-index', 'safetensors-differential']);
    for (const t of report.targets) {
      expect(t.stats.cases, t.target).toBe(Math.ceil(CASES / report.targets.length));
      // The mutations reach both outcomes: refusals and inputs that still read.
      expect(t.stats.typedErrors, `${t.target} typed errors`).toBeGreaterThan(0);
      expect(t.stats.successes, `${t.target} successes`).toBeGreaterThan(0);
    }
    expect(report.canaryFile, 'a pickle payload created the canary marker file').toBe(false);
    expect(report.canaryCalls, 'a trapped call (child_process, eval, process.binding, ...) happened').toBe(0);

    const openSignatures = new Set(report.replayed.filter((r) => r.status === 'open').map((r) => r.signature));
    for (const r of report.replayed) {
      if (r.status === 'fixed') expect(r.findings, `${r.fixture} (fixed) fails again`).toEqual([]);
      else expect(r.findings.length, `${r.fixture} no longer fails: set its status to "fixed" in case.json`).toBeGreaterThan(0);
    }
    const unexpected = report.findings.filter((f) => !openSignatures.has(f.signature));
    expect(unexpected.map((f) => `${f.signature}: ${f.error}`), log).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);
