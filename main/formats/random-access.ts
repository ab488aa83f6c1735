// Positioned reads over a file. Every reader goes through this tiny interface so that a test can
// wrap it and count the bytes actually read (the ">= 4 GB sparse file reads only its tensor" check)
// and so that a tensor is always fetched with positioned reads of exactly its byte range.
import { openRegularFile } from './regular-file';
import { FormatError } from './types';

export interface RandomAccessFile {
  readonly path: string;
  readonly size: number;
  /**
   * Read exactly `length` bytes at `position` into a fresh buffer (8-byte aligned for typed views),
   * or into the start of `into` when it is given and large enough (streaming reads reuse one
   * buffer instead of making garbage per piece). Callers use the returned view either way.
   */
  readExact(position: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** How readers open files; tests inject a counting wrapper. */
export type FileOpener = (path: string) => Promise<RandomAccessFile>;

export const openRandomAccess: FileOpener = async (path) => {
  // Never blocks on a FIFO; refuses devices, sockets and folders (regular-file.ts).
  const { handle: fh, size } = await openRegularFile(path);
  return {
    path,
    size,
    async readExact(position, length, into) {
      if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0) {
        throw new FormatError(path, `invalid read range ${position}+${length}`);
      }
      if (position + length > size) {
        throw new FormatError(path, `read ${position}+${length} runs past the end of the file (${size} bytes)`);
      }
      // A fresh ArrayBuffer (not Buffer's pool) so the bytes can be viewed as any typed array.
      const out = into && into.length >= length && into.byteOffset % 8 === 0 ? into.subarray(0, length) : new Uint8Array(new ArrayBuffer(length));
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, position + done);
        if (bytesRead === 0) throw new FormatError(path, `file shrank while reading (got ${done} of ${length} bytes at ${position})`);
        done += bytesRead;
      }
      return out;
    },
    async close() {
      await fh.close();
    },
  };
};
