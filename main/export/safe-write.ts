// Writing the export's fixed file names (scalars.csv, *.jsonl) into a folder the user picked,
// without ever clobbering what is already there. A red-team pass found that `export` replaced a
// user's own scalars.csv and followed a planted `scalars.csv -> ~/.bashrc` link. Now:
// - a name that exists is overwritten only when the folder's manifest (written by the previous
//   export) lists it with the same inode and size, i.e. it is our own unchanged output; a symlink,
//   folder, special file or anyone else's file is refused and named;
// - each file is written to a fresh temporary name opened O_CREAT|O_EXCL|O_NOFOLLOW (never an
//   existing file, never through a link), then renamed over the final name (rename replaces a
//   link itself, never its target), so a crash leaves either the old file or the new one.
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { lstat, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { AtlasError } from '../../common/api';
import { readRegularFile } from '../formats/regular-file';

export const EXPORT_MANIFEST = '.checkpoint-atlas-export.json';

interface ManifestEntry { name: string; ino: number; size: number }

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

async function readManifest(outDir: string): Promise<Map<string, ManifestEntry>> {
  const out = new Map<string, ManifestEntry>();
  try {
    const st = await lstat(join(outDir, EXPORT_MANIFEST));
    if (!st.isFile()) return out;
    const parsed = JSON.parse((await readRegularFile(join(outDir, EXPORT_MANIFEST), 1 << 20)).toString('utf8')) as { files?: unknown };
    if (Array.isArray(parsed.files)) {
      for (const f of parsed.files as ManifestEntry[]) {
        if (f && typeof f.name === 'string' && typeof f.ino === 'number' && typeof f.size === 'number') out.set(f.name, f);
      }
    }
  } catch {
    // no manifest (or an unreadable one): nothing in the folder is ours
  }
  return out;
}

/**
 * Refuse (AtlasError 'io', naming the file) when writing `names` into `outDir` would replace
 * anything but this app's own unchanged output of an earlier export.
 */
export async function checkExportTargets(outDir: string, names: string[]): Promise<void> {
  const manifest = await readManifest(outDir);
  for (const name of [...names, EXPORT_MANIFEST]) {
    const path = join(outDir, name);
    const st = await lstat(path).catch(() => null);
    if (!st) continue;
    if (st.isSymbolicLink()) throw new AtlasError('io', `${path} is a symbolic link; export never writes through links (remove it or choose another folder)`, path);
    if (!st.isFile()) throw new AtlasError('io', `${path} exists and is not a regular file; choose another folder`, path);
    if (name === EXPORT_MANIFEST) continue;
    const mine = manifest.get(name);
    if (!mine || mine.ino !== st.ino || mine.size !== st.size) {
      throw new AtlasError('io', `${path} already exists and was not written by an earlier export (or was changed since); refusing to overwrite it: choose an empty folder or move the file`, path);
    }
  }
}

/** One export file: lines go to a private temporary file, `commit` renames it into place. */
export class AtomicLineWriter {
  private readonly stream: WriteStream;
  private readonly tmp: string;
  private failed: Error | null = null;

  constructor(readonly path: string) {
    this.tmp = join(path, '..', `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    const fd = openSync(this.tmp, CREATE_FLAGS, 0o644);
    this.stream = createWriteStream(this.tmp, { fd, encoding: 'utf8' });
    this.stream.on('error', (err) => { this.failed = err; });
  }

  async write(line: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (!this.stream.write(line)) await once(this.stream, 'drain'); // once() rejects on 'error'
  }

  private async end(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (this.failed) throw this.failed;
  }

  /** Close and move into place; returns what the manifest records. */
  async commit(): Promise<ManifestEntry> {
    await this.end();
    await rename(this.tmp, this.path);
    const st = await stat(this.path);
    return { name: basename(this.path), ino: st.ino, size: st.size };
  }

  async abort(): Promise<void> {
    await this.end().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

/** Record the export's files (inode + size) so that the next export may replace exactly them. */
export async function writeManifest(outDir: string, files: ManifestEntry[]): Promise<void> {
  const w = new AtomicLineWriter(join(outDir, EXPORT_MANIFEST));
  try {
    await w.write(JSON.stringify({ writtenBy: 'checkpoint-atlas export', files }) + '\n');
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}
