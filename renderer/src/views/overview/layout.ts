// The Overview's grid of panels: one row per component (and kind), one column per shown run, or
// in difference mode one column per compared run minus the page's run (A − B, on a diverging
// colour scale symmetric about 0), or with a seed band chosen one column per seed group coloured
// by the members' mean (common/charts/seed-bands.ts, the Curves' code path), its band drawn in
// each cell (HeatmapPanel.tsx) and read in the readout. Colour scales: shared by all panels, per component (across the row) or per panel.
import type { ScalarGrid } from '../../../../common/api';
import { colourScaleFor, differencePanels, foldSeedGroups, groupCellBands, panelsFromGrid, type BandKind, type CellBand, type ColourScale, type HeatmapPanel, type MetricLike, type SeedGroupGrids } from '../../../../common/charts';

export type { CellBand } from '../../../../common/charts';

export type Normalise = 'shared' | 'component' | 'panel';

export interface LoadedGrid {
  runId: string;
  runName: string;
  grid: ScalarGrid | null;
  error: string | null;
}

export interface Column {
  /** The run the column shows (A of A − B). */
  runId: string;
  /** "run" or "A − B". */
  label: string;
  /** Index of the run among the shown runs. */
  runIndex: number;
  /** B of A − B (the page's run) in difference mode. */
  minus?: string;
  /** A seed group's column (its grids carry the first member's run id): mean, band bounds, members. */
  group?: SeedGroupGrids;
}

export interface LayoutRow {
  key: string;
  cells: Array<{ panel: HeatmapPanel; scale: ColourScale; band?: CellBand } | null>;
}

export function overviewLayout(grids: readonly LoadedGrid[], metric: MetricLike, normalise: Normalise, difference: boolean, band: 'none' | BandKind = 'none'): { columns: Column[]; rows: LayoutRow[] } {
  const base = grids[0];
  const diff = difference && grids.length > 1 && base?.grid;
  const loaded = grids.every((g) => g.grid !== null);
  const folded = !diff && band !== 'none' && loaded ? foldSeedGroups(grids.map((g) => ({ runId: g.runId, runName: g.runName, grid: g.grid! })), band) : null;
  const columns: Column[] = diff
    ? grids.slice(1).map((g, i) => ({ runId: g.runId, label: `${g.runName} − ${base.runName}`, runIndex: i + 1, minus: base.runId }))
    : folded
      ? folded.map(({ run, group }) => ({ runId: run.runId, label: group ? group.name : run.runName, runIndex: grids.findIndex((g) => g.runId === run.runId), ...(group ? { group } : {}) }))
      : grids.map((g, i) => ({ runId: g.runId, label: g.runName, runIndex: i }));
  const perColumn: HeatmapPanel[][] = diff
    ? grids.slice(1).map((g) => (g.grid ? differencePanels({ grid: g.grid, runName: g.runName }, { grid: base.grid!, runName: base.runName }, metric) : []))
    : folded
      ? folded.map(({ run, group }) => (group ? panelsFromGrid(group.mean, group.name, metric) : panelsFromGrid(run.grid, run.runName, metric)))
      : grids.map((g) => (g.grid ? panelsFromGrid(g.grid, g.runName, metric) : []));
  const keyOf = (p: HeatmapPanel) => `${p.component}|${p.kind}`;
  // A group's band drawn in its cells (HeatmapPanel.tsx): the bounds' panels, keyed as the mean's.
  const bandsOf = (folded ?? []).map(({ group }) => (group ? groupCellBands(group, metric) : new Map<string, CellBand>()));
  const keys: string[] = [];
  for (const panels of perColumn) for (const p of panels) if (!keys.includes(keyOf(p))) keys.push(keyOf(p));
  const mode = diff ? 'diverging' : 'auto';
  // The colour scales span the bands' bounds too: a band's max and min are drawn in colours of the bar.
  const withBands = (panels: readonly HeatmapPanel[], column: number) => panels.flatMap((p) => {
    const b = bandsOf[column]?.get(keyOf(p));
    return b ? [p, b.lower, b.upper] : [p];
  });
  const sharedScale = colourScaleFor(perColumn.flatMap((panels, i) => withBands(panels, i)), { mode });
  const rows = keys.map((key) => {
    const cells = perColumn.map((panels) => panels.find((p) => keyOf(p) === key) ?? null);
    const present = cells.flatMap((c, i) => (c ? withBands([c], i) : []));
    const componentScale = colourScaleFor(present, { mode });
    return {
      key,
      cells: cells.map((p, i) => {
        if (!p) return null;
        const band = bandsOf[i]?.get(key);
        return { panel: p, scale: normalise === 'shared' ? sharedScale : normalise === 'component' ? componentScale : colourScaleFor(withBands([p], i), { mode }), ...(band ? { band } : {}) };
      }),
    };
  });
  return { columns, rows };
}
