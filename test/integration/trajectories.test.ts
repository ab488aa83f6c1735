// Change points and forecasts from a real SQLite cache to the export contract's files: a run whose
// cached scalars are synthetic trajectories with known answers (a kink, a saturating norm, a flat
// noisy line), exported by the engine; and the per-metric cache in run_params (reused while the
// metric's values are unchanged, recomputed when they change).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunInfo } from '../../common/domain';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { metricTrajectories } from '../../main/store/trajectories';
import { DEMO_STEPS, piecewise, smooth } from '../unit/metrics/trajectories';

let dir: string;
let store: Store;
let run: RunInfo;
const KINK = 1300;
const LAST = DEMO_STEPS[DEMO_STEPS.length - 1];
const saturating = (s: number): number => 12 - 7 * Math.exp(-s / (0.5 * LAST));

function writeScalars(values: Record<string, Record<string, number[]>>): void {
  store.registerTensors(run.id, Object.keys(values).map((tensor, b) => ({ tensor, role: { block: b, component: 'mlp.out' as const, kind: 'weight' as const }, shape: [4, 4] })));
  DEMO_STEPS.forEach((step, c) => {
    const scalars = Object.entries(values).flatMap(([tensor, metrics]) => Object.entries(metrics).map(([metric, v]) => ({ metric, tensor, value: v[c] })));
    store.writeUnit({ runId: run.id, checkpointId: `step${step}`, analysis: 'weights' }, { fingerprint: `f${step}`, version: 1, ctx: '' }, {
      scalars, arrays: [], info: {},
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-trajectories-'));
  store = new Store(join(dir, 'atlas.sqlite'));
  run = {
    id: 'synthetic0000001', name: 'synthetic', layout: 'step-folders', root: dir, family: 'unknown', config: null, tokenizerPath: null,
    checkpoints: DEMO_STEPS.map((step) => ({ id: `step${step}`, label: `step_${step}`, step, tokens: step * 2048, folder: join(dir, `step_${step}`), weightFiles: [], format: 'safetensors', dtype: 'F32', fingerprint: `f${step}`, missing: false, warnings: [] })),
    trainingLog: [], warnings: [],
  };
  store.upsertRun(run, 'opened');
  writeScalars({
    'layers.0.mlp.weight': { frobenius_norm: piecewise(DEMO_STEPS, [KINK], [0.1, 1.5], 0.005, 3), dist_to_init: piecewise(DEMO_STEPS, [], [0], 0.02, 4) },
    'layers.1.mlp.weight': { frobenius_norm: smooth(DEMO_STEPS, saturating, 0.03, 5), dist_to_init: piecewise(DEMO_STEPS, [], [0.7], 0.02, 6) },
  });
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('trajectory exports', () => {
  it('change_points.csv and forecasts.csv: exact headers, the planted kink only, a forecast to twice the last step', async () => {
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false });
    const out = join(dir, 'export');
    const { files } = await engine.exportData({ runId: run.id, outDir: out });
    await engine.close();
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(expect.arrayContaining(['change_points.csv', 'forecasts.csv']));
    const [cpHeader, ...cpRows] = readFileSync(join(out, 'change_points.csv'), 'utf8').trim().split('\n');
    expect(cpHeader).toBe('run,tensor,metric,step,strength');
    expect(cpRows).toHaveLength(1);
    const [runId, tensor, metric, step, strength] = cpRows[0].split(',');
    expect([runId, tensor, metric]).toEqual([run.id, 'layers.0.mlp.weight', 'frobenius_norm']);
    const k = DEMO_STEPS.indexOf(KINK);
    expect([DEMO_STEPS[k - 1], KINK, DEMO_STEPS[k + 1]]).toContain(Number(step));
    expect(Number(strength)).toBeGreaterThan(0);

    const [fcHeader, ...fcRows] = readFileSync(join(out, 'forecasts.csv'), 'utf8').trim().split('\n');
    expect(fcHeader).toBe('run,tensor,metric,step,value,lower,upper');
    const sat = fcRows.map((r) => r.split(',')).filter((r) => r[1] === 'layers.1.mlp.weight' && r[2] === 'frobenius_norm').map((r) => r.slice(3).map(Number));
    expect(sat[0][0]).toBe(0);
    const end = sat[sat.length - 1];
    expect(end[0]).toBe(2 * LAST);
    expect(Math.abs(end[1] - saturating(2 * LAST)) / saturating(2 * LAST)).toBeLessThan(0.03);
    expect(end[2]).toBeLessThanOrEqual(saturating(2 * LAST));
    expect(end[3]).toBeGreaterThanOrEqual(saturating(2 * LAST));
    // Every forecast of a forecast metric reaches twice the last step.
    const ends = new Map<string, number>();
    for (const r of fcRows.map((x) => x.split(','))) ends.set(`${r[1]}|${r[2]}`, Math.max(ends.get(`${r[1]}|${r[2]}`) ?? 0, Number(r[3])));
    expect([...ends.values()].every((s) => s === 2 * LAST)).toBe(true);
  });

  it('results are cached per metric in run_params and recomputed only when the values change', () => {
    const first = metricTrajectories(store, run, 'frobenius_norm');
    const key = 'trajectories:v1:frobenius_norm';
    const cached = store.getParam<{ hash: string; result: { changePoints: unknown[] } }>(run.id, key)!;
    expect(cached.result).toEqual(first);
    // A marker in the cached result comes back: the cache is read, not recomputed.
    store.setParam(run.id, key, { ...cached, result: { ...cached.result, changePoints: [{ tensor: 'marker', step: 1, strength: 1 }] } });
    expect(metricTrajectories(store, run, 'frobenius_norm').changePoints).toEqual([{ tensor: 'marker', step: 1, strength: 1 }]);
    // New values (a flat kinked tensor made straight): the hash changes and the result is recomputed.
    writeScalars({
      'layers.0.mlp.weight': { frobenius_norm: piecewise(DEMO_STEPS, [], [0.3], 0.005, 3), dist_to_init: piecewise(DEMO_STEPS, [], [0], 0.02, 4) },
      'layers.1.mlp.weight': { frobenius_norm: smooth(DEMO_STEPS, saturating, 0.03, 5), dist_to_init: piecewise(DEMO_STEPS, [], [0.7], 0.02, 6) },
    });
    expect(metricTrajectories(store, run, 'frobenius_norm').changePoints).toEqual([]);
  });

  it('the API: trajectories, the regime timeline, and tokens per step remembered for a run without counts', async () => {
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false });
    const t = await engine.trajectories({ runId: run.id, metric: 'frobenius_norm', forecast: true });
    expect((await engine.trajectories({ runId: run.id, metric: 'frobenius_norm' })).forecasts).toEqual([]);
    expect(t.trajectories).toBe(2);
    expect(t.forecasts.map((f) => f.tensor)).toEqual(['layers.0.mlp.weight', 'layers.1.mlp.weight']);
    const timeline = await engine.regimeTimeline({ runId: run.id });
    expect(timeline.metrics).toEqual(['frobenius_norm', 'dist_to_init']);
    expect(timeline.trajectories).toBe(4);
    expect(timeline.entries).toEqual([]); // the kinked tensor was made straight by the previous test
    const bare = { ...run, id: 'synthetic0000002', checkpoints: run.checkpoints.map((c) => ({ ...c, tokens: null })) };
    store.upsertRun(bare, 'opened');
    const before = (await engine.getRun({ runId: bare.id })).run as unknown as RunInfo;
    expect(before.checkpoints.every((c) => c.tokens === null)).toBe(true);
    await engine.setTokensPerStep({ runId: bare.id, tokensPerStep: 4096 });
    const after = (await engine.getRun({ runId: bare.id })).run as unknown as RunInfo;
    expect(after.checkpoints.map((c) => c.tokens)).toEqual(DEMO_STEPS.map((s) => s * 4096));
    await engine.setTokensPerStep({ runId: bare.id, tokensPerStep: null });
    expect(((await engine.getRun({ runId: bare.id })).run as unknown as RunInfo).checkpoints[5].tokens).toBeNull();
    await engine.close();
  });
});
