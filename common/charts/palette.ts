// Colour scales for every chart: colour-blind-safe sequential maps (viridis, cividis), one
// diverging blue-orange map for signed quantities, and a categorical palette (Okabe-Ito) for runs.
// Hand-written stop lists rather than a colour library: the stops are the published ones
// (matplotlib's viridis/cividis, sampled at 10 points), and a lookup is all the app needs.

export const VIRIDIS = [
  '#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725',
] as const;

export const CIVIDIS = [
  '#00224e', '#123570', '#3b496c', '#575d6d', '#707173', '#8a8779', '#a69d75', '#c4b56c', '#e4cf5b', '#fee838',
] as const;

/** Blue (negative) - light grey (zero) - orange (positive); distinguishable under deuteranopia/protanopia. */
export const BLUE_ORANGE = [
  '#08306b', '#2171b5', '#6baed6', '#c6dbef', '#f2f2f2', '#fdd0a2', '#fd8d3c', '#d94801', '#7f2704',
] as const;

/** Okabe & Ito's eight colours, minus black: the standard colour-blind-safe categorical set. */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'] as const;

/** Line styles that tell runs apart when lines are already coloured by block. */
export const RUN_DASHES = ['solid', 'dashed', 'dotted'] as const;

export type SequentialScale = 'viridis' | 'cividis';

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Linear interpolation in a stop list at t in [0, 1] (clamped); returns [r, g, b] 0..255. */
export function sampleScale(stops: readonly string[], t: number): [number, number, number] {
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const x = clamped * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexToRgb(stops[i]);
  const b = hexToRgb(stops[i + 1]);
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

export function rgbToHex([r, g, b]: [number, number, number]): string {
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

/**
 * Colour for the i-th of n ordered lines (blocks by depth). Viridis stops short of its last
 * yellow, which is unreadable as a thin line on a light background.
 */
export function orderedLineColour(i: number, n: number): string {
  const t = n <= 1 ? 0 : (i / (n - 1)) * 0.85;
  return rgbToHex(sampleScale(VIRIDIS, t));
}
