// A seed group's band drawn inside heatmap cells, for the Overview (renderer/src/views/overview/
// band-cells.tsx paints it on its canvas) and the comparison exports (main/export/compare.ts adds
// bandCellSeries to the group's panel): each cell of the group's mean panel in three strips, the
// band's upper bound on top, the mean in the middle, the lower bound at the bottom, each in the
// colour bar's colour of its value. The bounds, their names and the key's words are computed here
// once, so the view and the figure say the same thing.
import { colourValue, columnPositions, heatmapColour, panelsFromGrid, type ColourScale, type HeatmapPanel } from './heatmap';
import { columnSpans, type StepScale } from './step-axis';
import type { MetricLike } from './types';
import type { SequentialScale } from './palette';
import type { BandKind } from './compare';
import type { SeedGroupGrids } from './seed-bands';

/** A seed group's band in one panel: its bounds as panels of the same rows and columns as the mean's. */
export interface CellBand {
  kind: BandKind;
  lower: HeatmapPanel;
  upper: HeatmapPanel;
  /** Members of the group. */
  seeds: number;
}

const keyOf = (p: HeatmapPanel): string => `${p.component}|${p.kind}`;

/** The group's bands by panel (component and kind, as its mean's panels are keyed). */
export function groupCellBands(group: SeedGroupGrids, metric: MetricLike): Map<string, CellBand> {
  const lower = panelsFromGrid(group.lower, group.name, metric);
  const upper = panelsFromGrid(group.upper, group.name, metric);
  return new Map(
    lower.flatMap((lo) => {
      const up = upper.find((u) => keyOf(u) === keyOf(lo));
      return up ? [[keyOf(lo), { kind: group.band, lower: lo, upper: up, seeds: group.members.length }] as const] : [];
    }),
  );
}

/** The band of a mean panel, from groupCellBands' map. */
export function cellBandOf(bands: ReadonlyMap<string, CellBand> | undefined, panel: HeatmapPanel): CellBand | undefined {
  return bands?.get(keyOf(panel));
}

/** "min–max" or "mean ± 1 sd". */
export function bandName(band: Pick<CellBand, 'kind'>): string {
  return band.kind === 'std' ? 'mean ± 1 sd' : 'min–max';
}

/** The key's words: what a cell's strips are, and over how many seeds. */
export function bandKeyText(band: Pick<CellBand, 'kind' | 'seeds'>): string {
  const [top, bottom] = band.kind === 'std' ? ['mean + 1 sd', 'mean − 1 sd'] : ['max', 'min'];
  return `each cell: top ${top} · middle mean · bottom ${bottom} (${bandName(band)} over ${band.seeds} seeds)`;
}

/** The band's bounds at row r, column c of the mean panel, or null where not defined. */
export function bandBounds(band: CellBand, r: number, c: number): { lower: number; upper: number } | null {
  const lower = band.lower.rows[r]?.values[c];
  const upper = band.upper.rows[r]?.values[c];
  return typeof lower === 'number' && typeof upper === 'number' && Number.isFinite(lower) && Number.isFinite(upper) ? { lower, upper } : null;
}

/** The bound's colour as CSS, or null where the scale cannot place it (non-positive on a log scale). */
export function bandColour(v: number, scale: ColourScale, palette?: SequentialScale): string | null {
  const cv = colourValue(v, scale);
  if (cv === null) return null;
  const [r, g, b] = heatmapColour(cv, scale, palette);
  return `rgb(${r},${g},${b})`;
}

interface RenderApi {
  value(dim: number): number;
  coord(p: number[]): number[];
  size(p: number[]): number[];
}

/**
 * An echarts custom series over heatmapOption(mean panel) that paints each cell's top third in
 * the upper bound's colour and its bottom third in the lower bound's (a cell under 3 px high
 * keeps the mean alone, as the Overview does), with a white line between rows.
 */
export function bandCellSeries(panel: HeatmapPanel, band: CellBand, stepScale: StepScale, scale: ColourScale, palette?: SequentialScale): Record<string, unknown> {
  const spans = columnSpans(columnPositions(panel, stepScale));
  const data: number[][] = [];
  const colours: Array<[string, string]> = [];
  panel.rows.forEach((_, r) => {
    spans.forEach(([x0, x1], c) => {
      const b = bandBounds(band, r, c);
      const up = b && bandColour(b.upper, scale, palette);
      const lo = b && bandColour(b.lower, scale, palette);
      if (!up || !lo) return;
      data.push([x0, x1, r]);
      colours.push([up, lo]);
    });
  });
  return {
    type: 'custom',
    name: `${bandName(band)} over ${band.seeds} seeds`,
    coordinateSystem: 'cartesian2d',
    silent: true,
    encode: { x: [0, 1], y: 2 },
    data,
    progressive: 0,
    renderItem: (params: { dataIndex: number }, api: RenderApi) => {
      const row = api.value(2);
      const a = api.coord([api.value(0), row]);
      const b = api.coord([api.value(1), row]);
      const h = api.size([0, 1])[1];
      if (h < 3) return { type: 'group', children: [] };
      const x = Math.floor(a[0]);
      const w = Math.max(1, Math.ceil(b[0]) - x);
      const y0 = Math.floor(a[1] - h / 2);
      const y1 = Math.ceil(a[1] + h / 2);
      const third = (y1 - y0) / 3;
      const [up, lo] = colours[params.dataIndex];
      return {
        type: 'group',
        children: [
          { type: 'rect', shape: { x, y: y0, width: w, height: Math.max(1, Math.round(third)) }, style: { fill: up } },
          { type: 'rect', shape: { x, y: Math.round(y1 - third), width: w, height: Math.max(1, y1 - Math.round(y1 - third)) }, style: { fill: lo } },
          ...(row > 0 ? [{ type: 'rect', shape: { x, y: y0, width: w, height: 1 }, style: { fill: '#ffffff' } }] : []),
        ],
      };
    },
  };
}
