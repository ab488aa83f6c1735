// Pickle-opcode-aware mutations of torch's data.pkl: the pickle is split into opcodes (with their
// arguments), then opcodes are swapped, replaced, deleted or duplicated; malicious GLOBALs that
// would run a shell command (os.system, builtins.eval, subprocess.Popen, posix.system, ...) are
// inserted in every spelling (GLOBAL, STACK_GLOBAL, INST, OBJ, NEWOBJ, Python 2 names); MARKs and
// containers are nested deeply; length prefixes and memo indices get boundary values.
// If any of those payloads were ever executed it would create CANARY_PATH, which the supervisor
// checks; the unpickler under test must refuse them by name instead.
import { concat } from './mutate-bytes';
import type { Rng } from './rng';

/** The file a malicious payload would create if a pickle were ever executed. */
export const CANARY_PATH = '/tmp/checkpoint-atlas-fuzz-canary';
const SHELL = `touch ${CANARY_PATH}`;

type ArgKind = 'none' | 'u1' | 'u2' | 'u4' | 'u8' | 'f8' | 'line' | 'line2' | 'len1' | 'len4' | 'len8';
const OPCODES: Record<number, ArgKind> = {
  0x28: 'none', 0x2e: 'none', 0x30: 'none', 0x31: 'none', 0x32: 'none', 0x4e: 'none', 0x88: 'none', 0x89: 'none',
  0x7d: 'none', 0x5d: 'none', 0x29: 'none', 0x8f: 'none', 0x64: 'none', 0x6c: 'none', 0x74: 'none', 0x85: 'none',
  0x86: 'none', 0x87: 'none', 0x91: 'none', 0x73: 'none', 0x75: 'none', 0x61: 'none', 0x65: 'none', 0x90: 'none',
  0x94: 'none', 0x93: 'none', 0x51: 'none', 0x52: 'none', 0x81: 'none', 0x62: 'none', 0x92: 'none', 0x6f: 'none',
  0x97: 'none', 0x98: 'none',
  0x80: 'u1', 0x4b: 'u1', 0x71: 'u1', 0x68: 'u1', 0x82: 'u1', 0x4d: 'u2', 0x83: 'u2',
  0x4a: 'u4', 0x72: 'u4', 0x6a: 'u4', 0x84: 'u4', 0x95: 'u8', 0x47: 'f8',
  0x49: 'line', 0x4c: 'line', 0x46: 'line', 0x70: 'line', 0x67: 'line', 0x53: 'line', 0x56: 'line', 0x50: 'line',
  0x63: 'line2', 0x69: 'line2',
  0x8a: 'len1', 0x8c: 'len1', 0x55: 'len1', 0x43: 'len1',
  0x58: 'len4', 0x54: 'len4', 0x42: 'len4', 0x8b: 'len4',
  0x8d: 'len8', 0x8e: 'len8', 0x96: 'len8',
};
const ALL_OPCODES = Object.keys(OPCODES).map(Number);

export interface PickleOp {
  op: number;
  /** The opcode byte and its arguments. */
  bytes: Uint8Array;
}

/** Split a pickle into opcodes; whatever cannot be parsed stays as one trailing raw chunk. */
export function splitPickle(data: Uint8Array): PickleOp[] {
  const ops: PickleOp[] = [];
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  while (p < data.length) {
    const start = p;
    const op = data[p++];
    const kind = OPCODES[op];
    let ok = kind !== undefined;
    const lineEnd = (): void => {
      const e = data.indexOf(0x0a, p);
      if (e < 0) ok = false;
      else p = e + 1;
    };
    switch (kind) {
      case 'u1': p += 1; break;
      case 'u2': p += 2; break;
      case 'u4': p += 4; break;
      case 'u8': case 'f8': p += 8; break;
      case 'line': lineEnd(); break;
      case 'line2': lineEnd(); if (ok) lineEnd(); break;
      case 'len1': if (p < data.length) p += 1 + data[p]; else ok = false; break;
      case 'len4': if (p + 4 <= data.length) p += 4 + v.getUint32(p, true); else ok = false; break;
      case 'len8': if (p + 8 <= data.length) p += 8 + Number(v.getBigUint64(p, true)); else ok = false; break;
      default: break;
    }
    if (!ok || p > data.length) {
      ops.push({ op: -1, bytes: data.slice(start) });
      break;
    }
    ops.push({ op, bytes: data.slice(start, p) });
    if (op === 0x2e) {
      if (p < data.length) ops.push({ op: -1, bytes: data.slice(p) });
      break;
    }
  }
  return ops;
}

const enc = new TextEncoder();
const u32le = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n >>> 0, true); return b; };
const u64le = (n: bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n), true); return b; };
const op = (code: number, ...args: Uint8Array[]): Uint8Array => concat(new Uint8Array([code]), ...args);
const binunicode = (s: string): Uint8Array => { const b = enc.encode(s); return op(0x58, u32le(b.length), b); };
const shortBinunicode = (s: string): Uint8Array => { const b = enc.encode(s); return op(0x8c, new Uint8Array([b.length]), b); };
const global = (module: string, name: string): Uint8Array => op(0x63, enc.encode(`${module}\n${name}\n`));

/** Callables a malicious pickle reaches for, in the module spellings pickles use. */
const EVIL_GLOBALS: readonly [string, string, string[]][] = [
  ['os', 'system', [SHELL]],
  ['posix', 'system', [SHELL]],
  ['nt', 'system', [SHELL]],
  ['builtins', 'eval', [`__import__('os').system('${SHELL}')`]],
  ['builtins', 'exec', [`import os; os.system('${SHELL}')`]],
  ['__builtin__', 'eval', [`__import__('os').system('${SHELL}')`]],
  ['subprocess', 'Popen', ['touch', CANARY_PATH]],
  ['subprocess', 'check_output', ['touch', CANARY_PATH]],
  ['commands', 'getoutput', [SHELL]],
  ['builtins', 'getattr', ['os', 'system']],
  ['builtins', '__import__', ['os']],
  ['torch', 'load', [CANARY_PATH]],
  ['torch.serialization', 'load', [CANARY_PATH]],
  ['copyreg', '_reconstructor', ['os']],
  ['collections', 'OrderedDict.__class__', []],
  ['torch._utils', '_rebuild_tensor_v2.__globals__', []],
  ['webbrowser', 'open', ['file://' + CANARY_PATH]],
];

/** A complete call of an evil global in one of several opcode spellings (net effect: one value pushed). */
export function evilCall(rng: Rng): Uint8Array {
  const [module, name, args] = rng.pick(EVIL_GLOBALS);
  const argTuple = concat(new Uint8Array([0x28]), ...args.map(binunicode), new Uint8Array([0x74])); // MARK args TUPLE
  switch (rng.int(6)) {
    case 0: return concat(global(module, name), argTuple, new Uint8Array([0x52])); // GLOBAL + REDUCE
    case 1: return concat(shortBinunicode(module), shortBinunicode(name), new Uint8Array([0x93]), argTuple, new Uint8Array([0x52])); // STACK_GLOBAL
    case 2: return concat(new Uint8Array([0x28]), ...args.map(binunicode), op(0x69, enc.encode(`${module}\n${name}\n`))); // INST
    case 3: return concat(new Uint8Array([0x28]), global(module, name), ...args.map(binunicode), new Uint8Array([0x6f])); // OBJ
    case 4: return concat(global(module, name), argTuple, new Uint8Array([0x81])); // NEWOBJ
    default: return concat(global(module, name), argTuple, new Uint8Array([0x52, 0x30]), new Uint8Array([0x4e])); // called, result popped
  }
}

function hugeLength(rng: Rng): Uint8Array {
  switch (rng.int(7)) {
    case 0: return op(0x58, u32le(rng.pick([0xffffffff, 0x80000000, 0x7fffffff, 1 << 30]))); // BINUNICODE without its bytes
    case 1: return op(rng.pick([0x8d, 0x8e, 0x96]), u64le(rng.pick([2n ** 53n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 32n, 2n ** 31n])));
    case 2: return op(0x8b, u32le(rng.pick([0x7fffffff, 0xffffffff, 1 << 20]))); // LONG4
    case 3: return concat(op(0x8a, new Uint8Array([255])), new Uint8Array(255).fill(0x7f)); // LONG1 past the 64-byte limit
    case 4: return op(0x42, u32le(0xffffffff)); // BINBYTES
    case 5: return op(0x54, u32le(rng.pick([0xffffffff, 0x80000000]))); // BINSTRING (negative as i32)
    default: return op(0x95, u64le(rng.pick([2n ** 64n - 1n, 0n, 2n ** 53n]))); // FRAME
  }
}

function memoChaos(rng: Rng): Uint8Array {
  switch (rng.int(6)) {
    case 0: return op(0x68, new Uint8Array([rng.int(256)])); // BINGET of maybe-unset index
    case 1: return op(0x6a, u32le(rng.pick([0xffffffff, 0x80000000, 1_000_000, rng.u32()]))); // LONG_BINGET out of range
    case 2: return op(0x72, u32le(rng.pick([0xffffffff, 0x80000000, rng.u32()]))); // LONG_BINPUT at huge index
    case 3: return new Uint8Array(rng.size([1000], [1_000_001, 1_100_000], 0.2)).fill(0x94); // MEMOIZE flood (memo limit 1e6)
    case 4: return op(0x67, enc.encode(`${rng.pick(['-1', '1e9', 'NaN', '99999999999999999999', ''])}\n`)); // GET (text)
    default: return concat(op(0x68, new Uint8Array([0])), op(0x68, new Uint8Array([0])), new Uint8Array([0x73])); // root[root] = root
  }
}

/** LONG_BINPUT / LONG_BINGET of memo index k. */
const longPut = (k: number): Uint8Array => op(0x72, u32le(k));
const longGet = (k: number): Uint8Array => op(0x6a, u32le(k));

/**
 * Ops to insert just before STOP (the state dict on top of the stack): `levels` dicts, each
 * holding `fanout` keys that all point at the level below through the memo, the first level
 * pointing at the state dict; the last level becomes the result. Walked as a tree it names
 * fanout^levels copies of every tensor (issue 14: 8^16 from a 2 KB file).
 */
function memoDag(rng: Rng): Uint8Array {
  const levels = 2 + rng.int(rng.chance(0.3) ? 30 : 15);
  const fanout = 2 + rng.int(15);
  const base = 900_000 + rng.int(10_000);
  const parts: Uint8Array[] = [longPut(base)];
  for (let l = 1; l <= levels; l++) {
    parts.push(new Uint8Array([0x7d, 0x28]));
    for (let i = 0; i < fanout; i++) parts.push(op(0x8c, new Uint8Array([`k${i}`.length]), enc.encode(`k${i}`)), longGet(base + l - 1));
    parts.push(new Uint8Array([0x75]), longPut(base + l), new Uint8Array([0x30]));
  }
  parts.push(new Uint8Array([0x30]), longGet(base + levels));
  return concat(...parts);
}

/**
 * Ops to insert just before STOP: one memoised list of `n` items, then `copies` calls of
 * builtins.set / frozenset on it appended to a list that is dropped (the state dict stays the
 * result). Each call is 13 bytes and copies the whole list: n * copies items from a small file.
 */
function setCopies(rng: Rng): Uint8Array {
  const n = rng.size([1000, 10_001], [50_000, 200_000], 0.2);
  const copies = rng.size([10, 2001], [10_000, 30_000], 0.3);
  const a = 950_000 + rng.int(1000);
  const fn = rng.chance(0.7) ? 'set' : 'frozenset';
  const parts: Uint8Array[] = [new Uint8Array([0x5d, 0x28]), new Uint8Array(n).fill(0x4e), new Uint8Array([0x65]), longPut(a), new Uint8Array([0x30])];
  parts.push(global('builtins', fn), longPut(a + 1), new Uint8Array([0x30]), new Uint8Array([0x5d]));
  const call = concat(longGet(a + 1), longGet(a), new Uint8Array([0x85, 0x52, 0x61]));
  for (let i = 0; i < copies; i++) parts.push(call);
  parts.push(new Uint8Array([0x30]));
  return concat(...parts);
}

function deepNesting(rng: Rng): Uint8Array {
  const n = rng.size([100, 10_001], [100_000, 1_000_000], 0.08);
  switch (rng.int(4)) {
    case 0: return new Uint8Array(n).fill(0x28); // MARKs never closed
    case 1: return concat(new Uint8Array(n).fill(0x28), new Uint8Array(n).fill(0x74)); // nested tuples, each MARK closed
    case 2: return concat(new Uint8Array(n).fill(0x5d), new Uint8Array(n - 1).fill(0x61)); // list in list in list ...
    default: { // d0['a'] = d1, d1['a'] = d2, ... n dicts deep: EMPTY_DICT ('a' EMPTY_DICT)*n SETITEM*n
      const step = new Uint8Array([0x8c, 1, 0x61, 0x7d]);
      const body = new Uint8Array(n * 4);
      for (let k = 0; k < n; k++) body.set(step, k * 4);
      return concat(new Uint8Array([0x7d]), body, new Uint8Array(n).fill(0x73));
    }
  }
}

/** Names a downloaded header could carry to attack a terminal (window title, clear screen, a forged line, bidi override). */
export const ESCAPE_STRINGS = ['\u001b]0;pwned\u0007', 'w\u001b[2J\u001b[H', 'a\nOK: all checks passed', 'x\r\u001b[1Aforged', '\u202eexe.txt', 'n\u0000ul', '\u009b31mred', 'tab\tsep\u2028line'];

const STRINGS = [...ESCAPE_STRINGS, 'storage', 'torch.FloatStorage', 'torch.LongStorage', 'FloatStorage', '0', '1', '999', 'cpu', 'cuda:0', '', '../0', '/etc/passwd', 'a'.repeat(1000), '__proto__', 'constructor', 'weight', 'model.weight'];

function intOp(rng: Rng): Uint8Array {
  switch (rng.int(4)) {
    case 0: return op(0x4a, u32le(rng.pick([0xffffffff, 0x80000000, 0x7fffffff, 0]))); // BININT (i32)
    case 1: return op(0x4b, new Uint8Array([rng.pick([0, 1, 255])]));
    case 2: { const v = rng.pick([2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, -1n, -(2n ** 63n), 2n ** 32n]); return op(0x8a, new Uint8Array([8]), u64le(v)); }
    default: return op(0x49, enc.encode(`${rng.pick(['-1', '9007199254740993', '1e3', '0x10', '01', '00'])}\n`)); // INT text
  }
}

/** An integer opcode for any value: BININT when it fits in an i32, else LONG1 with 8 bytes. */
function intValueOp(v: bigint): Uint8Array {
  if (v >= -(2n ** 31n) && v < 2n ** 31n) return op(0x4a, u32le(Number(BigInt.asUintN(32, v))));
  return op(0x8a, new Uint8Array([8]), u64le(v));
}

const INT_OPS = new Set([0x4a, 0x4b, 0x4d, 0x8a, 0x49]);
const TUPLE_OPS = new Set([0x85, 0x86, 0x87, 0x74, 0x29]);
const SKIP_OPS = new Set([0x71, 0x72, 0x94, 0x28]);

/**
 * Tensor-view mutation: after a BINPERSID (the storage) come the storage offset, the size tuple
 * and the stride tuple of `_rebuild_tensor_v2`; set them to what a hostile file would claim:
 * zero strides with a huge size (an expanded view: a tiny storage describing a huge tensor), huge
 * sizes, offsets or strides.
 */
function mutateView(rng: Rng, ops: PickleOp[]): void {
  const persids = ops.map((o, k) => (o.op === 0x51 ? k : -1)).filter((k) => k >= 0);
  if (!persids.length) return;
  let k = rng.pick(persids) + 1;
  const groups: number[][] = [];
  let current: number[] = [];
  for (; k < ops.length && groups.length < 3; k++) {
    if (SKIP_OPS.has(ops[k].op)) continue;
    if (INT_OPS.has(ops[k].op)) {
      current.push(k);
      if (groups.length === 0) { groups.push(current); current = []; } // the storage offset
    } else if (TUPLE_OPS.has(ops[k].op)) {
      groups.push(current);
      current = [];
    } else break;
  }
  if (groups.length < 3) return;
  const [offset, size, stride] = groups;
  const set = (index: number, v: bigint): void => { const b = intValueOp(v); ops[index] = { op: b[0], bytes: b }; };
  const huge = (): bigint => rng.pick([2n ** 28n, 2n ** 30n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n]);
  switch (rng.int(4)) {
    case 0: // expanded view
      for (const s of stride) set(s, 0n);
      if (size.length) set(rng.pick(size), huge());
      break;
    case 1: if (size.length) set(rng.pick(size), huge()); break;
    case 2: set(offset[0], huge()); break;
    default: if (stride.length) set(rng.pick(stride), rng.chance(0.5) ? huge() : -1n);
  }
}

/** One to a few opcode-aware mutations of a pickle. */
export function mutatePickle(rng: Rng, data: Uint8Array): Uint8Array {
  const ops = splitPickle(data);
  const n = rng.geometric(4);
  const at = (): number => rng.int(ops.length + 1);
  const insert = (bytes: Uint8Array, where = at()): void => { ops.splice(where, 0, { op: bytes[0] ?? -1, bytes }); };
  for (let i = 0; i < n; i++) {
    switch (rng.int(16)) {
      case 13: mutateView(rng, ops); break;
      case 14: case 15: { // memo-DAG or set-copy amplification, just before STOP so the rest stays valid
        const stop = ops.findIndex((o) => o.op === 0x2e);
        const bytes = rng.chance(0.5) ? memoDag(rng) : setCopies(rng);
        insert(bytes, stop >= 0 ? stop : ops.length);
        break;
      }
      case 0: { // swap two ops
        if (ops.length < 2) break;
        const a = rng.int(ops.length);
        const b = rng.int(ops.length);
        [ops[a], ops[b]] = [ops[b], ops[a]];
        break;
      }
      case 1: { // replace the opcode byte, keep the argument bytes (misparses what follows)
        if (!ops.length) break;
        const k = rng.int(ops.length);
        const bytes = ops[k].bytes.slice();
        if (bytes.length) bytes[0] = rng.chance(0.8) ? rng.pick(ALL_OPCODES) : rng.u32() & 0xff;
        ops[k] = { op: bytes[0], bytes };
        break;
      }
      case 2: if (ops.length) ops.splice(rng.int(ops.length), 1); break; // delete an op
      case 3: { if (ops.length) { const k = rng.int(ops.length); insert(ops[k].bytes, k); } break; } // duplicate an op
      case 4: case 5: { // malicious call: anywhere, right after PROTO, or in place of a rebuild GLOBAL
        const evil = evilCall(rng);
        const globals = ops.map((o, k) => (o.op === 0x63 || o.op === 0x93 ? k : -1)).filter((k) => k >= 0);
        if (globals.length && rng.chance(0.4)) ops[rng.pick(globals)] = { op: evil[0], bytes: evil };
        else insert(evil, rng.chance(0.3) ? Math.min(1, ops.length) : at());
        break;
      }
      case 6: insert(deepNesting(rng)); break;
      case 7: insert(hugeLength(rng)); break;
      case 8: insert(memoChaos(rng)); break;
      case 9: { // integer arguments (storage numel, offsets, sizes, strides) to boundary values
        const ints = ops.map((o, k) => ([0x4a, 0x4b, 0x4d, 0x8a, 0x49].includes(o.op) ? k : -1)).filter((k) => k >= 0);
        const bytes = intOp(rng);
        if (ints.length) ops[rng.pick(ints)] = { op: bytes[0], bytes };
        else insert(bytes);
        break;
      }
      case 10: { // string arguments (storage tag, class, key, location, tensor names)
        const strs = ops.map((o, k) => ([0x58, 0x8c, 0x55, 0x54].includes(o.op) ? k : -1)).filter((k) => k >= 0);
        const bytes = rng.chance(0.5) ? binunicode(rng.pick(STRINGS)) : shortBinunicode(rng.pick(STRINGS).slice(0, 255));
        if (strs.length) ops[rng.pick(strs)] = { op: bytes[0], bytes };
        break;
      }
      case 11: { // protocol byte, or a global renamed to another allowed / storage name
        const proto = ops.findIndex((o) => o.op === 0x80);
        if (proto >= 0 && rng.chance(0.5)) ops[proto] = { op: 0x80, bytes: op(0x80, new Uint8Array([rng.pick([0, 2, 4, 5, 6, 255])])) };
        else {
          const [m, nm] = rng.pick([['torch', 'FloatStorage'], ['torch._utils', '_rebuild_parameter'], ['collections', 'OrderedDict'], ['torch', 'Size'], ['builtins', 'set'], ['torch', 'Tensor'], ['torch._utils', '_rebuild_qtensor']]);
          insert(global(m, nm));
        }
        break;
      }
      default: { // truncate the op list (pickle ends early) or drop STOP
        if (rng.chance(0.5)) ops.splice(rng.int(ops.length + 1));
        else { const k = ops.findIndex((o) => o.op === 0x2e); if (k >= 0) ops.splice(k, 1); }
      }
    }
  }
  return concat(...ops.map((o) => o.bytes));
}
