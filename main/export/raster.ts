// Direct rasteriser of the embedding correlation panel (a dense 256 x 256 matrix): cells coloured
// by the app's own function (common/charts correlationPixels, the pixels the app puts on its
// canvas) and scaled nearest-neighbour as the app's `image-rendering: pixelated` canvas is, plus
// the panel's title, frame label and colour bar. Hand-written because echarts would draw 65,536
// rectangles per frame (0.7 s and 11 MB of SVG a frame, measured); this is a few ms.
// Output is an indexed bitmap over ONE fixed palette (the scale's colours, the panel's
// background/text/line colours and anti-aliasing ramps for the text), the same for every frame, so
// no per-frame quantisation is needed (see correlationPalette for the 256-colour limit).
import { createCanvas } from '@napi-rs/canvas';
import { AtlasError } from '../../common/api';
import { BLUE_ORANGE, correlationPixels, correlationSize, frameSubtitle, sampleScale, type CorrelationFrame, type FrameLabel } from '../../common/charts';
import { EXPORT_FONT_FAMILY, INK, LINE, MUTED, PANEL_BACKGROUND } from './canvas';

export type Rgb = [number, number, number];

/** Where the parts of the panel go in a width x height image. */
export interface CorrelationLayout {
  width: number;
  height: number;
  /** Top-left corner and side of the matrix square (inside a 1 px border). */
  matrixX: number;
  matrixY: number;
  side: number;
  barX: number;
  barY: number;
  barWidth: number;
  barHeight: number;
}

const MARGIN = 8;
const BODY_TOP = 46;
const BAR_GAP = 10;
const BAR_WIDTH = 10;
const BAR_LABEL_ROOM = 16;
const BAR_COLUMN = 30;

export const MIN_RASTER_WIDTH = 160;
export const MIN_RASTER_HEIGHT = 120;

export function correlationLayout(width: number, height: number): CorrelationLayout {
  if (!(width >= MIN_RASTER_WIDTH && height >= MIN_RASTER_HEIGHT)) {
    throw new AtlasError('bad-request', `the correlation panel needs at least ${MIN_RASTER_WIDTH} x ${MIN_RASTER_HEIGHT} pixels, asked ${width} x ${height}`);
  }
  const side = Math.max(1, Math.min(width - 2 * MARGIN - 2 - BAR_GAP - BAR_COLUMN, height - BODY_TOP - MARGIN - 2));
  const matrixX = MARGIN + 1;
  const matrixY = BODY_TOP + 1;
  const barX = matrixX + side + 1 + BAR_GAP + Math.floor((BAR_COLUMN - BAR_WIDTH) / 2);
  const barY = matrixY + BAR_LABEL_ROOM;
  return { width, height, matrixX, matrixY, side, barX, barY, barWidth: BAR_WIDTH, barHeight: Math.max(8, side - 2 * BAR_LABEL_ROOM) };
}

function hexRgb(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const key = (r: number, g: number, b: number): number => (r << 16) | (g << 8) | b;

/** The colour scale exactly as correlationPixels builds it: 256 samples of BLUE_ORANGE. */
export function correlationLut(): Rgb[] {
  return Array.from({ length: 256 }, (_, i) => sampleScale(BLUE_ORANGE, i / 255));
}

/** correlationPixels' colour for a non-finite r. */
export const NON_FINITE_RGB: Rgb = [200, 200, 200];

/** Text anti-aliasing levels between white and each text colour. */
const TEXT_LEVELS = 3;

export interface CorrelationPalette {
  /** At most 256 colours: the GIF's one colour table. */
  palette: Rgb[];
  /** Palette index of each colour correlationPixels can produce (the 256 scale samples and the non-finite grey). */
  cellIndex: Map<number, number>;
  /** Palette indices text pixels snap to: background, ink, muted and the anti-aliasing ramps. */
  textColours: number[];
  lineIndex: number;
  /** Largest per-channel difference between a scale colour and the palette colour drawing it. */
  maxCellError: number;
}

/**
 * The fixed palette. The scale alone has 256 distinct colours, and a GIF table holds 256, so the
 * panel's own colours (background, ink, muted, line, non-finite grey, text ramps) take the place
 * of the scale samples closest to a neighbouring sample: those cells are drawn with that
 * neighbour (maxCellError says by how much, a few units of 255); every other cell is exact.
 */
export function correlationPalette(): CorrelationPalette {
  const lut = correlationLut();
  const white = hexRgb(PANEL_BACKGROUND);
  const ink = hexRgb(INK);
  const muted = hexRgb(MUTED);
  const ramps: Rgb[] = [];
  for (const target of [ink, muted]) {
    for (let l = 1; l <= TEXT_LEVELS; l++) {
      const f = l / (TEXT_LEVELS + 1);
      ramps.push([0, 1, 2].map((k) => Math.round(white[k] + (target[k] - white[k]) * f)) as Rgb);
    }
  }
  const specials: Rgb[] = [NON_FINITE_RGB, white, ink, muted, hexRgb(LINE), ...ramps];
  // Unique scale samples in scale order; drop the ones nearest a kept neighbour until all fit.
  const unique: Rgb[] = [];
  for (const c of lut) if (!unique.some((u) => key(...u) === key(...c))) unique.push(c);
  const dist = (a: Rgb, b: Rgb) => Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
  const kept = unique.slice();
  while (kept.length + specials.length > 256) {
    let best = -1;
    let bestD = Infinity;
    for (let i = 1; i < kept.length - 1; i++) {
      const d = Math.min(dist(kept[i], kept[i - 1]), dist(kept[i], kept[i + 1]));
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    kept.splice(best, 1);
  }
  const palette: Rgb[] = [...kept, ...specials];
  const cellIndex = new Map<number, number>();
  let maxCellError = 0;
  for (const c of [...unique, NON_FINITE_RGB]) {
    let bi = 0;
    let bd = Infinity;
    // Only scale colours (and the grey) may draw a cell: never a text or background colour.
    for (let i = 0; i <= kept.length; i++) {
      const d = dist(c, palette[i]);
      if (d < bd) {
        bd = d;
        bi = i;
      }
    }
    cellIndex.set(key(...c), bi);
    maxCellError = Math.max(maxCellError, bd);
  }
  const textColours = [kept.length + 1, kept.length + 2, kept.length + 3, ...ramps.map((_, i) => kept.length + 5 + i)];
  return { palette, cellIndex, textColours, lineIndex: kept.length + 4, maxCellError };
}

export interface CorrelationRasterOptions {
  /** Display order of the rows (one for the whole animation); omitted = stored order. */
  order?: readonly number[];
}

/** Draws correlation frames into indexed bitmaps of a fixed size and palette. */
export class CorrelationRasterizer {
  readonly layout: CorrelationLayout;
  readonly palette: Rgb[];
  /** See correlationPalette: the largest colour error of a cell (0 for most levels). */
  readonly maxCellError: number;
  private readonly cellIndex: Map<number, number>;
  private readonly textColours: number[];
  private readonly textCache = new Map<number, number>();
  private readonly canvas;
  private readonly lineIndex: number;
  private readonly whiteIndex: number;
  private readonly barColumn: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly options: CorrelationRasterOptions = {},
  ) {
    this.layout = correlationLayout(width, height);
    const p = correlationPalette();
    this.palette = p.palette;
    this.textColours = p.textColours;
    this.cellIndex = p.cellIndex;
    this.lineIndex = p.lineIndex;
    this.whiteIndex = p.textColours[0];
    this.maxCellError = p.maxCellError;
    // The app's bar: CSS linear-gradient(to top, BLUE_ORANGE...): -1 at the bottom, +1 at the top.
    const lut = correlationLut();
    const { barHeight } = this.layout;
    this.barColumn = new Uint8Array(barHeight);
    for (let y = 0; y < barHeight; y++) {
      const t = 1 - (y + 0.5) / barHeight;
      this.barColumn[y] = this.cellIndex.get(key(...lut[Math.round(t * 255)]))!;
    }
    this.canvas = createCanvas(width, height);
  }

  private snapText(out: Uint8Array, rgba: Uint8ClampedArray, x0: number, y0: number, w: number, h: number): void {
    for (let y = 0; y < h; y++) {
      const row = (y0 + y) * this.width + x0;
      for (let x = 0, o = y * w * 4; x < w; x++, o += 4) {
        const r = rgba[o];
        const g = rgba[o + 1];
        const b = rgba[o + 2];
        out[row + x] = r === 255 && g === 255 && b === 255 ? this.whiteIndex : this.nearestText(r, g, b);
      }
    }
  }

  private nearestText(r: number, g: number, b: number): number {
    const k = key(r, g, b);
    const cached = this.textCache.get(k);
    if (cached !== undefined) return cached;
    let best = this.textColours[0];
    let bestD = Infinity;
    for (const i of this.textColours) {
      const c = this.palette[i];
      const d = (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    this.textCache.set(k, best);
    return best;
  }

  /** The title line the app prints above the matrix (Animations.tsx CorrelationPanel). */
  static title(frame: CorrelationFrame, reordered: boolean): string {
    return `Embedding row correlation · rows ${frame.rows[0]}–${frame.rows[1] - 1}${reordered ? ' (clustered order)' : ''}`;
  }

  /** One frame as palette indices (width * height, row-major). */
  render(frame: CorrelationFrame, label: FrameLabel): Uint8Array {
    const { width, height } = this;
    const L = this.layout;
    const out = new Uint8Array(width * height);

    // Text on a white canvas, then snapped to the text colours (background stays exact white).
    const ctx = this.canvas.getContext('2d');
    ctx.fillStyle = PANEL_BACKGROUND;
    ctx.fillRect(0, 0, width, height);
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.fillStyle = INK;
    ctx.font = `bold 13px ${EXPORT_FONT_FAMILY}`;
    ctx.fillText(CorrelationRasterizer.title(frame, this.options.order !== undefined), MARGIN, 6, width - 2 * MARGIN);
    ctx.fillStyle = MUTED;
    ctx.font = `11px ${EXPORT_FONT_FAMILY}`;
    ctx.fillText(frameSubtitle(label), MARGIN, 26, width - 2 * MARGIN);
    ctx.font = `10px ${EXPORT_FONT_FAMILY}`;
    ctx.textAlign = 'center';
    const barCentre = L.barX + L.barWidth / 2;
    ctx.fillText('+1', barCentre, L.barY - 13);
    ctx.fillText('−1', barCentre, L.barY + L.barHeight + 3);
    // Only the two places text goes are read back (the label band, the bar's column); the rest
    // is background or is painted over below.
    out.fill(this.whiteIndex);
    const stripX = L.matrixX + L.side + 1;
    const stripWidth = Math.min(width, L.barX + L.barWidth + 16) - stripX;
    this.snapText(out, ctx.getImageData(0, 0, width, BODY_TOP).data, 0, 0, width, BODY_TOP);
    if (stripWidth > 0) this.snapText(out, ctx.getImageData(stripX, BODY_TOP, stripWidth, height - BODY_TOP).data, stripX, BODY_TOP, stripWidth, height - BODY_TOP);

    // Matrix cells: the app's pixels, each cell's colour looked up in the fixed palette.
    const n = correlationSize(frame.matrix);
    const px = correlationPixels(frame, this.options.order);
    const cells = new Uint8Array(n * n);
    for (let c = 0, o = 0; c < cells.length; c++, o += 4) {
      const i = this.cellIndex.get(key(px[o], px[o + 1], px[o + 2]));
      if (i === undefined) throw new AtlasError('internal', `correlation colour ${px[o]},${px[o + 1]},${px[o + 2]} is not in the scale's palette`);
      cells[c] = i;
    }
    const src = cellMap(L.side, n);
    for (let y = 0; y < L.side; y++) {
      const row = (L.matrixY + y) * width + L.matrixX;
      const cellRow = src[y] * n;
      for (let x = 0; x < L.side; x++) out[row + x] = cells[cellRow + src[x]];
    }
    // 1 px border (the app's canvas border, --line).
    for (let x = L.matrixX - 1; x <= L.matrixX + L.side; x++) {
      out[(L.matrixY - 1) * width + x] = this.lineIndex;
      out[(L.matrixY + L.side) * width + x] = this.lineIndex;
    }
    for (let y = L.matrixY - 1; y <= L.matrixY + L.side; y++) {
      out[y * width + L.matrixX - 1] = this.lineIndex;
      out[y * width + L.matrixX + L.side] = this.lineIndex;
    }
    // Colour bar.
    for (let y = 0; y < L.barHeight; y++) {
      const row = (L.barY + y) * width + L.barX;
      out.fill(this.barColumn[y], row, row + L.barWidth);
    }
    return out;
  }
}

/** Source cell of each display pixel along one axis: nearest neighbour at the pixel centre. */
export function cellMap(side: number, n: number): Uint16Array {
  const m = new Uint16Array(side);
  for (let p = 0; p < side; p++) m[p] = Math.min(n - 1, Math.floor(((p + 0.5) * n) / side));
  return m;
}

/** RGBA of an indexed bitmap (for PNG output and for tests). */
export function indexedToRgba(index: Uint8Array, palette: readonly Rgb[]): Uint8ClampedArray {
  const out = new Uint8ClampedArray(index.length * 4);
  for (let p = 0, o = 0; p < index.length; p++, o += 4) {
    const c = palette[index[p]];
    out[o] = c[0];
    out[o + 1] = c[1];
    out[o + 2] = c[2];
    out[o + 3] = 255;
  }
  return out;
}
