// Tripwires for "no executed pickle" and "no side effects": in the worker that runs the cases,
// every way JavaScript could start a process or load native code (child_process, process.binding,
// process.dlopen, eval, late module loads of child_process/vm/net/...) is replaced by a trap that
// counts the call in shared memory (so the supervisor sees it even if the worker dies) and throws.
// After each case the global object and the built-in prototypes must have the same own keys as
// before (no prototype pollution by hostile names such as `__proto__`).
import * as childProcess from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';

export interface CanaryHit {
  what: string;
  stack: string;
}

const hits: CanaryHit[] = [];
let counter: Float64Array | null = null;

function trap(what: string): (...args: unknown[]) => never {
  return () => {
    const stack = new Error(what).stack ?? what;
    hits.push({ what, stack });
    if (counter) counter[0]++;
    throw new Error(`fuzz canary: ${what} was called`);
  };
}

/** Install the traps; `sharedCounter[0]` counts calls across the worker's lifetime. */
export function installCanary(sharedCounter: Float64Array): void {
  counter = sharedCounter;
  const require = createRequire(import.meta.url);
  const cp = require('node:child_process') as Record<string, unknown>;
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) cp[name] = trap(`child_process.${name}`);
  syncBuiltinESMExports();
  void childProcess;
  const proc = process as unknown as Record<string, unknown>;
  proc.binding = trap('process.binding');
  proc._linkedBinding = trap('process._linkedBinding');
  proc.dlopen = trap('process.dlopen');
  (globalThis as Record<string, unknown>).eval = trap('eval');
  // Late loads of modules the readers never need (any of them would mean code is being run).
  const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = Module._load;
  const forbidden = /^(node:)?(child_process|vm|worker_threads|cluster|net|tls|http|https|http2|dgram|inspector)$/;
  Module._load = function patched(request: string, ...rest: unknown[]) {
    if (forbidden.test(request)) trap(`require(${request})`)();
    return load.call(this, request, ...rest);
  };
}

/** Calls trapped since the last `takeCanaryHits`. */
export function takeCanaryHits(): CanaryHit[] {
  return hits.splice(0);
}

/** Own keys of the global object and the built-in prototypes, to compare before/after a case. */
export function globalShape(): string {
  const parts: string[] = [];
  for (const [label, obj] of [
    ['globalThis', globalThis], ['Object.prototype', Object.prototype], ['Array.prototype', Array.prototype],
    ['Function.prototype', Function.prototype], ['String.prototype', String.prototype],
  ] as const) {
    parts.push(`${label}:${Reflect.ownKeys(obj).map(String).sort().join(',')}`);
  }
  return parts.join('\n');
}
