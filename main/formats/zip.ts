// Minimal ZIP central-directory reader for torch.save archives. Hand-written because readers need
// the absolute position of each STORED entry's bytes (for positioned reads of one tensor) and must
// refuse what torch never writes (compressed entries, sizes beyond the file, absurd entry counts)
// before reading anything large; general zip libraries inflate and stream instead.
import type { RandomAccessFile } from './random-access';
import { FormatError } from './types';

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compression, refused by the torch reader. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Raw central directory bytes (for fingerprints). */
  centralDirectory: Uint8Array;
  centralDirectoryOffset: number;
}

/** torch archives hold a handful of entries per storage; more than this is hostile. */
export const MAX_ZIP_ENTRIES = 1_000_000;
const MAX_CENTRAL_DIRECTORY_BYTES = 256 * 1024 * 1024;
const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function safeNumber(v: bigint, file: string, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(file, `zip ${what} ${v} is too large`);
  return Number(v);
}

export async function readZipDirectory(file: RandomAccessFile): Promise<ZipDirectory> {
  const path = file.path;
  const fail = (problem: string): never => {
    throw new FormatError(path, problem);
  };
  const tailLength = Math.min(file.size, 22 + 65535);
  if (tailLength < 22) fail('file too small to be a zip archive');
  const tailStart = file.size - tailLength;
  const tail = await file.readExact(tailStart, tailLength);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    // The end record's comment must run exactly to the end of the file.
    if (tv.getUint32(i, true) === EOCD_SIG && i + 22 + tv.getUint16(i + 20, true) === tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no zip end-of-central-directory record (file truncated or not a zip archive)');
  let entryCount: number = tv.getUint16(eocd + 10, true);
  let cdSize: number = tv.getUint32(eocd + 12, true);
  let cdOffset: number = tv.getUint32(eocd + 16, true);
  const eocdAbsolute = tailStart + eocd;
  let cdLimit = eocdAbsolute;
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocdAbsolute < 20) fail('zip64 locator missing');
    const loc = await file.readExact(eocdAbsolute - 20, 20);
    const lv = new DataView(loc.buffer);
    if (lv.getUint32(0, true) === ZIP64_LOCATOR_SIG) {
      const z64Offset = safeNumber(lv.getBigUint64(8, true), path, 'zip64 end record offset');
      if (z64Offset + 56 > eocdAbsolute - 20) fail('zip64 end record offset out of range');
      const z = await file.readExact(z64Offset, 56);
      const zv = new DataView(z.buffer);
      if (zv.getUint32(0, true) !== ZIP64_EOCD_SIG) fail('zip64 end record signature missing');
      entryCount = safeNumber(zv.getBigUint64(32, true), path, 'entry count');
      cdSize = safeNumber(zv.getBigUint64(40, true), path, 'central directory size');
      cdOffset = safeNumber(zv.getBigUint64(48, true), path, 'central directory offset');
      cdLimit = z64Offset;
    }
  }
  if (entryCount > MAX_ZIP_ENTRIES) fail(`zip declares ${entryCount} entries (limit ${MAX_ZIP_ENTRIES})`);
  if (entryCount * 46 > cdSize) fail(`zip declares ${entryCount} entries but its central directory is only ${cdSize} bytes`);
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) fail(`zip central directory of ${cdSize} bytes is too large`);
  if (cdOffset + cdSize > cdLimit) fail(`zip central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${cdLimit}`);
  const cd = await file.readExact(cdOffset, cdSize);
  const cv = new DataView(cd.buffer);
  const decoder = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < entryCount; k++) {
    if (p + 46 > cdSize || cv.getUint32(p, true) !== CENTRAL_SIG) fail(`zip central directory entry ${k} is malformed`);
    const method = cv.getUint16(p + 10, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let uncompressedSize = cv.getUint32(p + 24, true);
    const nameLength = cv.getUint16(p + 28, true);
    const extraLength = cv.getUint16(p + 30, true);
    const commentLength = cv.getUint16(p + 32, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    if (p + 46 + nameLength + extraLength + commentLength > cdSize) fail(`zip central directory entry ${k} runs past the directory`);
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLength));
    // ZIP64 extended information: only the fields whose 32-bit slot is 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + len) fail(`zip64 extra field of "${name}" is too short`);
          const v = safeNumber(cv.getBigUint64(q, true), path, 'entry size');
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e += 4 + len;
    }
    if (compressedSize > file.size || localHeaderOffset + 30 + compressedSize > cdOffset) {
      fail(`zip entry "${name}" declares ${compressedSize} bytes at ${localHeaderOffset}, more than the file holds (zip bomb or truncated file)`);
    }
    entries.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return { entries, centralDirectory: cd, centralDirectoryOffset: cdOffset };
}

/** Absolute offset of a stored entry's bytes (after its local header), validated against the file. */
export async function entryDataOffset(file: RandomAccessFile, entry: ZipEntry, limit: number): Promise<number> {
  const local = await file.readExact(entry.localHeaderOffset, 30);
  const lv = new DataView(local.buffer);
  if (lv.getUint32(0, true) !== LOCAL_SIG) throw new FormatError(file.path, `zip entry "${entry.name}" has no local header at ${entry.localHeaderOffset}`);
  const start = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
  if (start + entry.compressedSize > limit) throw new FormatError(file.path, `zip entry "${entry.name}" data runs past the central directory`);
  return start;
}
