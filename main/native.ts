// better-sqlite3 is a native addon built for one ABI. `npm install` builds it for Node (the CLI,
// `serve`, the tests); `npm run electron:rebuild-native` builds a second copy for Electron's ABI
// into native/electron-<abi>/, which the Electron app passes as better-sqlite3's nativeBinding.
// Both coexist, so the plain-Node CLI never breaks.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths';

export function electronNativeBinding(): string | null {
  const abi = process.versions.modules;
  const path = join(projectRoot(), 'native', `electron-${abi}`, 'better_sqlite3.node');
  return existsSync(path) ? path : null;
}
