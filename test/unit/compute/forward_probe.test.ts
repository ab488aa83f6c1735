// Probe batch: the first B x L tokens, row-major, no BOS; too-short texts and bad ids are errors.
import { describe, expect, it } from 'vitest';
import { makeProbeBatch } from '../../../main/compute/probe';

describe('makeProbeBatch', () => {
  it('takes the first B x L tokens row-major', () => {
    const ids = Array.from({ length: 20 }, (_, i) => 100 + i);
    const p = makeProbeBatch(ids, 3, 4);
    expect(p.batch).toBe(3);
    expect(p.seqLen).toBe(4);
    expect(Array.from(p.ids, Number)).toEqual(ids.slice(0, 12));
    // Sequence 1 starts right after sequence 0 ends (no overlap, no BOS).
    expect(Number(p.ids[4])).toBe(104);
  });

  it('refuses texts that are too short, bad shapes and ids outside the vocabulary', () => {
    expect(() => makeProbeBatch([1, 2, 3], 2, 2)).toThrow(/has 3 tokens, 4 are needed/);
    expect(() => makeProbeBatch([1, 2, 3, 4], 0, 2)).toThrow(/positive integers/);
    expect(() => makeProbeBatch([1, 2, 50, 4], 2, 2, 50)).toThrow(/token 2 has id 50/);
    expect(() => makeProbeBatch([1, -1, 3, 4], 2, 2)).toThrow(/token 1/);
  });
});
