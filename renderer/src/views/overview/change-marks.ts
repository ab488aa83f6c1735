// Painting a heatmap panel's change points on its cell canvas (views/overview/HeatmapPanel.tsx):
// a white-edged diamond in each marked cell, and a tick above the plot over each marked column,
// so a column where many rows change reads at a glance. Geometry from common/charts/heatmap-changes.ts.
import { CHANGE_COLOUR, MARK, changeColumns } from '../../../../common/charts';
import type { ExportSwitch } from '../../components/export-types';

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function paintChangeMarks(ctx: CanvasRenderingContext2D, marks: readonly number[][], px: (x: number) => number, rect: Rect, band: number): void {
  if (!marks.length) return;
  const r = Math.max(2.5, Math.min(5, band / 2 - 0.5));
  ctx.save();
  ctx.fillStyle = CHANGE_COLOUR;
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 1;
  for (const m of marks) {
    const x = px(m[MARK.x]);
    const y = rect.y + (m[MARK.row] + 0.5) * band;
    ctx.beginPath();
    ctx.moveTo(x, y - r);
    ctx.lineTo(x + r, y);
    ctx.lineTo(x, y + r);
    ctx.lineTo(x - r, y);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
  // Column ticks: a downward triangle above the plot, wider where more rows change.
  for (const c of changeColumns(marks)) {
    const x = px(marks.find((m) => m[MARK.column] === c.column)![MARK.x]);
    const w = Math.min(7, 3 + c.rows);
    ctx.beginPath();
    ctx.moveTo(x - w, rect.y - 7);
    ctx.lineTo(x + w, rect.y - 7);
    ctx.lineTo(x, rect.y - 1);
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

/** The next (dir 1) or previous (-1) marked column from `col`, and a row to put the cursor on. */
export function nextChangeCell(marks: readonly number[][], row: number, col: number, dir: 1 | -1): { row: number; col: number } | null {
  const cols = changeColumns(marks).map((c) => c.column);
  const target = dir > 0 ? cols.find((c) => c > col) : [...cols].reverse().find((c) => c < col);
  if (target === undefined) return null;
  const rows = marks.filter((m) => m[MARK.column] === target).map((m) => m[MARK.row]);
  return { row: rows.includes(row) ? row : rows.reduce((a, b) => (Math.abs(b - row) < Math.abs(a - row) ? b : a)), col: target };
}

/** The Export menu's change-point switch of heatmap figures (renderExport changePoints), starting as the Overview shows them. */
export function changePointsSwitch(initial: boolean): ExportSwitch {
  return { field: 'changePoints', label: 'change-point marks', initial, title: 'Draw the change-point diamonds in the PNG/SVG (the CLI: figure --change-points / --no-change-points)' };
}
