// "Closeness to final" of SVD directions is computed once (common/analyses/svd-directions.ts): the
// export (svd_directions.jsonl's matches_final, closeness_per_block, closeness_mean) and the app's
// curve (common/charts closenessToFinal) give the same numbers for the same stored frames, equal to
// a naive count of DOMAIN.md's definition (how many of the final list's top-K tokens are in this
// checkpoint's list for the same direction, best of both signs; 0..K).
import { describe, expect, it } from 'vitest';
import { svdDirectionsExportShape, type StoredDirection } from '../../../common/analyses/svd-directions';
import { asSvdDirectionsFrame, closenessToFinal } from '../../../common/charts/svd-directions';

const K = 20;

/** Deterministic pseudo-random token lists (a small LCG, ids 0..59 so that lists overlap). */
function frame(seed: number, blocks: number, perBlock: number): StoredDirection[] {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2147483648) % 60;
  const list = (): number[] => {
    const out = new Set<number>();
    while (out.size < K) out.add(next());
    return [...out];
  };
  const dirs: StoredDirection[] = [];
  for (let block = 0; block < blocks; block++)
    for (let index = 0; index < perBlock; index++) {
      const top = list();
      const bottom = list();
      dirs.push({ component: index % 2 ? 'attn.ov' : 'mlp.out', block, head: index % 2 ? 0 : null, index, singular_value: 1, top, bottom, tokens: top.map(String), neg_tokens: bottom.map(String) });
    }
  return dirs;
}

function naive(d: StoredDirection, f: StoredDirection): number {
  return Math.max(f.top.filter((t) => d.top.includes(t)).length, f.top.filter((t) => d.bottom.includes(t)).length);
}

describe('closeness to final, one definition', () => {
  const early = frame(7, 3, 6);
  const final = frame(99, 3, 6);

  it('export: matches are the naive count, 0..K; blocks and mean follow', () => {
    const out = svdDirectionsExportShape({ directions: early }, { directions: final }) as {
      directions: Array<{ matches_final: number }>;
      closeness_per_block: Record<string, number>;
      closeness_mean: number;
    };
    const expected = early.map((d, i) => naive(d, final[i]));
    expect(out.directions.map((d) => d.matches_final)).toEqual(expected);
    expect(Math.max(...expected)).toBeLessThanOrEqual(K);
    const blockMean = (b: number): number => expected.slice(b * 6, b * 6 + 6).reduce((a, x) => a + x, 0) / 6;
    expect(out.closeness_per_block).toEqual({ 0: blockMean(0), 1: blockMean(1), 2: blockMean(2) });
    expect(out.closeness_mean).toBeCloseTo((blockMean(0) + blockMean(1) + blockMean(2)) / 3, 12);
    // The final checkpoint against itself: every direction K.
    const self = svdDirectionsExportShape({ directions: final }, { directions: final }) as { closeness_mean: number };
    expect(self.closeness_mean).toBe(K);
  });

  it('the app curve reads the same numbers as the export', () => {
    const out = svdDirectionsExportShape({ directions: early }, { directions: final }) as { closeness_per_block: Record<string, number>; closeness_mean: number };
    const c = closenessToFinal([asSvdDirectionsFrame({ directions: early }), asSvdDirectionsFrame({ directions: final })]);
    expect(c.average[0]).toBe(out.closeness_mean);
    expect(c.average[1]).toBe(K);
    for (const b of [0, 1, 2]) expect(c.perBlock.get(`block ${b}`)!.values[0]).toBe(out.closeness_per_block[b]);
  });

  it('a direction without tokens (NaN weights) leaves its block and the mean empty in both', () => {
    const broken = early.map((d, i) => (i === 0 ? { ...d, top: [], bottom: [], tokens: [], neg_tokens: [] } : d));
    const out = svdDirectionsExportShape({ directions: broken }, { directions: final }) as { directions: Array<{ matches_final: number | null }>; closeness_per_block: Record<string, number | null>; closeness_mean: number | null };
    expect(out.directions[0].matches_final).toBeNull();
    expect(out.closeness_per_block[0]).toBeNull();
    expect(out.closeness_per_block[1]).not.toBeNull();
    expect(out.closeness_mean).toBeNull();
    const c = closenessToFinal([asSvdDirectionsFrame({ directions: broken }), asSvdDirectionsFrame({ directions: final })]);
    expect(c.perBlock.get('block 0')!.values[0]).toBeNull();
    expect(c.average[0]).toBeNull();
  });
});
