// Every file the app reads from a user's folder goes through here. A FIFO, socket or device named
// like a weight file, config.json, trainer_state.json, tokenizer.json or a probe text used to block
// a libuv thread for good on open() (four such folders starved the pool: the page stopped loading
// and SIGTERM no longer stopped the server). open() with O_NONBLOCK never waits for a writer, and
// fstat() on the opened descriptor (no race with a swapped path) refuses anything that is not a
// regular file before a byte is read. Sizes are capped before reading, and JSON errors name the
// position, never the file's contents (which would echo a linked secret into warnings).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { FormatError } from './types';

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** Why a stat is not a regular file, in words. */
export function specialKind(st: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Open `path` for reading without blocking on FIFOs; refuse (FormatError) anything but a regular file. */
export async function openRegularFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw new FormatError(path, `cannot open: ${(err as Error).message}`);
  }
  try {
    const st = await handle.stat();
    const kind = specialKind(st);
    if (kind) throw new FormatError(path, `is ${kind}, not a regular file; not read`);
    return { handle, size: st.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** The whole of a regular file of at most `maxBytes` bytes. */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path);
  try {
    if (size > maxBytes) throw new FormatError(path, `file of ${size} bytes is larger than the ${maxBytes}-byte limit for this kind of file`);
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(buf, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? buf : buf.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** Deepest nesting accepted in a JSON file we read (real configs, tokenizers and indexes nest < 10). */
export const MAX_JSON_DEPTH = 512;

/**
 * Nesting depth of JSON text, by one linear pass that skips strings; stops early past `limit`.
 * JSON.parse of a 24 MB file nested a million deep takes seconds of CPU (found by fuzzing
 * tokenizer_config.json), a scan of its characters a few milliseconds.
 */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** JSON.parse whose error says where, not what: V8's messages quote the text around the error. */
export function parseJsonQuietly(text: string, path: string, what = 'JSON', maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) throw new FormatError(path, `${what} nests deeper than ${maxDepth} levels; refused`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new FormatError(path, `${what} is not valid JSON${at ? ` (error at byte ${at})` : ''}`);
  }
}

/** A regular JSON file of at most `maxBytes`, parsed; errors never quote its contents. */
export async function readJsonRegular(path: string, maxBytes: number, what = 'JSON'): Promise<unknown> {
  return parseJsonQuietly((await readRegularFile(path, maxBytes)).toString('utf8'), path, what);
}
