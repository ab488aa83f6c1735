// What a sweep really took, for the comparison with its estimate and for the calibration
// (main/jobs/estimate.ts): each unit's wall seconds, and the process's resident memory sampled
// every 50 ms, attributed to the unit kinds running at that moment. On Linux the kernel's own
// high-water mark (VmHWM) is read too: when it rose during the sweep, it is the exact peak (a
// spike between two samples is not missed).
import { readFileSync } from 'node:fs';
import type { KindObservation } from './estimate';
import type { UnitName } from './plan';

const SAMPLE_MS = 50;

function vmHwm(): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export class SweepMeter {
  readonly baseRss = process.memoryUsage.rss();
  private readonly hwmAtStart = vmHwm();
  private peak = this.baseRss;
  private readonly running = new Map<object, { unit: UnitName; t0: number }>();
  private readonly kinds = new Map<UnitName, KindObservation>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** A unit started (called again on its progress events: only the first call counts). */
  begin(item: object, unit: UnitName): void {
    if (this.running.has(item)) return;
    this.running.set(item, { unit, t0: performance.now() });
    this.kind(unit);
    this.sample();
  }

  /** A unit ended; only computed units count towards the rates. */
  end(item: object, computed: boolean): void {
    const r = this.running.get(item);
    if (!r) return;
    this.sample();
    this.running.delete(item);
    if (!computed) return;
    const k = this.kind(r.unit);
    k.count++;
    k.unitSeconds += (performance.now() - r.t0) / 1000;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Peak resident bytes of the process during the sweep. */
  peakBytes(): number {
    const hwm = vmHwm();
    if (hwm !== null && this.hwmAtStart !== null && hwm > this.hwmAtStart) return Math.max(this.peak, hwm);
    return this.peak;
  }

  observations(): KindObservation[] {
    return [...this.kinds.values()].filter((k) => k.count > 0).map((k) => ({ ...k }));
  }

  private kind(unit: UnitName): KindObservation {
    let k = this.kinds.get(unit);
    if (!k) this.kinds.set(unit, (k = { unit, count: 0, unitSeconds: 0, peakRss: this.baseRss }));
    return k;
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    for (const r of this.running.values()) {
      const k = this.kind(r.unit);
      if (rss > k.peakRss) k.peakRss = rss;
    }
  }
}
