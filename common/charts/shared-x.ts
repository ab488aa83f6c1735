// Runs side by side on the tokens axis share one x range: Pythia's sizes saw different token
// counts per step, so each run's heatmap columns span a different range, and with each panel's
// own extent the same token count would sit at different places in neighbouring columns. The
// shared range is the union (min of the left edges, max of the right edges, in axis positions)
// of every shown panel's columns; heatmapOption widens a panel's axis to it (HeatmapPanel.x.extent).
import { columnPositions, type HeatmapPanel } from './heatmap';
import { columnSpans, type StepScale } from './step-axis';

/** The union of the panels' column extents in axis positions, or null when there is nothing to share. */
export function sharedXExtent(panels: readonly HeatmapPanel[], stepScale: StepScale): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of panels) {
    const spans = columnSpans(columnPositions(p, stepScale));
    if (!spans.length) continue;
    lo = Math.min(lo, spans[0][0]);
    hi = Math.max(hi, spans[spans.length - 1][1]);
  }
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null;
}

/**
 * The panels with x.extent set to their shared range when they are on a non-step axis and come
 * from more than one run (each panel object maps to one new object, for memoised views).
 */
export function alignRunsOnX(panels: readonly HeatmapPanel[], stepScale: StepScale): Map<HeatmapPanel, HeatmapPanel> {
  const out = new Map<HeatmapPanel, HeatmapPanel>(panels.map((p) => [p, p]));
  const onX = panels.filter((p) => p.x && p.x.unit !== 'step');
  if (new Set(onX.map((p) => p.runId)).size < 2) return out;
  const extent = sharedXExtent(onX, stepScale);
  if (!extent) return out;
  for (const p of onX) out.set(p, { ...p, x: { ...p.x!, extent } });
  return out;
}
