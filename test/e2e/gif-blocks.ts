// Walks the block structure of a GIF89a file (header, logical screen descriptor, colour tables,
// extensions, image descriptors, trailer) for the e2e export checks: the screen size, how many
// frames (image descriptors) it holds and each frame's delay (from the Graphic Control Extension
// before it, GIF89a section 23). Hand-written because no GIF decoder is installed and
// test/unit/export/gif-decode.ts also decodes pixels, which these checks do not need.

/** Thrown when the bytes are not a well-formed GIF; says at which byte. */
export class GifStructureError extends Error {}

export interface GifFrameBlock {
  left: number;
  top: number;
  width: number;
  height: number;
  /** Centiseconds; null when no Graphic Control Extension precedes the frame. */
  delay: number | null;
}

export interface GifStructure {
  signature: string;
  width: number;
  height: number;
  frames: GifFrameBlock[];
  trailer: boolean;
}

export function gifBlocks(bytes: Uint8Array): GifStructure {
  let p = 0;
  const need = (n: number) => {
    if (p + n > bytes.length) throw new GifStructureError(`GIF ends at byte ${bytes.length}, needed ${n} more at ${p}`);
  };
  const u8 = (): number => (need(1), bytes[p++]);
  const u16 = () => u8() | (u8() << 8);
  const skipSubBlocks = () => {
    for (;;) {
      const size = u8();
      if (size === 0) return;
      need(size);
      p += size;
    }
  };
  need(13);
  const signature = String.fromCharCode(...bytes.subarray(0, 6));
  p = 6;
  const width = u16();
  const height = u16();
  const flags = u8();
  p += 2; // background colour index, pixel aspect ratio
  if (flags & 0x80) {
    const size = 3 * (1 << ((flags & 7) + 1));
    need(size);
    p += size;
  }
  const frames: GifFrameBlock[] = [];
  /** Delay of the Graphic Control Extension waiting for the next image, in centiseconds. */
  let pendingDelay: number | null = null;
  for (;;) {
    const introducer = u8();
    if (introducer === 0x3b) return { signature, width, height, frames, trailer: true };
    if (introducer === 0x21) {
      const label = u8();
      if (label === 0xf9) {
        // Graphic Control Extension: block size 4, packed fields, delay (u16 LE), transparent index.
        const size = u8();
        if (size !== 4) throw new GifStructureError(`graphic control extension of size ${size} at byte ${p - 1}, expected 4`);
        u8();
        pendingDelay = u16();
        u8();
      }
      skipSubBlocks();
    } else if (introducer === 0x2c) {
      const frame: GifFrameBlock = { left: u16(), top: u16(), width: u16(), height: u16(), delay: pendingDelay };
      pendingDelay = null;
      const local = u8();
      if (local & 0x80) {
        const size = 3 * (1 << ((local & 7) + 1));
        need(size);
        p += size;
      }
      u8(); // LZW minimum code size
      skipSubBlocks();
      frames.push(frame);
    } else {
      throw new GifStructureError(`unknown block 0x${introducer.toString(16)} at byte ${p - 1}`);
    }
  }
}
