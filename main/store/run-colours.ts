// A run's colour is a property of the run (issue 20): a palette slot (common/charts/compare.ts
// RUN_SLOTS, colour x line type) assigned once, when the run enters the library, and kept in the
// cache with the run's other parameters (run_params). The slot chosen is the one fewest library
// runs hold (nextColourSlot), so the first 27 runs all differ. The API's RunSummary carries it
// (`colourSlot`), the views and the comparison exporter turn the shown runs' slots into colours
// with the same runStyles, and the user may choose another (setRunColour). Removing a run from
// the library drops its parameters, so it frees its slot.
import { nextColourSlot, RUN_SLOTS } from '../../common/charts/compare';
import type { Store } from './store';

const KEY = 'colour_slot';

function validSlot(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < RUN_SLOTS;
}

/** The run's stored slot, or null when none is stored (or what is stored is not a slot). */
export function storedColourSlot(store: Store, runId: string): number | null {
  const v = store.getParam<unknown>(runId, KEY);
  return validSlot(v) ? v : null;
}

/**
 * The run's slot, assigning (and storing) one when it has none yet. A cache that refuses the
 * write (read-only, full) still answers: the slot is the same one, chosen again next time.
 */
export function runColourSlot(store: Store, runId: string): number {
  const stored = storedColourSlot(store, runId);
  if (stored !== null) return stored;
  const used: number[] = [];
  for (const r of store.listRuns()) {
    if (r.id === runId) continue;
    const s = storedColourSlot(store, r.id);
    if (s !== null) used.push(s);
  }
  const slot = nextColourSlot(used);
  try {
    store.setParam(runId, KEY, slot);
  } catch {
    // Not stored: the colour holds for this answer only (the next read assigns it again).
  }
  return slot;
}

/** The user's choice of slot for a run; false when the run is no longer in the library (nothing stored). */
export function setRunColourSlot(store: Store, runId: string, slot: number): boolean {
  if (!validSlot(slot)) throw new RangeError(`a colour slot is a whole number 0..${RUN_SLOTS - 1}, not ${slot}`);
  return store.setParam(runId, KEY, slot);
}
