// SVD directions in the charts: token matches with the final checkpoint (DOMAIN.md: how many of the
// final list's tokens are in this list, best of both signs), per block, and the mean of the blocks.
import { describe, expect, it } from 'vitest';
import { asSvdDirectionsFrame, closenessToFinal, matchesWithFinal, svdTableRows } from '../../../common/charts/svd-directions';

const dir = (block: number, index: number, tokens: string[], neg: string[] = []) => ({ component: 'mlp.out', block, head: null, index, tokens, neg_tokens: neg });

describe('svd directions', () => {
  it('keeps the better sign', () => {
    const f = asSvdDirectionsFrame({ directions: [dir(0, 0, ['x', 'y'], ['p', 'q'])] })!.directions[0];
    const flipped = asSvdDirectionsFrame({ directions: [dir(0, 0, ['p', 'q'], ['x', 'z'])] })!.directions[0];
    // final's list {x, y}: none in the flipped top list, x in its bottom list.
    expect(matchesWithFinal(flipped, f)).toBe(1);
    expect(matchesWithFinal(f, f)).toBe(2);
  });

  it('closeness per block and averaged; the final frame matches itself fully', () => {
    const early = asSvdDirectionsFrame({ directions: [dir(0, 0, ['a', 'b']), dir(0, 1, ['c', 'd']), dir(1, 0, ['e', 'f'])] });
    const final = asSvdDirectionsFrame({ directions: [dir(0, 0, ['a', 'z']), dir(0, 1, ['c', 'd']), dir(1, 0, ['y', 'w'])] });
    const c = closenessToFinal([early, null, final]);
    expect(c.perBlock.get('block 0')!.values).toEqual([1.5, null, 2]);
    expect(c.perBlock.get('block 1')!.values).toEqual([0, null, 2]);
    // The mean of the block means (1.5 and 0), as the export writes closeness_mean.
    expect(c.average).toEqual([0.75, null, 2]);
    expect(svdTableRows(final!, { block: 0, component: 'mlp.out' }).map((d) => d.tokens[0])).toEqual(['a', 'c']);
  });
});

describe('svd directions with token ids (engine frames)', () => {
  it('matches by id, so two ids decoding to the same string are not confused', () => {
    const a = asSvdDirectionsFrame({ directions: [{ component: 'mlp.out', block: 0, head: null, index: 0, top: [5, 6], bottom: [7], tokens: ['\ufffd', '\ufffd'], neg_tokens: ['x'] }] })!.directions[0];
    const f = asSvdDirectionsFrame({ directions: [{ component: 'mlp.out', block: 0, head: null, index: 0, top: [9, 10], bottom: [7], tokens: ['\ufffd', '\ufffd'], neg_tokens: ['x'] }] })!.directions[0];
    // ids: the final list {9, 10} is in neither {5, 6} nor {7} -> 0.
    expect(matchesWithFinal(a, f)).toBe(0);
    // By strings the two different byte tokens would have matched -> 1.
    expect(matchesWithFinal({ ...a, topIds: null }, f)).toBe(1);
  });

  it('tokenForDisplay makes whitespace and invisible characters visible (as the correlation view) and leaves the rest as it is', async () => {
    const { tokenForDisplay } = await import('../../../common/charts/svd-directions');
    expect(tokenForDisplay('\n')).toBe('↵');
    expect(tokenForDisplay(' the\t')).toBe('␣the⇥');
    expect(tokenForDisplay('\u000b\u0085')).toBe('\\x0b\\x85');
    expect(tokenForDisplay('')).toBe('∅');
    expect(tokenForDisplay('"')).toBe('"');
    expect(tokenForDisplay('\\xe2')).toBe('\\xe2');
    expect(tokenForDisplay('café')).toBe('café');
  });
});

