// The run selector of a run's page: which runs are compared with this one. Built for a
// Pythia-sized library (8 sizes x 2 datasets x seeds, each run with its 154 revisions as
// checkpoints): a search over name, alias, size, data set and seed, filters by family, size,
// data set and source, at most LIST_LIMIT matches listed (refine to see more), and the chosen runs
// as chips in their fixed colours (each run's own colour slot, stored with the run, through
// common/charts/compare.ts runStyles: the same colour in every view and export; each chip's
// colour menu gives the run another slot, setRunColour). Aliases are the user's short names for runs, kept in localStorage and
// searched like names. Seed groups: runs that differ only by their seed are drawn as one mean
// line with a band (min-max or +-1 sd) where a view draws lines.
import { useMemo, useState } from 'react';
import type { RunSummary } from '../../../common/api';
import { RUN_SLOTS, runStyleName, runStyles, type BandKind } from '../../../common/charts/compare';
import { errorMessage, useAppState } from '../context';
import { filterRuns, runFacets, type RunFilter } from '../../../common/run-facets';

/** Matches listed at once; the search narrows the rest. */
const LIST_LIMIT = 40;
const ALIAS_KEY = 'atlas.runAliases';

export function loadAliases(): Record<string, string> {
  try {
    const parsed = JSON.parse(localStorage.getItem(ALIAS_KEY) ?? '{}') as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function saveAliases(aliases: Record<string, string>): void {
  try {
    localStorage.setItem(ALIAS_KEY, JSON.stringify(aliases));
  } catch {
    // Storage full or disabled: aliases last for this session only.
  }
}

export type SeedBand = 'none' | BandKind;

interface Props {
  runs: readonly RunSummary[];
  /** The page's run (always shown, first). */
  runId: string;
  /** Compared runs in order (each in its own colour). */
  compare: string[];
  setCompare: (ids: string[]) => void;
  band: SeedBand;
  setBand: (b: SeedBand) => void;
}

export function RunSelector({ runs, runId, compare, setCompare, band, setBand }: Props) {
  const [filter, setFilter] = useState<RunFilter>({});
  const [aliases, setAliases] = useState<Record<string, string>>(loadAliases);
  const [editing, setEditing] = useState<string | null>(null);
  const { client } = useAppState();
  const [colourError, setColourError] = useState<string | null>(null);
  const others = useMemo(() => runs.filter((r) => r.id !== runId), [runs, runId]);
  const facets = useMemo(() => {
    const all = others.map((r) => runFacets(r));
    const uniq = <T,>(xs: T[]) => [...new Set(xs)];
    return {
      family: uniq(all.map((f) => f.family)).sort(),
      size: uniq(all.filter((f) => f.size !== null).sort((a, b) => a.parameters! - b.parameters!).map((f) => f.size!)),
      dataset: uniq(all.map((f) => f.dataset)).sort(),
      source: uniq(all.map((f) => f.source)).sort(),
    };
  }, [others]);
  const matches = useMemo(() => filterRuns(others, filter, aliases), [others, filter, aliases]);
  if (others.length === 0) return null;
  const shownIds = [runId, ...compare];
  const styles = runStyles(shownIds.map((id) => ({ id, colourSlot: runs.find((r) => r.id === id)?.colourSlot })));
  const nameOf = (id: string) => {
    const r = runs.find((x) => x.id === id);
    return aliases[id] ? `${aliases[id]} (${r?.name ?? id})` : (r?.name ?? id);
  };
  // The user's colour for a run: stored with the run (setRunColour); the runs list refreshes on runs-changed.
  const chooseColour = (id: string, slot: number) => {
    setColourError(null);
    client.api.setRunColour({ runId: id, colourSlot: slot }).catch((e) => setColourError(errorMessage(e)));
  };
  const toggle = (id: string, on: boolean) => setCompare(on ? [...compare.filter((x) => x !== id), id] : compare.filter((x) => x !== id));
  const setAlias = (id: string, alias: string) => {
    const next = { ...aliases };
    if (alias.trim()) next[id] = alias.trim();
    else delete next[id];
    setAliases(next);
    saveAliases(next);
  };
  const facetSelect = (key: 'family' | 'size' | 'dataset' | 'source', label: string) =>
    facets[key].length > 1 && (
      <label className="check">
        {label}{' '}
        <select value={filter[key] ?? ''} onChange={(e) => setFilter({ ...filter, [key]: e.target.value || undefined })} data-testid={`run-filter-${key}`}>
          <option value="">any</option>
          {facets[key].map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
    );
  return (
    <fieldset className="compare runselector" data-testid="run-selector">
      <legend>Compare with</legend>
      <div className="chips" aria-label="Runs shown">
        {shownIds.map((id, i) => (
          <span key={id} className="chip" data-testid="run-chip" data-run-id={id} data-colour={styles.get(id)?.colour}>
            <span className="chip-swatch">
              <span className="swatch" style={{ background: styles.get(id)?.colour }} aria-hidden="true" />
              <select
                className="chip-colour"
                value={runs.find((r) => r.id === id)?.colourSlot ?? ''}
                onChange={(e) => chooseColour(id, Number(e.target.value))}
                aria-label={`Colour of ${nameOf(id)} (kept with the run in every view and export)`}
                title="The run's colour in every view and export"
                data-testid="run-colour"
              >
                {Array.from({ length: RUN_SLOTS }, (_, slot) => (
                  <option key={slot} value={slot}>
                    {runStyleName(slot)}
                  </option>
                ))}
              </select>
            </span>
            {editing === id ? (
              <input
                autoFocus
                defaultValue={aliases[id] ?? ''}
                aria-label={`Alias of ${runs.find((r) => r.id === id)?.name ?? id}`}
                placeholder="alias"
                onBlur={(e) => {
                  setAlias(id, e.target.value);
                  setEditing(null);
                }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
                  if (e.key === 'Escape') setEditing(null);
                }}
              />
            ) : (
              <button type="button" className="link" title="Give this run an alias (searched like its name)" onClick={() => setEditing(id)}>
                {nameOf(id)}
              </button>
            )}
            {i > 0 && (
              <button type="button" className="chip-remove" aria-label={`Stop comparing ${nameOf(id)}`} onClick={() => toggle(id, false)}>
                ×
              </button>
            )}
          </span>
        ))}
        <label className="check" title="Runs whose names differ only by a seed (name-seedN) drawn as their mean with a band">
          Seeds{' '}
          <select value={band} onChange={(e) => setBand(e.target.value as SeedBand)} data-testid="seed-band">
            <option value="none">each run</option>
            <option value="minmax">mean, min–max band</option>
            <option value="std">mean, ±1 sd band</option>
          </select>
        </label>
      </div>
      {colourError && (
        <p className="notice error" role="alert">
          Run colour not changed: {colourError}
        </p>
      )}
      <div className="runfilters">
        <input type="search" placeholder={`Search ${others.length} run${others.length === 1 ? '' : 's'}: name, alias, 70m, deduped, seed3…`} aria-label="Search runs" value={filter.text ?? ''} onChange={(e) => setFilter({ ...filter, text: e.target.value })} data-testid="run-search" />
        {facetSelect('family', 'family')}
        {facetSelect('size', 'size')}
        {facetSelect('dataset', 'data')}
        {facetSelect('source', 'source')}
        {matches.length > 1 && matches.length <= 16 && (
          <button type="button" onClick={() => setCompare([...compare, ...matches.map((r) => r.id).filter((id) => !compare.includes(id))])} data-testid="compare-all-matches">
            Add all {matches.length}
          </button>
        )}
        {compare.length > 0 && (
          <button type="button" onClick={() => setCompare([])}>
            Clear
          </button>
        )}
      </div>
      <div className="runmatches" role="group" aria-label="Matching runs">
        {matches.slice(0, LIST_LIMIT).map((r) => (
          <label key={r.id} className="check">
            <input type="checkbox" data-testid="compare-run" value={r.id} checked={compare.includes(r.id)} onChange={(e) => toggle(r.id, e.target.checked)} />
            {aliases[r.id] ? `${aliases[r.id]} · ` : ''}
            {r.name}
          </label>
        ))}
        {matches.length > LIST_LIMIT && <span className="muted">{matches.length - LIST_LIMIT} more: refine the search</span>}
        {matches.length === 0 && <span className="muted">no run matches</span>}
      </div>
    </fieldset>
  );
}
