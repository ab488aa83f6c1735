// Command-line driver of the fuzzer (bundled and started by test/fuzz/run.mjs, which `npm run
// fuzz` calls): runs the budget over every target, prints per target the cases, typed errors,
// successes, findings by kind, the slowest case and the peak RSS, writes each distinct finding as
// a regression fixture, and exits non-zero on any crash, hang, memory blow-up or executed pickle.
//
// Environment:
//   FUZZ_CASES       total cases, split evenly over the targets (default 100000)
//   FUZZ_SEED        run seed (default 1); the same seed generates the same cases
//   FUZZ_TARGETS     comma-separated subset of: safetensors,torch-zip,pickle,config,tokenizer,shard-index
//   FUZZ_TIMEOUT_MS  per-case limit (default 2000)
//   FUZZ_RSS_MB      limit on the process RSS growth during one case, MiB (default 1024)
//   FUZZ_SAVE        directory for new regression fixtures ('' = do not save;
//                    default test/fixtures/fuzz-regressions)
//   FUZZ_REPLAY      directory of regression fixtures to replay before fuzzing
//   FUZZ_JSON        write the machine-readable report to this file
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeFinding, loadRegressions, saveFinding, signatureOfFinding } from './regressions';
import { FuzzSupervisor, type TargetReport } from './supervisor';
import { FIFO_NAME, SECRET_MARKER, SECRET_NAME, TARGET_NAMES, type TargetName } from './targets';
import type { Finding, FindingKind } from './protocol';

export interface FuzzRunReport {
  runSeed: number;
  casesPerTarget: number;
  timeoutMs: number;
  rssLimitMb: number;
  replayed: { fixture: string; target: TargetName; status: 'open' | 'fixed'; signature: string; findings: string[] }[];
  targets: TargetReport[];
  /** Distinct findings (one per signature), with how many cases hit each. */
  findings: (Finding & { signature: string; hits: number; savedAs: string | null })[];
  canaryFile: boolean;
  canaryCalls: number;
  seconds: number;
}

const KINDS: FindingKind[] = ['crash', 'invariant', 'canary', 'hang', 'memory', 'worker-exit'];

export async function main(repoRoot: string, workerFile: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now();
  const totalCases = Number(env.FUZZ_CASES ?? 100_000);
  const runSeed = Number(env.FUZZ_SEED ?? 1);
  const targets = (env.FUZZ_TARGETS ? env.FUZZ_TARGETS.split(',').map((t) => t.trim()) : [...TARGET_NAMES]) as TargetName[];
  for (const t of targets) if (!TARGET_NAMES.includes(t)) throw new Error(`FUZZ_TARGETS: unknown target ${t} (known: ${TARGET_NAMES.join(', ')})`);
  const timeoutMs = Number(env.FUZZ_TIMEOUT_MS ?? 2000);
  const rssLimitMb = Number(env.FUZZ_RSS_MB ?? 1024);
  const saveDir = env.FUZZ_SAVE === undefined ? join(repoRoot, 'test/fixtures/fuzz-regressions') : env.FUZZ_SAVE === '' ? null : resolve(env.FUZZ_SAVE);
  const casesPerTarget = Math.ceil(totalCases / Math.max(1, targets.length));
  const scratchDir = mkdtempSync(join(tmpdir(), 'atlas-fuzz-'));
  // Special-file mutations (targets.ts SPECIAL_FILES): one FIFO that cases hard-link into their
  // folder or link to, and a secret file outside every case folder whose contents must never be
  // quoted. Made here, in the supervisor's thread: the workers trap child_process.
  execFileSync('mkfifo', [join(scratchDir, FIFO_NAME)]);
  writeFileSync(join(scratchDir, SECRET_NAME), JSON.stringify({ [SECRET_MARKER]: SECRET_MARKER, model: { type: SECRET_MARKER }, weight_map: { [SECRET_MARKER]: SECRET_MARKER } }));
  const supervisor = new FuzzSupervisor({ repoRoot, workerFile, scratchDir, timeoutMs, rssLimitBytes: rssLimitMb * 2 ** 20 });
  const canaryBefore = supervisor.canaryFileExists();
  if (canaryBefore) throw new Error('the canary marker file exists before the run; remove it first');
  const report: FuzzRunReport = { runSeed, casesPerTarget, timeoutMs, rssLimitMb, replayed: [], targets: [], findings: [], canaryFile: false, canaryCalls: 0, seconds: 0 };
  const all: Finding[] = [];
  try {
    if (env.FUZZ_REPLAY) {
      for (const reg of await loadRegressions(resolve(env.FUZZ_REPLAY))) {
        const { findings } = await supervisor.run({ kind: 'inputs', target: reg.target, inputs: [reg.input], from: 0 }, undefined, 1, false);
        report.replayed.push({ fixture: reg.folder, target: reg.target, status: reg.status, signature: reg.signature, findings: findings.map(signatureOfFinding) });
        for (const f of findings) console.log(`replay ${reg.folder}: ${describeFinding(f)}`);
      }
      console.log(`replayed ${report.replayed.length} regression fixtures: ${report.replayed.filter((r) => r.findings.length > 0).length} still fail`);
    }
    for (const target of targets) {
      const t0 = Date.now();
      let lastPrint = 0;
      const { stats, findings } = await supervisor.run({ kind: 'generate', target, runSeed, from: 0, to: casesPerTarget }, (done) => {
        if (Date.now() - lastPrint > 10_000) {
          lastPrint = Date.now();
          process.stderr.write(`  ${target}: ${done}/${casesPerTarget}\n`);
        }
      });
      const byKind = Object.fromEntries(KINDS.map((k) => [k, findings.filter((f) => f.kind === k).length])) as Record<FindingKind, number>;
      report.targets.push({ target, stats, byKind, seconds: (Date.now() - t0) / 1000 });
      all.push(...findings);
    }
  } finally {
    await supervisor.close();
    // Should a reader ever have blocked opening the FIFO (a finding), release it before removal.
    try { closeSync(openSync(join(scratchDir, FIFO_NAME), constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader waiting */ }
    rmSync(scratchDir, { recursive: true, force: true });
  }
  report.canaryFile = supervisor.canaryFileExists();
  report.canaryCalls = supervisor.canaryCalls;

  // One finding per signature: the smallest input, with the number of cases that hit it.
  const bySignature = new Map<string, { finding: Finding; hits: number; size: number }>();
  for (const f of all) {
    const sig = signatureOfFinding(f);
    const size = f.input.files.reduce((a, b) => a + b.bytes.length, 0);
    const prev = bySignature.get(sig);
    if (!prev) bySignature.set(sig, { finding: f, hits: 1, size });
    else {
      prev.hits++;
      if (size < prev.size) Object.assign(prev, { finding: f, size });
    }
  }
  for (const [signature, { finding, hits }] of bySignature) {
    const savedAs = saveDir ? saveFinding(saveDir, finding, signature) : null;
    report.findings.push({ ...finding, signature, hits, savedAs });
  }
  report.seconds = (Date.now() - started) / 1000;

  printReport(report);
  if (env.FUZZ_JSON) {
    mkdirSync(resolve(env.FUZZ_JSON, '..'), { recursive: true });
    writeFileSync(env.FUZZ_JSON, JSON.stringify(report, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v), 2));
  }
  const replayFailures = report.replayed.filter((r) => r.findings.length > 0 && r.status !== 'open').length;
  return report.findings.length === 0 && !report.canaryFile && report.canaryCalls === 0 && replayFailures === 0 ? 0 : 1;
}

function printReport(r: FuzzRunReport): void {
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const rows = [['target', 'cases', 'typed errors', 'successes', 'crashes', 'invariant', 'hangs', 'memory', 'canary', 'worker died', 'unconfirmed', 'max ms/case', 'max CPU ms', 'peak RSS', 'max RSS growth', 'reasons', 'seconds']];
  for (const t of r.targets) {
    rows.push([
      t.target, String(t.stats.cases), String(t.stats.typedErrors), String(t.stats.successes), String(t.byKind.crash), String(t.byKind.invariant),
      String(t.byKind.hang), String(t.byKind.memory), String(t.byKind.canary), String(t.byKind['worker-exit']), String(t.stats.unconfirmed), t.stats.maxCaseMs.toFixed(1), t.stats.maxCaseCpuMs.toFixed(1),
      mib(t.stats.peakRss), mib(t.stats.maxRssGrowth), String(Object.keys(t.stats.reasons).length), t.seconds.toFixed(1),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  console.log(`\nfuzz run: seed ${r.runSeed}, ${r.casesPerTarget} cases per target, limit ${r.timeoutMs} ms/case, RSS growth limit ${r.rssLimitMb} MiB per case`);
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  const total = r.targets.reduce((a, t) => a + t.stats.cases, 0);
  console.log(`total ${total} cases in ${r.seconds.toFixed(1)} s; executed-pickle canary: marker file ${r.canaryFile ? 'PRESENT' : 'absent'}, trapped calls ${r.canaryCalls}`);
  for (const t of r.targets) {
    const top = Object.entries(t.stats.reasons).sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(`\n${t.target}: slowest case ${t.stats.maxCaseMs.toFixed(1)} ms (${t.stats.maxCaseOrigin}); most frequent refusals:`);
    for (const [reason, n] of top) console.log(`  ${String(n).padStart(7)}  ${reason}`);
    for (const note of t.stats.unconfirmedNotes) console.log(`  unconfirmed abort: ${note}`);
  }
  if (r.findings.length) {
    console.log(`\n${r.findings.length} distinct findings:`);
    for (const f of r.findings) console.log(`- [${f.hits} cases] ${describeFinding(f)}${f.savedAs ? `\n  saved as ${f.savedAs}` : ''}`);
  } else {
    console.log('\nno findings: 0 crashes, 0 hangs, 0 memory blow-ups, 0 executed pickles');
  }
}
