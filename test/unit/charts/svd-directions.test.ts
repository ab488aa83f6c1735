// SVD directions: token matches with the final checkpoint, sign-agnostic, averaged per block.
import { describe, expect, it } from 'vitest';
import { asSvdDirectionsFrame, closenessToFinal, matchesWithFinal, svdTableRows, tokenMatches } from '../../../common/charts/svd-directions';

const dir = (block: number, index: number, tokens: string[], neg: string[] = []) => ({ component: 'mlp.out', block, head: null, index, tokens, neg_tokens: neg });

describe('svd directions', () => {
  it('counts exact matches once', () => {
    expect(tokenMatches(['a', 'b', 'b', 'c'], ['b', 'c', 'd'])).toBe(2);
  });

  it('keeps the better sign', () => {
    const f = asSvdDirectionsFrame({ directions: [dir(0, 0, ['x', 'y'], ['p', 'q'])] })!.directions[0]!;
    const flipped = asSvdDirectionsFrame({ directions: [dir(0, 0, ['p', 'q'], ['x', 'z'])] })!.directions[0]!;
    expect(matchesWithFinal(flipped, f)).toBe(3);
  });

  it('closeness per block and averaged; the final frame matches itself fully', () => {
    const early = asSvdDirectionsFrame({ directions: [dir(0, 0, ['a', 'b']), dir(0, 1, ['c', 'd']), dir(1, 0, ['e', 'f'])] });
    const final = asSvdDirectionsFrame({ directions: [dir(0, 0, ['a', 'z']), dir(0, 1, ['c', 'd']), dir(1, 0, ['y', 'w'])] });
    const c = closenessToFinal([early, null, final]);
    expect(c.perBlock.get('block 0')!.values).toEqual([1.5, null, 2]);
    expect(c.perBlock.get('block 1')!.values).toEqual([0, null, 2]);
    expect(c.average).toEqual([1, null, 2]);
    expect(svdTableRows(final!, { block: 0, component: 'mlp.out' }).map((d) => d.tokens[0])).toEqual(['a', 'c']);
  });
});

describe('svd directions with token ids (engine frames)', () => {
  it('matches by id, so two ids decoding to the same string are not confused', () => {
    const a = asSvdDirectionsFrame({ directions: [{ component: 'mlp.out', block: 0, head: null, index: 0, top: [5, 6], bottom: [7], tokens: ['\ufffd', '\ufffd'], neg_tokens: ['x'] }] })!.directions[0]!;
    const f = asSvdDirectionsFrame({ directions: [{ component: 'mlp.out', block: 0, head: null, index: 0, top: [9, 10], bottom: [7], tokens: ['\ufffd', '\ufffd'], neg_tokens: ['x'] }] })!.directions[0]!;
    // ids: top {5,6} vs {9,10} share nothing; bottom {7} vs {7} match -> 1.
    expect(matchesWithFinal(a, f)).toBe(1);
    // By strings the two different byte tokens would also have matched -> 2.
    expect(matchesWithFinal({ ...a, topIds: null }, f)).toBe(2);
    expect(tokenMatches(a.tokens, f.tokens)).toBe(1);
  });

  it('tokenForDisplay makes invisible characters visible and leaves the rest as it is', async () => {
    const { tokenForDisplay } = await import('../../../common/charts/svd-directions');
    expect(tokenForDisplay('\n')).toBe('\\n');
    expect(tokenForDisplay(' the\t')).toBe(' the\\t');
    expect(tokenForDisplay('\u000b\u0085')).toBe('\\u000b\\u0085');
    expect(tokenForDisplay('"')).toBe('"');
    expect(tokenForDisplay('\\xe2')).toBe('\\xe2');
    expect(tokenForDisplay('café')).toBe('café');
  });
});

