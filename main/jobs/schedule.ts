// The order in which a sweep's units go to the worker lanes (main/jobs/manager.ts runPool). With
// few lanes and units of very different lengths (a checkpoint's spectra unit takes several times
// its weights unit), the order decides how long a lane sits idle at the end of the sweep: the plan's
// order (all statistics, all fits, all spectra, then the histograms) left one core idle while
// the other finished the last spectra unit (BENCHMARKS.md "Measurements behind design choices").
//
// Longest first (list scheduling by expected seconds), with two rules:
//  - chains: a unit that reuses what the previous unit of the same checkpoint left in the worker
//    (the fits unit takes the weights unit's moments: main/jobs/units/kept-moments.ts) runs right
//    after it on the same lane; the pair is ordered by its summed seconds. A checkpoint stored in
//    16-bit floats keeps nothing between them (its units count codes: main/jobs/units/codes.ts),
//    so there the follower is queued on its own (any free lane takes it) and the unit before it
//    keeps the pair's rank: the weights units, which gate the histograms, go first, and the
//    histograms can fill the lanes' ends instead of waiting behind the last weights + fits pair
//    (BENCHMARKS.md, "Measurements behind design choices").
//  - dependencies: units that need run-wide parameters (the histograms' bins, from every
//    checkpoint's statistics: main/jobs/run-params.ts) are added once those are known, and a
//    lane with nothing ready waits for them instead of ending.
import type { ModelConfig } from '../../common/domain';
import type { Store } from '../store/store';
import type { Probe, RunShapes } from './cost';
import { fixedCost, loadCalibration, unitWork } from './estimate';
import type { UnitName } from './plan';

/** Units that reuse the previous unit of the same checkpoint when it ran in the same worker. */
export const CHAINED_AFTER: Readonly<Partial<Record<UnitName, UnitName>>> = { fits: 'weights' };

export interface Schedulable {
  p: { unit: UnitName; checkpoint: { id: string; dtype?: string | null } };
}

/** Dtypes whose units keep nothing for the next unit of their checkpoint (they count codes). */
const UNCHAINED_DTYPES: ReadonlySet<string> = new Set(['F16', 'BF16']);

interface Chain<T> {
  items: T[];
  seconds: number;
  /** Position in the order the items were given (ties keep it). */
  order: number;
}

/**
 * A queue of chains ordered by expected seconds, longest first. `take(lane)` gives a lane the
 * rest of its chain first, then the head of the queue; null when nothing is ready.
 */
export class UnitQueue<T extends Schedulable> {
  private chains: Chain<T>[] = [];
  private readonly rest = new Map<number, T[]>();
  private added = 0;

  constructor(
    items: readonly T[],
    private readonly seconds: (item: T) => number,
  ) {
    this.add(items);
  }

  /** Queue more units (the ones whose dependencies are now met). */
  add(items: readonly T[]): void {
    const byKey = new Map<string, T>();
    for (const it of items) byKey.set(`${it.p.unit}\u0000${it.p.checkpoint.id}`, it);
    const chains: Chain<T>[] = [];
    const followers = Object.entries(CHAINED_AFTER) as Array<[UnitName, UnitName]>;
    const follower = (cur: T): T | undefined => {
      const f = followers.find(([, after]) => after === cur.p.unit);
      return f ? byKey.get(`${f[0]}\u0000${cur.p.checkpoint.id}`) : undefined;
    };
    for (const it of items) {
      const chained = !UNCHAINED_DTYPES.has(it.p.checkpoint.dtype ?? '');
      // A follower whose predecessor is queued with it joins that chain below.
      const pred = CHAINED_AFTER[it.p.unit];
      if (chained && pred && byKey.has(`${pred}\u0000${it.p.checkpoint.id}`)) continue;
      const members = [it];
      let seconds = this.seconds(it);
      for (let cur = it, next = follower(cur); next; cur = next, next = follower(cur)) {
        seconds += this.seconds(next);
        if (chained) members.push(next);
      }
      // Unchained: the follower is its own entry (above); this unit keeps the pair's rank.
      chains.push({ items: members, seconds, order: this.added++ });
    }
    this.chains = [...this.chains, ...chains].sort((a, b) => b.seconds - a.seconds || a.order - b.order);
  }

  /** The next unit for `lane`, or null when none is ready. */
  take(lane: number): T | null {
    const rest = this.rest.get(lane);
    if (rest?.length) return rest.shift() ?? null;
    const chain = this.chains.shift();
    if (!chain) return null;
    this.rest.set(lane, chain.items.slice(1));
    return chain.items[0];
  }

  /** The units not handed out yet. */
  waiting(): T[] {
    return [...this.chains.flatMap((c) => c.items), ...[...this.rest.values()].flat()];
  }

  /** How many units are not handed out yet. */
  get pending(): number {
    let n = this.chains.reduce((a, c) => a + c.items.length, 0);
    for (const r of this.rest.values()) n += r.length;
    return n;
  }
}

/**
 * Expected seconds of one unit on this machine: its descriptor's work from the run's shapes times
 * the calibrated rate (main/jobs/estimate.ts), or 0 for every unit (the plan's order) when the
 * sweep has no estimate.
 */
export function expectedSeconds(store: Store, est: { shapes: RunShapes; config: ModelConfig | null; probe?: Probe } | undefined): (unit: UnitName) => number {
  if (!est) return () => 0;
  const memo = new Map<UnitName, number>();
  return (unit) => {
    let s = memo.get(unit);
    if (s === undefined) memo.set(unit, (s = fixedCost(unit).seconds + loadCalibration(store, unit).rate * unitWork(unit, est.shapes, est.probe ?? {}, est.config)));
    return s;
  };
}
