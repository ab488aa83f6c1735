// The sweep's unit order (main/jobs/schedule.ts): longest first, the fits unit right after the
// weights unit of its checkpoint on the same lane, units added later sorted in; and the timeline's
// per-lane summary (main/jobs/timeline.ts) against hand-computed busy, idle and tail seconds.
import { describe, expect, it } from 'vitest';
import { UnitQueue } from '../../../main/jobs/schedule';
import { summarise, type TimelineEvent } from '../../../main/jobs/timeline';
import type { UnitName } from '../../../main/jobs/plan';

interface Item {
  p: { unit: UnitName; checkpoint: { id: string; dtype?: string } };
}
const item = (unit: UnitName, id: string, dtype?: string): Item => ({ p: { unit, checkpoint: { id, ...(dtype ? { dtype } : {}) } } });
const name = (it: Item | null): string => (it ? `${it.p.unit}@${it.p.checkpoint.id}` : 'none');

// Seconds per unit like the 160m-shaped sweep's (BENCHMARKS.md): spectra longest, histograms shortest.
const SECONDS: Partial<Record<UnitName, number>> = { weights: 4, fits: 6, spectra: 11, histogram: 2 };
const plan = (units: UnitName[], ids: string[]): Item[] => units.flatMap((u) => ids.map((id) => item(u, id)));

/** List scheduling on `lanes` lanes: each free lane takes the queue's next unit; returns the makespan and each lane's units. */
function simulate(queue: UnitQueue<Item>, lanes: number, gated: Item[] = [], seconds: Partial<Record<UnitName, number>> = SECONDS): { makespan: number; byLane: string[][] } {
  const free = Array.from({ length: lanes }, () => 0);
  const byLane: string[][] = Array.from({ length: lanes }, () => []);
  let weightsLeft = queue.waiting().filter((i) => i.p.unit === 'weights').length;
  let weightsDone = 0;
  for (;;) {
    const lane = free.indexOf(Math.min(...free));
    const it = queue.take(lane);
    if (!it) break;
    const start = it.p.unit === 'histogram' ? Math.max(free[lane], weightsDone) : free[lane];
    free[lane] = start + (seconds[it.p.unit] ?? 0);
    byLane[lane].push(name(it));
    if (it.p.unit === 'weights') {
      weightsDone = Math.max(weightsDone, free[lane]);
      if (--weightsLeft === 0) queue.add(gated);
    }
  }
  return { makespan: Math.max(...free), byLane };
}

describe('the sweep unit queue', () => {
  it('hands out the longest units first and keeps a fits unit right after its weights unit on the same lane', () => {
    const q = new UnitQueue(plan(['weights', 'fits', 'spectra'], ['a', 'b']), (i) => SECONDS[i.p.unit] ?? 0);
    // Chains weights+fits weigh 10 s, spectra 11 s: both spectra go first, in plan order.
    expect(name(q.take(0))).toBe('spectra@a');
    expect(name(q.take(1))).toBe('spectra@b');
    expect(name(q.take(1))).toBe('weights@a');
    expect(name(q.take(0))).toBe('weights@b');
    // Each lane gets the rest of its own chain, whatever the other lane does.
    expect(name(q.take(0))).toBe('fits@b');
    expect(name(q.take(1))).toBe('fits@a');
    expect(q.pending).toBe(0);
    expect(q.take(0)).toBeNull();
  });

  it('queues a fits unit alone when its weights unit is not in the list (cached)', () => {
    const q = new UnitQueue([item('fits', 'a'), item('weights', 'b'), item('fits', 'b')], (i) => SECONDS[i.p.unit] ?? 0);
    expect(['weights@b', 'fits@b', 'fits@a'].map(() => name(q.take(0)))).toEqual(['weights@b', 'fits@b', 'fits@a']);
  });

  it('sorts units added later in with the ones still waiting', () => {
    const q = new UnitQueue([item('histogram', 'a'), item('spectra', 'a')], (i) => SECONDS[i.p.unit] ?? 0);
    expect(name(q.take(0))).toBe('spectra@a');
    q.add([item('spectra', 'b'), item('weights', 'c')]);
    expect([0, 0, 0].map(() => name(q.take(1)))).toEqual(['spectra@b', 'weights@c', 'histogram@a']);
  });

  it('keeps the plan order when there are no estimates', () => {
    const items = plan(['weights', 'spectra'], ['a', 'b']);
    const q = new UnitQueue(items, () => 0);
    expect(items.map(() => name(q.take(0)))).toEqual(items.map(name));
  });

  it('on 2 lanes, 3 checkpoints: 35 s, against 40 s for the plan order with the histograms after every other unit (69 unit-s)', () => {
    const ids = ['a', 'b', 'c'];
    const longest = simulate(new UnitQueue(plan(['weights', 'fits', 'spectra'], ids), (i) => SECONDS[i.p.unit] ?? 0), 2, plan(['histogram'], ids));
    // By hand: lane 0 spectra a 0-11, spectra c 11-22, weights c 22-26, fits c 26-32, histogram b 32-34;
    // lane 1 spectra b 0-11, weights a 11-15, fits a 15-21, weights b 21-25, fits b 25-31, histograms a 31-33, c 33-35.
    expect(longest.byLane).toEqual([
      ['spectra@a', 'spectra@c', 'weights@c', 'fits@c', 'histogram@b'],
      ['spectra@b', 'weights@a', 'fits@a', 'weights@b', 'fits@b', 'histogram@a', 'histogram@c'],
    ]);
    expect(longest.makespan).toBe(35);
    // Before (main/jobs/manager.ts until this change): the plan's order, the histograms after all the rest.
    // Lane 0 W a 0-4, W c 4-8, F b 8-14, S a 14-25, S c 25-36; lane 1 W b 0-4, F a 4-10, F c 10-16, S b 16-27;
    // histograms from 36: a and b 36-38, c 38-40.
    const free = [0, 0];
    for (const it of plan(['weights', 'fits', 'spectra'], ids)) {
      const lane = free.indexOf(Math.min(...free));
      free[lane] += SECONDS[it.p.unit] ?? 0;
    }
    const barrier = Math.max(...free);
    expect(barrier).toBe(36);
    expect(barrier + 2 * (SECONDS.histogram ?? 0)).toBe(40);
  });
});

describe('the sweep unit queue on 16-bit checkpoints (nothing kept between weights and fits)', () => {
  // Seconds in the ratios of the float16 160m-shaped sweep after the code census (BENCHMARKS.md).
  const S16: Partial<Record<UnitName, number>> = { spectra: 10, weights: 2, fits: 3, histogram: 1 };
  const plan16 = (dtype?: string): Item[] => (['weights', 'fits', 'spectra'] as UnitName[]).flatMap((u) => ['a', 'b', 'c'].map((id) => item(u, id, dtype)));
  const hist16 = (dtype?: string): Item[] => ['a', 'b', 'c'].map((id) => item('histogram', id, dtype));

  it('hands out every weights unit (ranked as its pair) before the fits units, which any lane may take', () => {
    const q = new UnitQueue(plan16('F16'), (i) => S16[i.p.unit] ?? 0);
    expect([0, 1, 0, 1, 1, 1, 1, 0, 1].map((lane) => name(q.take(lane)))).toEqual([
      'spectra@a', 'spectra@b', 'spectra@c', 'weights@a', 'weights@b', 'weights@c', 'fits@a', 'fits@b', 'fits@c',
    ]);
  });

  it('on 2 lanes, 3 checkpoints: 24 s, against 25 s when each fits unit waits on its weights unit\'s lane', () => {
    // By hand, float16: lane 0 S a 0-10, S c 10-20, F c 20-23, H b 23-24; lane 1 S b 0-10, W a 10-12,
    // W b 12-14, W c 14-16 (the histograms are ready from 16), F a 16-19, F b 19-22, H a 22-23, H c 23-24.
    const half = simulate(new UnitQueue(plan16('F16'), (i) => S16[i.p.unit] ?? 0), 2, hist16('F16'), S16);
    expect(half.byLane).toEqual([
      ['spectra@a', 'spectra@c', 'fits@c', 'histogram@b'],
      ['spectra@b', 'weights@a', 'weights@b', 'weights@c', 'fits@a', 'fits@b', 'histogram@a', 'histogram@c'],
    ]);
    expect(half.makespan).toBe(24);
    // Float32 (chained): lane 0 S a 0-10, S c 10-20, W c 20-22, F c 22-25; lane 1 S b 0-10, W a, F a
    // 10-15, W b, F b 15-20, then the histograms wait for W c: 22-23, 23-24, 24-25.
    const chained = simulate(new UnitQueue(plan16('F32'), (i) => S16[i.p.unit] ?? 0), 2, hist16('F32'), S16);
    expect(chained.byLane[0]).toEqual(['spectra@a', 'spectra@c', 'weights@c', 'fits@c']);
    expect(chained.makespan).toBe(25);
  });
});

describe('the sweep timeline summary', () => {
  it('gives each lane its first unit, busy, idle and tail seconds', () => {
    const ev = (t: number, lane: number, what: TimelineEvent['what']): TimelineEvent => ({ t, lane, what });
    const s = summarise([
      ev(500, -1, 'job-start'),
      ev(600, 0, 'begin'), ev(4600, 0, 'end'), ev(5600, 0, 'begin'), ev(9600, 0, 'end'),
      ev(700, 1, 'begin'), ev(2700, 1, 'end'), ev(2700, 1, 'begin'), ev(12600, 1, 'end'),
      ev(12700, -1, 'exit'),
    ]);
    expect(s.jobStart).toBe(0.5);
    expect(s.lastUnitEnd).toBe(12.6);
    expect(s.exit).toBe(12.7);
    expect(s.lanes).toEqual([
      { lane: 0, units: 2, firstUnitAt: 0.1, busy: 8, idle: 1, tail: 3 },
      { lane: 1, units: 2, firstUnitAt: 0.2, busy: 11.9, idle: 0, tail: 0 },
    ]);
  });
});
