import { describe, expect, it } from 'vitest';
import { labelledPositions, shortToken, tokenCaption, visibleToken } from '../../../common/charts/tokens';

describe('visibleToken', () => {
  it('makes whitespace visible and escapes control characters', () => {
    expect(visibleToken(' the')).toBe('␣the');
    expect(visibleToken('\n\n')).toBe('↵↵');
    expect(visibleToken('\t x\r')).toBe('⇥␣x␍');
    expect(visibleToken('\u0000a\u007f')).toBe('\\x00a\\x7f');
    expect(visibleToken('\u00a0')).toBe('\\u00a0');
    expect(visibleToken('')).toBe('∅');
    expect(visibleToken('é😀')).toBe('é😀');
    // The engine's escape for a partial UTF-8 byte passes through as written.
    expect(visibleToken('\\xe2')).toBe('\\xe2');
  });
  it('captions and label positions', () => {
    expect(tokenCaption(300, ' of')).toBe('300 ␣of');
    expect(tokenCaption(7, null)).toBe('7');
    expect(labelledPositions(10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(labelledPositions(128, 32)).toEqual(Array.from({ length: 32 }, (_, i) => i * 4));
    expect(labelledPositions(100, 32)).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 76, 80, 84, 88, 92, 96]);
  });
  it('short axis labels: runs of one character counted, long tokens cut', () => {
    expect(shortToken('                ')).toBe('␣×16');
    expect(shortToken('\n\n\n\n')).toBe('↵×4');
    expect(shortToken(' the')).toBe('␣the');
    expect(shortToken('internationalisation')).toBe('internati…');
    expect(shortToken('aaa')).toBe('aaa');
  });
});
