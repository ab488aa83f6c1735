// Checkpoint subsets: which checkpoints of a run an analysis covers (`analyze --steps a:b`,
// `--every K`, `--steps 0,1000,143000`, and the same fields in the app's Analyze panel).
//
// One parser and one selection rule for the CLI and the UI, so that the same text selects the
// same checkpoints everywhere. Pure functions on plain data (no main/ or renderer/ imports).
//
// Rule: the step filter (an inclusive range, or an exact list of steps) is applied first, then
// `every K` keeps every K-th of the remaining checkpoints in step order, starting with the first.
// A listed step that the run does not have is an error naming it and its nearest neighbours
// (a silent skip would let a typo go unnoticed). The units planned for a subset keep the run's own
// init, previous and final checkpoints as references, so their stamps equal those of a full run:
// a later full run reuses them and computes only the rest (main/jobs/plan.ts).
import type { CheckpointSubset } from './api';

/** The step part of a subset parsed from text: "a:b" (either end may be empty) or "s1,s2,...". */
export type StepsSpec = Pick<CheckpointSubset, 'from' | 'to' | 'steps'>;

export class SubsetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubsetError';
  }
}

const NUMBER = /^-?\d+(?:\.\d+)?(?:e\d+)?$/i;

/** Parse the text of `--steps` (or the panel's Steps field); empty text selects every step. */
export function parseStepsSpec(text: string): StepsSpec {
  const t = text.trim();
  if (t === '' || t === '*' || t.toLowerCase() === 'all') return {};
  if (t.includes(':')) {
    const m = /^\s*([^:]*?)\s*:\s*([^:]*?)\s*$/.exec(t);
    const [a, b] = [m?.[1] ?? '', m?.[2] ?? ''];
    if (!m || (a !== '' && !NUMBER.test(a)) || (b !== '' && !NUMBER.test(b))) {
      throw new SubsetError(`steps "${text}": a range looks like A:B (e.g. 0:1000, 512:, :2000)`);
    }
    const out: StepsSpec = {};
    if (a !== '') out.from = Number(a);
    if (b !== '') out.to = Number(b);
    if (out.from !== undefined && out.to !== undefined && out.from > out.to) throw new SubsetError(`steps "${text}": the first step is after the last`);
    return out;
  }
  const parts = t.split(/[\s,]+/).filter(Boolean);
  const bad = parts.find((p) => !NUMBER.test(p));
  if (bad !== undefined) throw new SubsetError(`steps "${text}": "${bad}" is not a step (use A:B for a range or a comma-separated list such as 0,1000,143000)`);
  return { steps: [...new Set(parts.map(Number))].sort((x, y) => x - y) };
}

/** Parse `--every K` (or the panel's field); empty means every checkpoint. */
export function parseEvery(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const k = Number(t);
  if (!Number.isInteger(k) || k < 1) throw new SubsetError(`every "${text}": must be a positive whole number of checkpoints`);
  return k;
}

/** True when the subset selects every checkpoint (nothing to filter). */
export function isWholeRun(subset: CheckpointSubset | undefined): boolean {
  return !subset || (subset.from === undefined && subset.to === undefined && subset.steps === undefined && (subset.every ?? 1) === 1);
}

/** The checkpoints of `ordered` (step order) that the subset selects (rule in the header). */
export function selectCheckpoints<T extends { step: number | null }>(ordered: readonly T[], subset: CheckpointSubset | undefined): T[] {
  if (isWholeRun(subset)) return [...ordered];
  const s = subset!;
  let picked: T[];
  if (s.steps !== undefined) {
    const have = new Map<number, T>();
    for (const c of ordered) if (c.step !== null && !have.has(c.step)) have.set(c.step, c);
    const missing = s.steps.filter((st) => !have.has(st));
    if (missing.length) {
      const steps = [...have.keys()].sort((a, b) => a - b);
      const near = (st: number): string => {
        const below = steps.filter((x) => x < st).pop();
        const above = steps.find((x) => x > st);
        return [below, above].filter((x) => x !== undefined).join(' or ') || 'none';
      };
      const shown = missing.slice(0, 5).map((st) => `${st} (nearest: ${near(st)})`).join(', ');
      throw new SubsetError(`the run has no checkpoint at step ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
    }
    const wanted = new Set(s.steps);
    picked = ordered.filter((c) => c.step !== null && wanted.has(c.step));
  } else {
    const lo = s.from ?? -Infinity;
    const hi = s.to ?? Infinity;
    picked = s.from === undefined && s.to === undefined ? [...ordered] : ordered.filter((c) => c.step !== null && c.step >= lo && c.step <= hi);
  }
  const every = s.every ?? 1;
  if (every > 1) picked = picked.filter((_, i) => i % every === 0);
  if (!picked.length) throw new SubsetError(`no checkpoint of the run matches ${describeSubset(s)}`);
  return picked;
}

/** Words for a subset, as the CLI's options would write it ("steps 0:1000, every 10th"). */
export function describeSubset(subset: CheckpointSubset | undefined): string {
  if (isWholeRun(subset)) return 'every checkpoint';
  const s = subset!;
  const parts: string[] = [];
  if (s.steps !== undefined) parts.push(`steps ${s.steps.join(',')}`);
  else if (s.from !== undefined || s.to !== undefined) parts.push(`steps ${s.from ?? ''}:${s.to ?? ''}`);
  if ((s.every ?? 1) > 1) parts.push(`every ${ordinal(s.every!)} checkpoint`);
  return parts.join(', ');
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
