// The correlation rasteriser against the app's own pixels (common/charts correlationPixels), the
// fixed palette's limits, nearest-neighbour scaling, and the test GIF decoder against gifenc.
import { describe, expect, it } from 'vitest';
import { correlationPixels, sampleScale, BLUE_ORANGE, type CorrelationFrame, type FrameLabel } from '../../../common/charts';
import { CorrelationRasterizer, NON_FINITE_RGB, cellMap, correlationLayout, correlationLut, correlationPalette, indexedToRgba } from '../../../main/export/raster';
import { gifHeader, gifenc } from '../../../main/export/gif';
import { parseStepRange } from '../../../main/export/lookup';
import { decodeGif, lzwDecode } from './gif-decode';
import { correlationMatrix, rng } from './synthetic';

const label = (step: number): FrameLabel => ({ runName: 'run-a', tensor: 'embed.weight', component: 'embed', block: 'embed', step, checkpointId: `step${step}`, unit: 'Pearson r' });
const chebyshev = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));

describe('correlation palette', () => {
  const p = correlationPalette();
  it('fits one GIF colour table and draws every scale colour within a few units', () => {
    expect(p.palette.length).toBeLessThanOrEqual(256);
    const lut = correlationLut();
    let exact = 0;
    for (const c of lut) {
      const i = p.cellIndex.get((c[0] << 16) | (c[1] << 8) | c[2]);
      expect(i).toBeDefined();
      const d = chebyshev(c, p.palette[i!]);
      expect(d).toBeLessThanOrEqual(p.maxCellError);
      if (d === 0) exact++;
    }
    // 256 scale colours + 11 panel colours in 256 slots: at most 11 levels are drawn by a neighbour.
    expect(exact).toBeGreaterThanOrEqual(256 - 11);
    expect(p.maxCellError).toBeLessThanOrEqual(4);
    expect(p.palette[p.cellIndex.get((200 << 16) | (200 << 8) | 200)!]).toEqual(NON_FINITE_RGB);
  });
  it('keeps text colours out of the cells', () => {
    for (const i of p.cellIndex.values()) expect(p.textColours).not.toContain(i);
  });
});

describe('cellMap', () => {
  it('maps display pixels to cells monotonically, every cell getting floor or ceil of side/n pixels', () => {
    for (const [side, n] of [[256, 256], [400, 256], [100, 7], [512, 256]] as const) {
      const m = cellMap(side, n);
      const counts = new Array<number>(n).fill(0);
      for (let i = 0; i < side; i++) {
        if (i > 0) expect(m[i]).toBeGreaterThanOrEqual(m[i - 1]);
        counts[m[i]]++;
      }
      for (const c of counts) {
        expect(c).toBeGreaterThanOrEqual(Math.floor(side / n));
        expect(c).toBeLessThanOrEqual(Math.ceil(side / n));
      }
    }
  });
});

describe('CorrelationRasterizer', () => {
  const n = 20;
  const matrix = correlationMatrix(n, 0.6, 5);
  matrix[3 * n + 4] = Number.NaN;
  const frame: CorrelationFrame = { rows: [0, n], matrix };

  it('paints the app pixels of the matrix, scaled nearest-neighbour, within the palette error', () => {
    const r = new CorrelationRasterizer(320, 240);
    const rgba = indexedToRgba(r.render(frame, label(500)), r.palette);
    const app = correlationPixels(frame);
    const L = r.layout;
    const map = cellMap(L.side, n);
    let exact = 0;
    for (let y = 0; y < L.side; y++) {
      for (let x = 0; x < L.side; x++) {
        const o = ((L.matrixY + y) * 320 + L.matrixX + x) * 4;
        const a = (map[y] * n + map[x]) * 4;
        const d = chebyshev(rgba.subarray(o, o + 3), app.subarray(a, a + 3));
        expect(d).toBeLessThanOrEqual(r.maxCellError);
        if (d === 0) exact++;
      }
    }
    expect(exact / (L.side * L.side)).toBeGreaterThan(0.9);
    // The NaN cell is the app's grey.
    const o = ((L.matrixY + Math.floor((3.5 * L.side) / n)) * 320 + L.matrixX + Math.floor((4.5 * L.side) / n)) * 4;
    expect([...rgba.subarray(o, o + 3)]).toEqual(NON_FINITE_RGB);
  });

  it('draws the colour bar +1 at the top, -1 at the bottom, and the border', () => {
    const r = new CorrelationRasterizer(320, 240);
    const rgba = indexedToRgba(r.render(frame, label(500)), r.palette);
    const L = r.layout;
    const at = (x: number, y: number) => rgba.subarray((y * 320 + x) * 4, (y * 320 + x) * 4 + 3);
    expect(chebyshev(at(L.barX + 2, L.barY), sampleScale(BLUE_ORANGE, 1))).toBeLessThanOrEqual(r.maxCellError + 3);
    expect(chebyshev(at(L.barX + 2, L.barY + L.barHeight - 1), sampleScale(BLUE_ORANGE, 0))).toBeLessThanOrEqual(r.maxCellError + 3);
    expect([...at(L.matrixX - 1, L.matrixY + 5)]).toEqual([0xd8, 0xdd, 0xe4]);
  });

  it('writes the frame label: title bands differ between steps, and contain ink', () => {
    const r = new CorrelationRasterizer(320, 240);
    const a = r.render(frame, label(500));
    const b = r.render(frame, label(1000));
    const band = (img: Uint8Array) => img.subarray(0, 320 * 44);
    expect(Buffer.from(band(a)).equals(Buffer.from(band(b)))).toBe(false);
    const rgba = indexedToRgba(a, r.palette);
    let dark = 0;
    for (let p = 0; p < 320 * 44; p++) if (rgba[p * 4] < 80) dark++;
    expect(dark).toBeGreaterThan(50);
    // Below the label, the matrix region is untouched by text.
    expect(Buffer.from(a.subarray(320 * 60)).equals(Buffer.from(b.subarray(320 * 60)))).toBe(true);
  });

  it('applies one display order to the rows and columns', () => {
    const order = Array.from({ length: n }, (_, i) => n - 1 - i);
    const r = new CorrelationRasterizer(320, 240, { order });
    const rgba = indexedToRgba(r.render(frame, label(1)), r.palette);
    const app = correlationPixels(frame, order);
    const L = r.layout;
    const map = cellMap(L.side, n);
    for (let y = 0; y < L.side; y += 7) {
      for (let x = 0; x < L.side; x += 5) {
        const o = ((L.matrixY + y) * 320 + L.matrixX + x) * 4;
        const a = (map[y] * n + map[x]) * 4;
        expect(chebyshev(rgba.subarray(o, o + 3), app.subarray(a, a + 3))).toBeLessThanOrEqual(r.maxCellError);
      }
    }
  });

  it('refuses sizes too small for the panel', () => {
    expect(() => correlationLayout(100, 100)).toThrow(/at least 160 x 120/);
  });
});

describe('test GIF decoder', () => {
  it('reads back what gifenc wrote: indices, palettes (global and local), delays, loop', () => {
    const next = rng(3);
    const w = 37;
    const h = 23;
    const enc = gifenc.GIFEncoder({ auto: false });
    enc.writeHeader();
    const frames = [0, 1, 2].map(() => Uint8Array.from({ length: w * h }, () => Math.floor(next() * 16)));
    const palettes = [0, 1, 2].map((k) => Array.from({ length: 16 }, (_, i) => [i * 16, k * 40, 255 - i * 8]));
    frames.forEach((f, k) => enc.writeFrame(f, w, h, { first: k === 0, palette: palettes[k], delay: 70, repeat: 0 }));
    enc.finish();
    const g = decodeGif(enc.bytesView());
    expect([g.width, g.height, g.loopCount, g.frames.length]).toEqual([w, h, 0, 3]);
    g.frames.forEach((f, k) => {
      expect(Buffer.from(f.index).equals(Buffer.from(frames[k]))).toBe(true);
      expect(f.local).toBe(k > 0);
      expect(f.delayMs).toBe(70);
      expect(f.palette.slice(0, 16)).toEqual(palettes[k]);
    });
  });

  it('decodes a long run (dictionary fills, code size grows to 12 bits)', () => {
    const next = rng(9);
    const w = 300;
    const h = 200;
    const index = Uint8Array.from({ length: w * h }, (_, i) => (i % 97 < 50 ? Math.floor(next() * 256) : 7));
    const enc = gifenc.GIFEncoder();
    enc.writeFrame(index, w, h, { palette: Array.from({ length: 256 }, (_, i) => [i, i, i]) });
    enc.finish();
    const g = decodeGif(enc.bytes());
    expect(Buffer.from(g.frames[0].index).equals(Buffer.from(index))).toBe(true);
  });

  it('reads the exporter\'s hand-written header: screen size, padded global table, loop extension', () => {
    const palette = Array.from({ length: 5 }, (_, i) => [i * 50, 255 - i * 50, 7]);
    for (const loop of [true, false]) {
      const enc = gifenc.GIFEncoder({ auto: false });
      enc.writeFrame(Uint8Array.from({ length: 12 }, (_, i) => i % 5), 4, 3, { first: false, delay: 50 });
      enc.finish();
      const bytes = Buffer.concat([gifHeader(4, 3, palette, loop), enc.bytesView()]);
      const g = decodeGif(bytes);
      expect([g.width, g.height, g.loopCount]).toEqual([4, 3, loop ? 0 : null]);
      expect(g.globalPalette).toEqual([...palette, [0, 0, 0], [0, 0, 0], [0, 0, 0]]);
      expect([...g.frames[0].index]).toEqual(Array.from({ length: 12 }, (_, i) => i % 5));
      expect(g.frames[0].local).toBe(false);
    }
  });

  it('rejects truncated LZW data', () => {
    expect(() => lzwDecode(new Uint8Array([0x04]), 2, 10)).toThrow(/ended after/);
  });
});

describe('parseStepRange', () => {
  it('reads A:B with open ends and refuses the rest', () => {
    expect(parseStepRange('100:2000')).toEqual([100, 2000]);
    expect(parseStepRange(':512')).toEqual([-Infinity, 512]);
    expect(parseStepRange('512:')).toEqual([512, Infinity]);
    expect(() => parseStepRange('2000:100')).toThrow(/after/);
    expect(() => parseStepRange('abc')).toThrow(/A:B/);
  });
});
