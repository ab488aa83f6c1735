// The subset syntax shared by `analyze --steps/--every` and the Analyze panel (common/subset.ts).
import { describe, expect, it } from 'vitest';
import { SubsetError, describeSubset, isWholeRun, parseEvery, parseStepsSpec, selectCheckpoints } from '../../../common/subset';

// Pythia's 154 revisions: 0, 1, 2, 4, ..., 512, then every 1000 to 143000.
const PYTHIA = [0, ...Array.from({ length: 10 }, (_, i) => 2 ** i), ...Array.from({ length: 143 }, (_, i) => (i + 1) * 1000)].map((step) => ({ step }));
const steps = (list: Array<{ step: number | null }>): Array<number | null> => list.map((c) => c.step);

describe('parseStepsSpec', () => {
  it('reads ranges with open ends, lists, and "all"', () => {
    expect(parseStepsSpec('1000:5000')).toEqual({ from: 1000, to: 5000 });
    expect(parseStepsSpec(' 512: ')).toEqual({ from: 512 });
    expect(parseStepsSpec(':2000')).toEqual({ to: 2000 });
    expect(parseStepsSpec('143000, 0,1000 1000')).toEqual({ steps: [0, 1000, 143000] });
    expect(parseStepsSpec('')).toEqual({});
    expect(parseStepsSpec('all')).toEqual({});
  });

  it('names what is wrong', () => {
    expect(() => parseStepsSpec('5:1')).toThrow('the first step is after the last');
    expect(() => parseStepsSpec('1:2:3')).toThrow(SubsetError);
    expect(() => parseStepsSpec('0,1k')).toThrow('"1k" is not a step');
    expect(() => parseEvery('0')).toThrow('positive whole number');
    expect(() => parseEvery('2.5')).toThrow(SubsetError);
    expect(parseEvery(' 10 ')).toBe(10);
    expect(parseEvery('')).toBeUndefined();
  });
});

describe('selectCheckpoints', () => {
  it('a range is inclusive at both ends', () => {
    expect(steps(selectCheckpoints(PYTHIA, { from: 256, to: 3000 }))).toEqual([256, 512, 1000, 2000, 3000]);
  });

  it('every K keeps the 1st, (K+1)th, ... of what the steps select, in step order', () => {
    const every10 = selectCheckpoints(PYTHIA, { every: 10 });
    expect(every10).toHaveLength(Math.ceil(154 / 10));
    expect(steps(every10).slice(0, 4)).toEqual([0, 512, 10000, 20000]);
    expect(steps(selectCheckpoints(PYTHIA, { from: 1000, every: 50 }))).toEqual([1000, 51000, 101000]);
  });

  it('a list selects exactly those steps and refuses one the run lacks, naming its neighbours', () => {
    expect(steps(selectCheckpoints(PYTHIA, { steps: [0, 1000, 143000] }))).toEqual([0, 1000, 143000]);
    expect(() => selectCheckpoints(PYTHIA, { steps: [0, 1500, 150000] })).toThrow('no checkpoint at step 1500 (nearest: 1000 or 2000), 150000 (nearest: 143000)');
  });

  it('an empty selection is an error; no subset is the whole run', () => {
    expect(() => selectCheckpoints(PYTHIA, { from: 600, to: 900 })).toThrow('no checkpoint of the run matches steps 600:900');
    expect(selectCheckpoints(PYTHIA, undefined)).toHaveLength(154);
    expect(isWholeRun({ every: 1 })).toBe(true);
    expect(describeSubset({ from: 0, to: 1000, every: 3 })).toBe('steps 0:1000, every 3rd checkpoint');
    expect(describeSubset({ every: 11 })).toBe('every 11th checkpoint');
  });
});
