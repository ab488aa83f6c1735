// What the run selector filters and searches by, read from a run's name and summary: model size
// ("70m", "1.4b", as Pythia names them), training data (deduplicated or standard), seed, family,
// where it was found. Names are all a Hugging Face cache gives for a run, so the facets come from
// the naming conventions of the Pythia suite (EleutherAI/pythia-<size>[-deduped][-seed<N>]).
import type { RunSummary } from './api';
import { seedOf } from './charts/compare';

export interface RunFacets {
  /** "70m", "1.4b", ... or null when the name carries no size. */
  size: string | null;
  /** Parameters the size names (70m -> 7e7), for ordering sizes; null without a size. */
  parameters: number | null;
  dataset: 'deduped' | 'standard';
  seed: number | null;
  family: RunSummary['family'];
  source: RunSummary['source'];
}

const SIZE = /(?:^|[-_/])(\d+(?:\.\d+)?)([mb])(?=$|[-_/.])/i;

export function runFacets(run: Pick<RunSummary, 'name' | 'family' | 'source'>): RunFacets {
  const m = SIZE.exec(run.name);
  const size = m ? `${m[1]}${m[2].toLowerCase()}` : null;
  const parameters = m ? Number(m[1]) * (m[2].toLowerCase() === 'b' ? 1e9 : 1e6) : null;
  return { size, parameters, dataset: /dedup/i.test(run.name) ? 'deduped' : 'standard', seed: seedOf(run.name), family: run.family, source: run.source };
}

export interface RunFilter {
  /** Words that must all occur in the run's name, alias, id, family, size or source. */
  text?: string;
  family?: string;
  size?: string;
  dataset?: string;
  source?: string;
}

/** Runs matching a filter, in the order given; aliases (run id -> the user's short name) are searched too. */
export function filterRuns<R extends Pick<RunSummary, 'id' | 'name' | 'family' | 'source'>>(runs: readonly R[], filter: RunFilter, aliases: Readonly<Record<string, string>> = {}): R[] {
  const words = (filter.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return runs.filter((r) => {
    const f = runFacets(r);
    if (filter.family && f.family !== filter.family) return false;
    if (filter.size && f.size !== filter.size) return false;
    if (filter.dataset && f.dataset !== filter.dataset) return false;
    if (filter.source && f.source !== filter.source) return false;
    const hay = [r.name, r.id, aliases[r.id] ?? '', f.family, f.size ?? '', f.dataset, f.source, f.seed === null ? '' : `seed${f.seed}`].join(' ').toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}
