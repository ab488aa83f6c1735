// A minimal GIF89a decoder for the export tests: header, global/local colour tables, graphic
// control (delay), Netscape loop extension, LZW image data; full-frame composition (the exporter
// writes full frames with no transparency). Hand-written because gifenc only encodes and no GIF
// decoder is installed; independent of gifenc's code, so a test against it checks the encoder.

export interface DecodedFrame {
  /** RGBA, width * height * 4, the frame composed onto the logical screen. */
  rgba: Uint8ClampedArray;
  /** Palette indices of the frame's pixels. */
  index: Uint8Array;
  palette: Array<[number, number, number]>;
  local: boolean;
  delayMs: number;
}

export interface DecodedGif {
  width: number;
  height: number;
  globalPalette: Array<[number, number, number]> | null;
  /** Netscape loop count (0 = forever), null when the extension is absent (play once). */
  loopCount: number | null;
  frames: DecodedFrame[];
}

export class GifDecodeError extends Error {}

export function decodeGif(bytes: Uint8Array): DecodedGif {
  let p = 0;
  const u8 = () => {
    if (p >= bytes.length) throw new GifDecodeError(`unexpected end at byte ${p}`);
    return bytes[p++];
  };
  const u16 = () => u8() | (u8() << 8);
  const sig = String.fromCharCode(...bytes.subarray(0, 6));
  if (sig !== 'GIF89a' && sig !== 'GIF87a') throw new GifDecodeError(`bad signature ${JSON.stringify(sig)}`);
  p = 6;
  const width = u16();
  const height = u16();
  const flags = u8();
  u8(); // background colour index
  u8(); // aspect
  const readTable = (size: number) => {
    const t: Array<[number, number, number]> = [];
    for (let i = 0; i < size; i++) t.push([u8(), u8(), u8()]);
    return t;
  };
  const globalPalette = flags & 0x80 ? readTable(1 << ((flags & 7) + 1)) : null;
  const frames: DecodedFrame[] = [];
  let loopCount: number | null = null;
  let delayMs = 0;
  const subBlocks = (): Uint8Array => {
    const parts: number[] = [];
    for (let n = u8(); n !== 0; n = u8()) for (let i = 0; i < n; i++) parts.push(u8());
    return Uint8Array.from(parts);
  };
  for (;;) {
    const b = u8();
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = u8();
      if (label === 0xf9) {
        u8(); // size 4
        u8(); // packed
        delayMs = u16() * 10;
        u8(); // transparent index
        u8(); // terminator
      } else if (label === 0xff) {
        const app = subBlocks();
        const name = String.fromCharCode(...app.subarray(0, 11));
        if (name === 'NETSCAPE2.0' && app.length >= 14) loopCount = app[12] | (app[13] << 8);
      } else {
        subBlocks();
      }
      continue;
    }
    if (b !== 0x2c) throw new GifDecodeError(`unknown block 0x${b.toString(16)} at byte ${p - 1}`);
    const left = u16();
    const top = u16();
    const w = u16();
    const h = u16();
    const f = u8();
    if (f & 0x40) throw new GifDecodeError('interlaced frames are not supported by this test decoder');
    const local = (f & 0x80) !== 0;
    const palette = local ? readTable(1 << ((f & 7) + 1)) : globalPalette;
    if (!palette) throw new GifDecodeError('frame without a colour table');
    const minCodeSize = u8();
    const indices = lzwDecode(subBlocks(), minCodeSize, w * h);
    const index = new Uint8Array(width * height);
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const q = (top + y) * width + left + x;
        const ci = indices[y * w + x];
        index[q] = ci;
        const c = palette[ci] ?? [0, 0, 0];
        rgba[q * 4] = c[0];
        rgba[q * 4 + 1] = c[1];
        rgba[q * 4 + 2] = c[2];
        rgba[q * 4 + 3] = 255;
      }
    }
    frames.push({ rgba, index, palette, local, delayMs });
  }
  return { width, height, globalPalette, loopCount, frames };
}

/** GIF's variable-width LZW (codes up to 12 bits, clear and end codes). */
export function lzwDecode(data: Uint8Array, minCodeSize: number, pixelCount: number): Uint8Array {
  const out = new Uint8Array(pixelCount);
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  let codeSize = minCodeSize + 1;
  const dictPrefix = new Int32Array(4096);
  const dictSuffix = new Uint8Array(4096);
  const dictFirst = new Uint8Array(4096);
  let next = end + 1;
  let prev = -1;
  let o = 0;
  let bitPos = 0;
  const stack = new Uint8Array(4097);
  const reset = () => {
    codeSize = minCodeSize + 1;
    next = end + 1;
    prev = -1;
  };
  for (let i = 0; i < clear; i++) {
    dictPrefix[i] = -1;
    dictSuffix[i] = i;
    dictFirst[i] = i;
  }
  const totalBits = data.length * 8;
  while (bitPos + codeSize <= totalBits) {
    let code = 0;
    for (let k = 0; k < codeSize; k++, bitPos++) code |= ((data[bitPos >> 3] >> (bitPos & 7)) & 1) << k;
    if (code === clear) {
      reset();
      continue;
    }
    if (code === end) break;
    let first: number;
    let c = code;
    let sp = 0;
    if (code < next) {
      first = dictFirst[code];
    } else if (code === next && prev >= 0) {
      first = dictFirst[prev];
      stack[sp++] = first;
      c = prev;
    } else {
      throw new GifDecodeError(`bad LZW code ${code} (next ${next})`);
    }
    while (c >= 0) {
      stack[sp++] = dictSuffix[c];
      c = dictPrefix[c];
    }
    while (sp > 0 && o < pixelCount) out[o++] = stack[--sp];
    if (prev >= 0 && next < 4096) {
      dictPrefix[next] = prev;
      dictSuffix[next] = first;
      dictFirst[next] = dictFirst[prev];
      next++;
      if (next === 1 << codeSize && codeSize < 12) codeSize++;
    }
    prev = code;
  }
  if (o < pixelCount) throw new GifDecodeError(`LZW data ended after ${o} of ${pixelCount} pixels`);
  return out;
}
