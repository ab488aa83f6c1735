// Metric menu built from the catalogue, grouped by analysis; metrics the cache does not hold yet
// are listed but disabled (with the analysis that produces them), unknown cached metrics appended.
import { METRICS, METRIC_BY_ID } from '../../../common/catalogue';
import type { MetricLike } from '../../../common/charts';

export function metricLike(id: string): MetricLike {
  const def = METRIC_BY_ID.get(id);
  return def ? { id, label: def.label, unit: def.unit, logScale: def.logScale, ...(def.bound ? { bound: def.bound } : {}) } : { id, label: id, unit: '' };
}

export function MetricSelect({ value, onChange, available, id, filter }: { value: string; onChange: (v: string) => void; available: string[]; id: string; filter?: (metric: string) => boolean }) {
  const have = new Set(available);
  const groups = new Map<string, typeof METRICS[number][]>();
  for (const m of METRICS) {
    if (filter && !filter(m.id)) continue;
    const g = groups.get(m.analysis) ?? [];
    g.push(m);
    groups.set(m.analysis, g);
  }
  const unknown = available.filter((m) => !METRIC_BY_ID.has(m));
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid="metric-select">
      {[...groups].map(([analysis, list]) => (
        <optgroup key={analysis} label={analysis}>
          {list.map((m) => (
            <option key={m.id} value={m.id} disabled={!have.has(m.id)} title={m.description}>
              {m.label}
              {have.has(m.id) ? '' : ' (not computed)'}
            </option>
          ))}
        </optgroup>
      ))}
      {unknown.length > 0 && (
        <optgroup label="other">
          {unknown.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </optgroup>
      )}
    </select>
  );
}
