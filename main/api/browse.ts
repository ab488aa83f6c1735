// The browse method of AtlasApi (main/api/engine.ts): one folder's subfolders and weight files
// for the folder picker, with the roots it offers (home, the Hugging Face cache, recent folders).
import { readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, parse as parsePath, resolve } from 'node:path';
import { homedir } from 'node:os';
import { AtlasError, type Request, type Response } from '../../common/api';
import { findHubCacheRoot } from '../layouts/hf-cache';

export async function browseFolder(req: Request<'browse'>, env: NodeJS.ProcessEnv, recentPaths: readonly string[]): Promise<Response<'browse'>> {
  const path = resolve(req.path ?? homedir());
  let names: string[];
  try {
    const st = await stat(path);
    if (!st.isDirectory()) throw new AtlasError('bad-request', `${path} is not a folder`, path);
    names = await readdir(path);
  } catch (err) {
    if (err instanceof AtlasError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AtlasError('not-found', `there is no folder ${path}`);
    if (code === 'EACCES' || code === 'EPERM') throw new AtlasError('forbidden', `no permission to list ${path}`, path);
    throw new AtlasError('io', `cannot list ${path}: ${code ?? (err as Error).message}`, path);
  }
  const entries: Response<'browse'>['entries'] = [];
  // Numbers in names sort as numbers: checkpoint-16 before checkpoint-128 before checkpoint-1200.
  for (const name of names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    if (name.startsWith('.') && name !== '.cache') continue;
    const full = join(path, name);
    try {
      const st = await stat(full);
      if (st.isDirectory()) entries.push({ name, path: full, isDir: true });
      // Regular files only: a FIFO, socket or device is never offered (issue 14).
      else if (st.isFile() && /\.(safetensors|bin|pt|pth|json)$/.test(name)) entries.push({ name, path: full, isDir: false });
    } catch {
      // unreadable or dangling entries are not offered
    }
    if (entries.length >= 2000) break;
  }
  const hub = findHubCacheRoot(env);
  const roots = [homedir(), ...(hub && existsSync(hub) ? [hub] : []), ...recentPaths];
  const parent = parsePath(path).root === path ? null : dirname(path);
  return { path, parent, entries, roots: [...new Set(roots)] };
}
