// `serve --open` without the token on a command line. Passing the tokenised URL to xdg-open puts
// it in /proc/<pid>/cmdline, readable by every local user of a shared GPU server, and loopback is
// shared there too. As Jupyter does, the browser is handed a redirect file instead: a page in a
// private folder (0700, file 0600) whose only job is to forward to the URL; the URL's token is then
// exchanged for a session cookie by main/api/http.ts. The file is removed after a minute.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Write the redirect page for `url`; returns its path (which holds no secret). */
export function writeLaunchFile(url: string, removeAfterMs = 60_000): string {
  const dir = mkdtempSync(join(tmpdir(), 'checkpoint-atlas-open-')); // mode 0700
  const file = join(dir, 'open.html');
  const href = escapeHtml(url);
  writeFileSync(
    file,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
      `<meta http-equiv="refresh" content="0;url=${href}"><title>Checkpoint Atlas</title>` +
      `<p><a href="${href}">Open Checkpoint Atlas</a></p>\n`,
    { mode: 0o600 },
  );
  const timer = setTimeout(() => rmSync(dir, { recursive: true, force: true }), removeAfterMs);
  timer.unref();
  return file;
}

/** The command that opens `target` (a file path) in the default browser on `platform`. */
export function browserCommand(platform: NodeJS.Platform, target: string): { cmd: string; args: string[] } {
  if (platform === 'darwin') return { cmd: 'open', args: [target] };
  if (platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '', pathToFileURL(target).href] };
  return { cmd: 'xdg-open', args: [target] };
}
