// A cache merged from part of a cluster sweep (`analyze --shard i/N`, then `merge` of some shards
// only) opens like any other: the run page says which shards and units are missing, and their
// checkpoints stay grey (no values) in the heatmaps until the rest is merged.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeRun } from '../integration/make-run';
import { check, expect, root, test } from './fixtures';

test('a partially merged sweep: coverage notice with the missing shard, missing checkpoints without values', async ({ page, srv, apiOk, shot }) => {
  const runRoot = join(srv.tmp, 'sweep-run');
  makeRun(runRoot, { checkpoints: 4, d: 8, seed: 21 });
  const out = join(srv.tmp, 'sweep-out');
  const cli = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'checkpoint-atlas.mjs'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ATLAS_SKIP_BUILD: '1' } });
  const shard = (i: number) => join(out, `shard-${i}-of-2.sqlite`);
  // Shard 0 stops at the histogram barrier (75); shard 1 then completes with shard 0's statistics.
  const s0 = cli(['analyze', runRoot, '--db', shard(0), '--shard', '0/2', '--analyses', 'weights', '--threads', '1']);
  check(s0.status === 75, `shard 0 waits: ${s0.status} ${s0.stderr}`);
  const s1 = cli(['analyze', runRoot, '--db', shard(1), '--shard', '1/2', '--analyses', 'weights', '--threads', '1']);
  check(s1.status === 0, `shard 1: ${s1.stderr}`);
  // Merge only shard 1 into the cache the app has open.
  const { dbPath } = await apiOk('appInfo');
  const m = cli(['merge', dbPath, shard(1)]);
  check(m.status === 3 && /shard 0: \d+ missing/.test(m.stdout), `partial merge: ${m.status} ${m.stdout}${m.stderr}`);

  const runs = (await apiOk('listRuns')).runs as Array<{ id: string; root: string; sweep?: { present: number; units: number; missing: Array<{ shard: number; units: number }> } }>;
  const merged = runs.find((r) => r.root === runRoot);
  check(!!merged?.sweep, `the merged run carries its sweep coverage: ${JSON.stringify(merged)}`);
  const sweep = merged.sweep;
  check(sweep.units === 8 && sweep.present > 0 && sweep.present < 8 && sweep.missing.length === 1 && sweep.missing[0].shard === 0, `coverage ${JSON.stringify(sweep)}`);

  await page.goto(`${srv.url}#/run/${encodeURIComponent(merged.id)}/overview`);
  const notice = page.getByRole('status', { name: 'Sweep coverage' });
  await notice.filter({ hasText: `Partially merged sweep: ${sweep.present} of 8 units from 1 of 2 shards` }).waitFor();
  await notice.filter({ hasText: 'Missing: shard 0' }).waitFor();
  // The checkpoints whose statistics shard 0 holds have no values (grey cells) in the grid.
  const grid = await apiOk('scalarGrid', { runId: merged.id, metric: 'frobenius_norm' });
  const emptyColumns = grid.checkpointIds.filter((_: string, j: number) => grid.values.every((row: Array<number | null>) => row[j] === null));
  const fullColumns = grid.checkpointIds.filter((_: string, j: number) => grid.values.every((row: Array<number | null>) => row[j] !== null));
  check(emptyColumns.length > 0 && fullColumns.length > 0 && emptyColumns.length + fullColumns.length === 4, `grey and filled columns: ${emptyColumns} | ${fullColumns}`);
  // The run header counts this one-block model in the singular ("1 layer", not "1 layers").
  await expect(page.locator('.meta').first()).toContainText('· 1 layer · d=8');
  await shot(page, 'merged-sweep-partial');
  // The rest merged: the notice says complete.
  const m2 = cli(['analyze', runRoot, '--db', shard(0), '--shard', '0/2', '--analyses', 'weights', '--threads', '1']);
  check(m2.status === 0, `shard 0 resumes: ${m2.stderr}`);
  check(cli(['merge', dbPath, shard(0), shard(1)]).status === 0, 'complete merge');
  await page.reload();
  await page.getByRole('status', { name: 'Sweep coverage' }).filter({ hasText: 'Merged sweep, complete: 8 of 8 units from 2 of 2 shards' }).waitFor();
});
