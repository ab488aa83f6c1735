// A run's frame at a point of a comparison's shared timeline: its own at that position, else its
// latest computed one before it; none before its first; positions through the run's own step map.
import { describe, expect, it } from 'vitest';
import { frameAtPoint } from '../../../renderer/src/views/animations/timeline-point';

describe('frameAtPoint', () => {
  const steps = [0, 10, 20, 40];
  const frames = [{}, null, {}, {}];
  it('the frame at the position, or the latest present before it', () => {
    const id = (s: number) => s;
    expect([0, 5, 10, 19, 20, 39, 40, 1000].map((x) => frameAtPoint(steps, frames, { x, xOf: id }))).toEqual([0, 0, 0, 0, 2, 2, 3, 3]);
    expect(frameAtPoint(steps, frames, { x: -1, xOf: id })).toBe(-1);
    expect(frameAtPoint(steps, [null, null, null, null], { x: 100, xOf: id })).toBe(-1);
  });
  it('positions in tokens seen through the run’s map', () => {
    const tokens = (s: number) => s * 2048;
    expect(frameAtPoint(steps, frames, { x: 25 * 2048, xOf: tokens })).toBe(2);
    expect(frameAtPoint(steps, frames, { x: 25, xOf: tokens })).toBe(0);
  });
});
