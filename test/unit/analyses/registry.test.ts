// The analysis registry: one common descriptor per analysis (common/analyses/<name>.ts) and one
// unit descriptor per unit (main/jobs/units/<unit>.ts). Every unit named by an analysis has a
// descriptor, ids and frame kinds are unique, the API's enums and the metric catalogue are the
// registry's, and the cached results of the units written before the registry stay valid (their
// versions and stamp contexts are those of the former tables in plan.ts and manager.ts).
import { describe, expect, it } from 'vitest';
import { ANALYSES, ANALYSIS_IDS, FRAME_KINDS, UNIT_ORDER } from '../../../common/analyses';
import { AnalysisKind, FrameKind } from '../../../common/api';
import { METRICS } from '../../../common/catalogue';
import { UNITS, unitPrecondition } from '../../../main/jobs/units';
import { planUnits, shortHash, type PlannedUnit } from '../../../main/jobs/plan';
import type { CheckpointInfo, RunInfo } from '../../../common/domain';

const ckpt = (id: string, step: number): CheckpointInfo => ({ id, label: id, step, folder: `/x/${id}`, fingerprint: `fp-${id}`, missing: false }) as unknown as CheckpointInfo;
const run = (over: Partial<RunInfo> = {}): RunInfo =>
  ({ id: 'r', name: 'r', root: '/x', layout: 'step-folders', family: 'gpt_neox', config: { family: 'gpt_neox' }, tokenizerPath: '/x/tokenizer.json', checkpoints: [ckpt('b', 10), ckpt('a', 0), ckpt('c', 20)], warnings: [], ...over }) as unknown as RunInfo;

describe('analysis registry', () => {
  it('every unit of every analysis has a descriptor under its own name', () => {
    expect(Object.keys(UNITS).sort()).toEqual([...UNIT_ORDER].sort());
    for (const [name, d] of Object.entries(UNITS)) expect(d.name).toBe(name);
  });

  it('the API enums and the metric catalogue come from the registry, ids unique', () => {
    expect(AnalysisKind.options).toEqual(ANALYSES.map((a) => a.id));
    expect(ANALYSIS_IDS).toEqual(['weights', 'fits', 'spectra', 'embedding', 'svd-directions', 'activations', 'gradients', 'head-spectra', 'head-updates']);
    expect(FrameKind.options).toEqual(FRAME_KINDS);
    expect(new Set(FRAME_KINDS).size).toBe(ANALYSES.reduce((n, a) => n + a.frames.length, 0));
    const ids = METRICS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(METRICS.find((m) => m.id === 'student_t_nu')!.analysis).toBe('fits');
    expect(METRICS.find((m) => m.id === 'grad_norm')!.analysis).toBe('gradients');
  });

  it('keeps the unit versions and stamp contexts that the cache was written with', () => {
    // The version table plan.ts held before the registry: changing one recomputes every cache.
    expect(Object.fromEntries(Object.entries(UNITS).map(([n, d]) => [n, d.version]))).toEqual({
      // fits 3: best_fit_family and QQ frames at the plotting positions n supports (issue 15 #10)
      // weights 4, fits 4: float16/bfloat16 moments from the code census (issue 16 item 6)
      // fits 5: Newton stops on its decrement; 6: Student-t derivatives from moment sums (both within rounding)
      weights: 4, histogram: 1, fits: 6, spectra: 2, embedding: 1, 'svd-directions': 2, activations: 3, gradients: 1, 'head-spectra': 1, 'head-updates': 1,
    });
    const planned = planUnits(run(), ['weights']);
    const p = planned.find((x) => x.unit === 'weights' && x.checkpoint.id === 'c') as PlannedUnit;
    const inputs = { planned: p, params: { histogramRanges: {}, histogramEdgesHash: 'e1' }, probe: { batch: 2 } };
    // weights 3: update_per_step depends on the steps between b (10) and c (20).
    expect(UNITS.weights.context(inputs)).toBe(shortHash({ init: 'fp-a', prev: 'fp-b', gap: 10 }));
    expect(UNITS.histogram.context(inputs)).toBe(shortHash('e1'));
    expect(UNITS.activations.context(inputs)).toBe(shortHash({ probe: { batch: 2 } }));
    expect(UNITS.gradients.context({ ...inputs, probe: null })).toBe(shortHash({ probe: null }));
    for (const u of ['fits', 'spectra', 'embedding', 'svd-directions'] as const) expect(UNITS[u].context(inputs)).toBe(shortHash({}));
    expect(UNITS['head-spectra'].context(inputs)).toBe(shortHash({ seed: 0x9e3779b9 }));
  });

  it('plans units in dependency order, checkpoints by step, with init, prev and final', () => {
    const planned = planUnits(run(), ['gradients', 'weights', 'svd-directions']);
    expect([...new Set(planned.map((p) => p.unit))]).toEqual(['weights', 'histogram', 'svd-directions', 'gradients']);
    expect(planned.filter((p) => p.unit === 'weights').map((p) => [p.checkpoint.id, p.prev?.id ?? null, p.init.id, p.final.id])).toEqual([
      ['a', null, 'a', 'c'],
      ['b', 'a', 'a', 'c'],
      ['c', 'b', 'a', 'c'],
    ]);
    expect(UNITS.histogram.needsRunParams).toBe(true);
  });

  it('says once per run why a unit cannot run', () => {
    expect(unitPrecondition(run(), 'weights')).toBeNull();
    expect(unitPrecondition(run({ config: null }), 'svd-directions')).toMatch(/no config\.json/);
    expect(unitPrecondition(run({ tokenizerPath: null }), 'svd-directions')).toMatch(/no tokenizer\.json/);
    expect(unitPrecondition(run({ family: 'unknown' }), 'activations')).toMatch(/known architecture/);
    expect(unitPrecondition(run({ family: 'unknown' }), 'svd-directions')).toBeNull();
  });
});
