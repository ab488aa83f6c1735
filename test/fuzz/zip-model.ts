// A torch.save archive as a list of (name, bytes) entries, read from a seed through its central
// directory and written back as a stored zip (optionally ZIP64, with torch's data descriptors), so
// that the fuzzer can mutate the structure (drop, duplicate, rename entries, replace data.pkl) and
// then individual header fields at known offsets (sizes, offsets, counts, compression method).
// Hand-written on purpose: it must also write archives that no zip library would.
import type { Rng } from './rng';
import { boundaryValue, writeUintLE } from './mutate-bytes';

export interface ZipModelEntry {
  name: string;
  data: Uint8Array;
  /** Compression method written in both headers (0 = stored; torch never writes anything else). */
  method?: number;
}

/** One integer field of the written archive: where it is and how wide. */
export interface ZipField {
  what: string;
  offset: number;
  width: number;
}

export interface WrittenZip {
  bytes: Uint8Array;
  fields: ZipField[];
}

let crcTable: Uint32Array | null = null;
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Entries of a well-formed seed archive (central directory, ZIP64 sizes honoured). */
export function parseZipModel(bytes: Uint8Array): ZipModelEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= 0; i--) if (v.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error('seed is not a zip archive');
  let count = v.getUint16(eocd + 10, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    const z64 = Number(v.getBigUint64(eocd - 20 + 8, true));
    count = Number(v.getBigUint64(z64 + 32, true));
    cdOffset = Number(v.getBigUint64(z64 + 48, true));
  }
  const decoder = new TextDecoder();
  const out: ZipModelEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    let size = v.getUint32(p + 20, true);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    let lho = v.getUint32(p + 42, true);
    const usize = v.getUint32(p + 24, true);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLength));
    let e = p + 46 + nameLength;
    while (e + 4 <= p + 46 + nameLength + extraLength) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (usize === 0xffffffff) q += 8;
        if (size === 0xffffffff) { size = Number(v.getBigUint64(q, true)); q += 8; }
        if (lho === 0xffffffff) lho = Number(v.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    const start = lho + 30 + v.getUint16(lho + 26, true) + v.getUint16(lho + 28, true);
    out.push({ name, data: bytes.slice(start, start + size) });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/** Write entries as a stored zip the way torch.save lays it out; `zip64` forces ZIP64 records. */
export function writeZipModel(entries: ZipModelEntry[], options: { zip64?: boolean } = {}): WrittenZip {
  const zip64 = options.zip64 ?? false;
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  const fields: ZipField[] = [];
  let pos = 0;
  const emit = (b: Uint8Array): number => {
    const at = pos;
    chunks.push(b);
    pos += b.length;
    return at;
  };
  const locals: { at: number; name: Uint8Array; label: string; crc: number; size: number; method: number }[] = [];
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const method = entry.method ?? 0;
    const crc = crc32(entry.data);
    const h = new Uint8Array(30 + name.length);
    const hv = new DataView(h.buffer);
    hv.setUint32(0, 0x04034b50, true);
    hv.setUint16(4, zip64 ? 45 : 20, true);
    hv.setUint16(6, 0x0808, true); // data descriptor + UTF-8 names, as torch writes
    hv.setUint16(8, method, true);
    hv.setUint16(26, name.length, true);
    h.set(name, 30);
    const at = emit(h);
    fields.push({ what: `local ${entry.name} signature`, offset: at, width: 4 });
    fields.push({ what: `local ${entry.name} name length`, offset: at + 26, width: 2 });
    fields.push({ what: `local ${entry.name} extra length`, offset: at + 28, width: 2 });
    emit(entry.data);
    const dd = new Uint8Array(zip64 ? 24 : 16);
    const dv = new DataView(dd.buffer);
    dv.setUint32(0, 0x08074b50, true);
    dv.setUint32(4, crc, true);
    if (zip64) {
      dv.setBigUint64(8, BigInt(entry.data.length), true);
      dv.setBigUint64(16, BigInt(entry.data.length), true);
    } else {
      dv.setUint32(8, entry.data.length, true);
      dv.setUint32(12, entry.data.length, true);
    }
    emit(dd);
    locals.push({ at, name, label: entry.name, crc, size: entry.data.length, method });
  }
  const cdStart = pos;
  for (const l of locals) {
    const extra = zip64 ? 28 : 0;
    const c = new Uint8Array(46 + l.name.length + extra);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, zip64 ? 45 : 20, true);
    cv.setUint16(6, zip64 ? 45 : 20, true);
    cv.setUint16(8, 0x0808, true);
    cv.setUint16(10, l.method, true);
    cv.setUint32(16, l.crc, true);
    cv.setUint32(20, zip64 ? 0xffffffff : l.size, true);
    cv.setUint32(24, zip64 ? 0xffffffff : l.size, true);
    cv.setUint16(28, l.name.length, true);
    cv.setUint16(30, extra, true);
    cv.setUint32(42, zip64 ? 0xffffffff : l.at, true);
    c.set(l.name, 46);
    if (zip64) {
      const e = 46 + l.name.length;
      cv.setUint16(e, 0x0001, true);
      cv.setUint16(e + 2, 24, true);
      cv.setBigUint64(e + 4, BigInt(l.size), true);
      cv.setBigUint64(e + 12, BigInt(l.size), true);
      cv.setBigUint64(e + 20, BigInt(l.at), true);
    }
    const at = emit(c);
    const label = l.label;
    fields.push({ what: `central ${label} signature`, offset: at, width: 4 });
    fields.push({ what: `central ${label} method`, offset: at + 10, width: 2 });
    fields.push({ what: `central ${label} compressed size`, offset: at + 20, width: 4 });
    fields.push({ what: `central ${label} uncompressed size`, offset: at + 24, width: 4 });
    fields.push({ what: `central ${label} name length`, offset: at + 28, width: 2 });
    fields.push({ what: `central ${label} extra length`, offset: at + 30, width: 2 });
    fields.push({ what: `central ${label} comment length`, offset: at + 32, width: 2 });
    fields.push({ what: `central ${label} local header offset`, offset: at + 42, width: 4 });
    if (zip64) {
      const e = at + 46 + l.name.length;
      fields.push({ what: `central ${label} zip64 extra length`, offset: e + 2, width: 2 });
      fields.push({ what: `central ${label} zip64 uncompressed size`, offset: e + 4, width: 8 });
      fields.push({ what: `central ${label} zip64 compressed size`, offset: e + 12, width: 8 });
      fields.push({ what: `central ${label} zip64 local header offset`, offset: e + 20, width: 8 });
    }
  }
  const cdSize = pos - cdStart;
  if (zip64) {
    const z = new Uint8Array(56);
    const zv = new DataView(z.buffer);
    zv.setUint32(0, 0x06064b50, true);
    zv.setBigUint64(4, 44n, true);
    zv.setUint16(12, 45, true);
    zv.setUint16(14, 45, true);
    zv.setBigUint64(24, BigInt(locals.length), true);
    zv.setBigUint64(32, BigInt(locals.length), true);
    zv.setBigUint64(40, BigInt(cdSize), true);
    zv.setBigUint64(48, BigInt(cdStart), true);
    const zAt = emit(z);
    fields.push({ what: 'zip64 end record signature', offset: zAt, width: 4 });
    fields.push({ what: 'zip64 entry count', offset: zAt + 32, width: 8 });
    fields.push({ what: 'zip64 central directory size', offset: zAt + 40, width: 8 });
    fields.push({ what: 'zip64 central directory offset', offset: zAt + 48, width: 8 });
    const loc = new Uint8Array(20);
    const lv = new DataView(loc.buffer);
    lv.setUint32(0, 0x07064b50, true);
    lv.setBigUint64(8, BigInt(zAt), true);
    lv.setUint32(16, 1, true);
    const locAt = emit(loc);
    fields.push({ what: 'zip64 locator signature', offset: locAt, width: 4 });
    fields.push({ what: 'zip64 locator end record offset', offset: locAt + 8, width: 8 });
  }
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, zip64 ? 0xffff : Math.min(locals.length, 0xffff), true);
  ev.setUint16(10, zip64 ? 0xffff : Math.min(locals.length, 0xffff), true);
  ev.setUint32(12, zip64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, zip64 ? 0xffffffff : cdStart, true);
  const eAt = emit(eocd);
  fields.push({ what: 'end record entry count', offset: eAt + 10, width: 2 });
  fields.push({ what: 'end record central directory size', offset: eAt + 12, width: 4 });
  fields.push({ what: 'end record central directory offset', offset: eAt + 16, width: 4 });
  fields.push({ what: 'end record comment length', offset: eAt + 20, width: 2 });
  const bytes = new Uint8Array(pos);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  return { bytes, fields };
}

/** The archive's top folder (`archive`, `model`, ...) from its data.pkl entry. */
export function topOf(entries: ZipModelEntry[]): string {
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl'));
  return pkl ? pkl.name.slice(0, -'/data.pkl'.length) : 'archive';
}

/** Structural mutation of the entry list (returns a new list; entry data shared, never modified). */
export function mutateZipEntries(rng: Rng, input: ZipModelEntry[]): ZipModelEntry[] {
  const entries = input.map((e) => ({ ...e }));
  const top = topOf(entries);
  const any = (): ZipModelEntry | undefined => (entries.length ? entries[rng.int(entries.length)] : undefined);
  switch (rng.int(10)) {
    case 0: if (entries.length) entries.splice(rng.int(entries.length), 1); break; // drop (a storage, data.pkl, byteorder)
    case 1: { const e = any(); if (e) entries.splice(rng.int(entries.length + 1), 0, { ...e }); break; } // duplicate
    case 2: { // rename
      const e = any();
      if (e) e.name = rng.pick([`${top}/data.pkl`, `other/data.pkl`, `${top}/data/0`, `${top}/data/999`, `../${e.name}`, `/${e.name}`, '', e.name + '\u0000', `${top}/byteorder`, `${top}/data/${'9'.repeat(40)}`]);
      break;
    }
    case 3: { // byteorder content
      const order = entries.find((e) => e.name.endsWith('/byteorder'));
      const value = new TextEncoder().encode(rng.pick(['big', 'little\n', '', 'middle', 'x'.repeat(17), 'little'.repeat(3)]));
      if (order) order.data = value;
      else entries.unshift({ name: `${top}/byteorder`, data: value });
      break;
    }
    case 4: { const e = any(); if (e) e.method = rng.pick([8, 12, 14, 93, 99, 0xffff, 1]); break; } // compression method
    case 5: { // storage data shortened or lengthened
      const e = any();
      if (e) e.data = rng.chance(0.5) ? e.data.slice(0, rng.int(e.data.length + 1)) : new Uint8Array(e.data.length + rng.range(1, 64));
      break;
    }
    case 6: { // shuffle
      for (let i = entries.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [entries[i], entries[j]] = [entries[j], entries[i]];
      }
      break;
    }
    case 7: { // many tiny entries
      const n = rng.size([100], [5000, 70_000], 0.1);
      for (let i = 0; i < n; i++) entries.push({ name: `${top}/data/x${i}`, data: new Uint8Array(0) });
      break;
    }
    case 8: { const e = any(); if (e) e.name = e.name.replace(/^[^/]+/, rng.pick(['', 'a/b', '..', 'x'.repeat(1000), 'top'])); break; } // top folder
    default: { const e = any(); if (e) e.data = new Uint8Array(0); }
  }
  return entries;
}

/** Overwrite one to a few header fields of a written archive with boundary values. */
export function mutateZipFields(rng: Rng, written: WrittenZip): Uint8Array {
  const out = written.bytes.slice();
  const n = rng.geometric(3);
  for (let i = 0; i < n && written.fields.length; i++) {
    const f = rng.pick(written.fields);
    writeUintLE(out, f.offset, f.width, f.what.includes('method') && rng.chance(0.5) ? BigInt(rng.pick([8, 12, 14, 99])) : boundaryValue(rng, out.length));
  }
  return out;
}
