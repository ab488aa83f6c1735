// The shard split: deterministic, complete, and balanced by cost (within the classic bound of the
// longest-processing-time rule, checked against the lower bound every split must respect).
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, RunInfo } from '../../../common/domain';
import { planUnits } from '../../../main/jobs/plan';
import { assignShards, parseShardSpec, shardPlanRecord, unitCost, type CostInputs } from '../../../main/jobs/shard';
import { summariseShapes } from '../../../main/jobs/estimate';

/** Shapes of a Pythia-160M-like model (d=768, 12 layers, V=50304). */
const SHAPES = summariseShapes(
  [
    { shape: [50304, 768], role: { component: 'embed', kind: 'weight' } },
    { shape: [50304, 768], role: { component: 'unembed', kind: 'weight' } },
    ...Array.from({ length: 12 }, () => [
      { shape: [2304, 768], role: { component: 'attn.qkv', kind: 'weight' } },
      { shape: [768, 768], role: { component: 'attn.out', kind: 'weight' } },
      { shape: [3072, 768], role: { component: 'mlp.in', kind: 'weight' } },
      { shape: [768, 3072], role: { component: 'mlp.out', kind: 'weight' } },
    ]).flat(),
  ] as Parameters<typeof summariseShapes>[0],
  null,
);
const costs = (bytesOf: (id: string) => number): CostInputs => ({ shapes: SHAPES, config: null, bytesOf, shapesBytes: 2 ** 30 });

function run(n: number): RunInfo {
  const checkpoints: CheckpointInfo[] = Array.from({ length: n }, (_, i) => ({
    id: `step${i * 100}`, label: `step ${i * 100}`, step: i * 100, folder: `/nowhere/${i}`, weightFiles: [], format: 'safetensors',
    dtype: 'F16', fingerprint: `fp${i}`, missing: false, warnings: [],
  }));
  return { id: 'r', name: 'r', layout: 'step-folders', root: '/nowhere', family: 'gpt_neox', config: null, tokenizerPath: null, checkpoints, trainingLog: [], warnings: [] } as RunInfo;
}

describe('parseShardSpec', () => {
  it('reads i/N and rejects what is not a shard of N', () => {
    expect(parseShardSpec('3/8')).toEqual({ index: 3, count: 8 });
    expect(parseShardSpec('0/1')).toEqual({ index: 0, count: 1 });
    expect(() => parseShardSpec('8/8')).toThrow(/i must be 0..7/);
    expect(() => parseShardSpec('1/0')).toThrow(/N must be/);
    expect(() => parseShardSpec('a/4')).toThrow(/i\/N/);
    expect(() => parseShardSpec('-1/4')).toThrow(/i\/N/);
  });
});

describe('assignShards', () => {
  // Checkpoints of very different sizes (e.g. a series whose later revisions add tensors).
  const r = run(40);
  const sizes = new Map(r.checkpoints.map((c, i) => [c.id, (1 + ((i * 7919) % 13)) * 2 ** 28]));
  const bytesOf = (id: string): number => sizes.get(id)!;
  const planned = planUnits(r, ['weights', 'fits', 'spectra', 'embedding']);

  it('gives every unit to exactly one shard, the same way every time', () => {
    const a = assignShards(planned, 7, costs(bytesOf));
    const b = assignShards([...planned], 7, costs(bytesOf));
    expect(a.shardOf).toEqual(b.shardOf);
    expect(a.shardOf).toHaveLength(planned.length);
    for (const s of a.shardOf) expect(s >= 0 && s < 7).toBe(true);
    // The record every shard stores names each unit once.
    const rec = shardPlanRecord(planned, a, 7, ['weights']);
    expect(new Set(rec.units.map(([c, u]) => `${c}/${u}`)).size).toBe(planned.length);
  });

  it('balances each phase by cost within the LPT bound (4/3 of the best possible)', () => {
    for (const n of [2, 3, 8, 16]) {
      const a = assignShards(planned, n, costs(bytesOf));
      for (const second of [false, true]) {
        const idx = planned.map((p, i) => ({ p, i })).filter(({ p }) => (p.unit === 'histogram') === second);
        if (!idx.length) continue;
        const load = new Array<number>(n).fill(0);
        let total = 0;
        let biggest = 0;
        for (const { p, i } of idx) {
          const c = unitCost(p, costs(bytesOf));
          load[a.shardOf[i]] += c;
          total += c;
          biggest = Math.max(biggest, c);
        }
        const lowerBound = Math.max(total / n, biggest);
        expect(Math.max(...load)).toBeLessThanOrEqual(((4 / 3) - 1 / (3 * n)) * lowerBound + 1e-9);
      }
    }
  });

  it('splits by cost, not by count: loads within 5% where a round-robin split by count is not', () => {
    const a = assignShards(planned, 4, costs(bytesOf));
    const roundRobin = [0, 1, 2, 3].map((s) => planned.filter((_, i) => i % 4 === s).reduce((acc, p) => acc + unitCost(p, costs(bytesOf)), 0));
    expect(Math.max(...a.load) / Math.min(...a.load)).toBeLessThan(Math.max(...roundRobin) / Math.min(...roundRobin));
    expect(Math.max(...a.load) / Math.min(...a.load)).toBeLessThan(1.05);
  });

  it('weights streams the init and previous checkpoints too; cost scales with bytes', () => {
    const w = planned.filter((p) => p.unit === 'weights');
    const f = planned.filter((p) => p.unit === 'fits');
    const eq = costs(() => 2 ** 30);
    // First checkpoint: itself only; second: itself + init (== prev); later: itself + init + prev.
    expect(unitCost(w[1], eq) / unitCost(w[0], eq)).toBeCloseTo(1.5, 9);
    expect(unitCost(w[5], eq) / unitCost(w[0], eq)).toBeCloseTo(2, 9);
    // A checkpoint twice the size costs twice as much.
    const big = costs((id) => (id === f[3].checkpoint.id ? 2 ** 31 : 2 ** 30));
    expect(unitCost(f[3], big) / unitCost(f[3], eq)).toBeCloseTo(2, 9);
  });
});
