// Confinement of a scan to the folder the user opened: every directory entered and every file read
// is resolved (realpath) and must stay inside the opened root; symlink loops and links that point
// outside are refused with a clear error instead of being followed. The one exception is the
// Hugging Face hub cache's own design: a snapshot's files are links to `../../blobs/` of the same
// `models--*` folder, which may lie outside a snapshot folder that was opened directly.
import { realpath } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';

export class ScanRefusal extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ScanRefusal';
  }
}

export function isInside(child: string, parent: string): boolean {
  if (child === parent) return true;
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel);
}

/** The `models--*` folder that a path lies in, if any (`.../models--org--name/...`). */
function hubModelFolder(p: string): string | null {
  const parts = p.split(sep);
  for (let i = parts.length - 1; i >= 0; i--) if (parts[i].startsWith('models--')) return parts.slice(0, i + 1).join(sep);
  return null;
}

export class PathGuard {
  private constructor(readonly root: string) {}

  static async create(openedPath: string): Promise<PathGuard> {
    return new PathGuard(await realpath(openedPath));
  }

  /**
   * Resolve `p` (a path found while scanning) and check that it stays inside the root, or is a hub
   * snapshot link into the same model folder's blobs. Throws ScanRefusal otherwise.
   */
  async resolve(p: string): Promise<string> {
    let real: string;
    try {
      real = await realpath(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new ScanRefusal(p, 'symlink loop; not followed');
      if (code === 'ENOENT') throw new ScanRefusal(p, 'dangling symlink or missing file');
      throw new ScanRefusal(p, `cannot resolve: ${(err as Error).message}`);
    }
    if (isInside(real, this.root)) return real;
    const model = hubModelFolder(dirname(p));
    if (model && p.split(sep).includes('snapshots')) {
      const realModel = await realpath(model).catch(() => null);
      if (realModel && isInside(real, `${realModel}${sep}blobs`)) return real;
    }
    throw new ScanRefusal(p, `symlink points outside the opened folder (to ${real}); not followed`);
  }
}
