// A seed group's band drawn in the Overview's heatmap cells (HeatmapPanel.tsx paints them): each
// cell of the group's mean panel in three strips, the band's upper bound on top, the mean in the
// middle, the lower bound at the bottom, each in the colour bar's colour of its value (the panel's
// colour scale spans the bounds: overview/layout.ts). Before, the band was only in the hover
// readout. The key under the panel says what the strips are and over how many seeds; the tooltip
// and the readout give the numbers.
import { CELL, bandBounds, bandColour, bandKeyText, bandName, type CellBand, type ColourScale } from '../../../../common/charts';
import { formatValue } from '../../../../common/charts/format';
import type { SequentialScale } from '../../../../common/charts/palette';

/** The band's bounds at a cell of the mean panel (same rows and columns), or null where not defined. */
export function bandAt(band: CellBand, d: readonly number[]): { lower: number; upper: number } | null {
  return bandBounds(band, d[CELL.row], d[CELL.column]);
}

/**
 * Over a mean cell already filled at [x0, y0, x1, y1]: the upper bound's colour in its top third,
 * the lower bound's in its bottom third (a cell under 3 px high keeps the mean alone).
 */
export function paintBandCell(ctx: CanvasRenderingContext2D, band: CellBand, d: readonly number[], [x0, y0, x1, y1]: readonly number[], scale: ColourScale, palette: SequentialScale): void {
  const b = bandAt(band, d);
  if (!b || y1 - y0 < 3) return;
  const third = (y1 - y0) / 3;
  const fill = (v: number, top: number, bottom: number) => {
    const colour = bandColour(v, scale, palette);
    if (colour === null) return;
    ctx.fillStyle = colour;
    ctx.fillRect(x0, top, Math.max(1, x1 - x0), Math.max(1, bottom - top));
  };
  fill(b.upper, y0, Math.round(y0 + third));
  fill(b.lower, Math.round(y1 - third), y1);
}

/** White lines between a band panel's rows: three strips a row would otherwise run into the next row's. */
export function paintBandRowLines(ctx: CanvasRenderingContext2D, rect: { x: number; y: number; width: number }, rows: number, rowHeight: number): void {
  if (rowHeight < 3) return;
  ctx.fillStyle = '#ffffff';
  for (let r = 1; r < rows; r++) ctx.fillRect(rect.x, Math.round(rect.y + r * rowHeight), rect.width, 1);
}

/** The tooltip's band line of a cell. */
export function bandTip(band: CellBand, d: readonly number[]): string {
  const b = bandAt(band, d);
  return b ? `<br>${bandName(band)} <b>${formatValue(b.lower)}</b> … <b>${formatValue(b.upper)}</b> over ${band.seeds} seeds` : '';
}

/** The key under a group's panel: a cell's three strips named, and over how many seeds. */
export function BandKey({ band }: { band: CellBand }) {
  return (
    <p className="band-key" data-testid="band-key">
      <span className="band-key-cell" aria-hidden="true">
        <span />
        <span />
        <span />
      </span>
      {bandKeyText(band)}
    </p>
  );
}
