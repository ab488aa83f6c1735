// An allow-list unpickler for torch.save's data.pkl, in the spirit of PyTorch's own
// `weights_only` unpickler: it interprets the pickle opcodes into plain data and EXECUTES NOTHING.
// Hand-written because no JavaScript pickle library is both restricted to an allow-list and free of
// code paths that call out; here a GLOBAL outside the list is refused the moment it is read.
//
// What it produces: plain values (numbers, strings, lists, tuples, dicts) plus three kinds of
// descriptors the torch-zip reader turns into tensors: storages (from persistent ids), tensors
// (from `_rebuild_tensor_v2`) and the dict classes.
import { FormatError } from './types';

export interface PList { kind: 'list'; items: PValue[] }
export interface PTuple { kind: 'tuple'; items: PValue[] }
export interface PDict { kind: 'dict'; items: [PValue, PValue][] }
export interface PSet { kind: 'set'; items: PValue[] }
export interface PGlobal { kind: 'global'; module: string; name: string }
/** A storage named by a persistent id: ('storage', <storage class>, key, location, numel). */
export interface PStorage { kind: 'storage'; storageClass: string; key: string; location: string; numel: number }
export interface PTensor {
  kind: 'tensor';
  storage: PStorage;
  storageOffset: number;
  size: number[];
  stride: number[];
}
export type PValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PList | PTuple | PDict | PSet | PGlobal | PStorage | PTensor;

/** Globals a state dict needs; anything else is refused by name. */
const ALLOWED_CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
  'builtins.set',
  'builtins.frozenset',
]);
/** Storage classes: only ever named inside a persistent id, never called. */
export const STORAGE_CLASSES = new Set([
  'torch.FloatStorage', 'torch.HalfStorage', 'torch.BFloat16Storage', 'torch.DoubleStorage',
  'torch.LongStorage', 'torch.IntStorage', 'torch.ShortStorage', 'torch.CharStorage',
  'torch.ByteStorage', 'torch.BoolStorage',
]);
/** Python 2 module names that protocol-2 pickles carry (Python's _compat_pickle IMPORT_MAPPING). */
const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins', copy_reg: 'copyreg', commands: 'subprocess', cPickle: 'pickle',
  exceptions: 'builtins', UserDict: 'collections',
};

export interface UnpickleLimits {
  maxMemo: number;
  maxMarkDepth: number;
  maxStack: number;
  maxLongBytes: number;
  /** Values created in all (bounds memory: items moved into lists leave the stack). */
  maxValues: number;
}
const DEFAULT_LIMITS: UnpickleLimits = { maxMemo: 1_000_000, maxMarkDepth: 10_000, maxStack: 10_000_000, maxLongBytes: 64, maxValues: 20_000_000 };

function isString(v: PValue): v is string {
  return typeof v === 'string';
}

function asInt(v: PValue): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return null;
}

/**
 * Interpret `data` (a pickle) into plain values. `file` names the archive in errors.
 * Throws FormatError for refused globals, unsupported opcodes and limit violations.
 */
export function restrictedUnpickle(data: Uint8Array, file: string, limits: UnpickleLimits = DEFAULT_LIMITS): PValue {
  const fail = (problem: string): never => {
    throw new FormatError(file, `data.pkl: ${problem}`);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: PValue[] = [];
  const markStack: PValue[][] = [];
  const memo = new Map<number, PValue>();

  const need = (n: number, what: string): void => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > data.length) fail(`${what} of ${n} bytes at ${pos} runs past the end of the pickle (${data.length} bytes)`);
  };
  const u8 = (): number => { need(1, 'byte'); return data[pos++]; };
  const u16 = (): number => { need(2, 'u16'); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4, 'u32'); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4, 'i32'); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8, 'u64');
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(data.length)) fail(`length ${v} exceeds the pickle size`);
    return Number(v);
  };
  const bytes = (n: number, what: string): Uint8Array => { need(n, what); const b = data.slice(pos, pos + n); pos += n; return b; };
  const text = (n: number, what: string): string => {
    const b = bytes(n, what);
    try { return utf8.decode(b); } catch { return fail(`${what} at ${pos - n} is not valid UTF-8`); }
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`unterminated text line at ${pos}`);
    const s = new TextDecoder('latin1').decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  let values = 0;
  const push = (v: PValue): void => {
    if (stack.length >= limits.maxStack) fail(`stack exceeds ${limits.maxStack} items`);
    if (++values > limits.maxValues) fail(`more than ${limits.maxValues} values`);
    stack.push(v);
  };
  /** Items copied by a call (set(list), OrderedDict(pairs)) count as values too: a 9 MB pickle
   *  that copies one large memoised list again and again must hit the same bound. */
  const copied = (n: number): void => {
    values += n;
    if (values > limits.maxValues) fail(`more than ${limits.maxValues} values (copied items included)`);
  };
  const pop = (): PValue => {
    if (stack.length === 0) fail(`stack underflow at ${pos - 1}`);
    return stack.pop() as PValue;
  };
  const top = (): PValue => {
    if (stack.length === 0) fail(`stack underflow at ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): PValue[] => {
    const items = stack;
    const prev = markStack.pop();
    if (!prev) fail(`no MARK on the stack at ${pos - 1}`);
    stack = prev as PValue[];
    return items;
  };
  const memoPut = (index: number, v: PValue): void => {
    if (!memo.has(index) && memo.size >= limits.maxMemo) fail(`memo exceeds ${limits.maxMemo} entries`);
    memo.set(index, v);
  };
  const memoGet = (index: number): PValue => {
    if (!memo.has(index)) fail(`memo key ${index} used before it was set`);
    return memo.get(index) as PValue;
  };
  const longFrom = (b: Uint8Array): number | bigint => {
    if (b.length > limits.maxLongBytes) fail(`integer of ${b.length} bytes exceeds the ${limits.maxLongBytes}-byte limit`);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const resolveGlobal = (module: string, name: string): PGlobal => {
    const mod = (Object.hasOwn(PY2_MODULES, module) ? PY2_MODULES[module] : undefined) ?? module;
    const full = `${mod}.${name}`;
    if (!ALLOWED_CALLABLES.has(full) && !STORAGE_CLASSES.has(full)) {
      fail(`refused global ${full}${mod !== module ? ` (written as ${module}.${name})` : ''}: not on the allow-list of a weights-only load`);
    }
    return { kind: 'global', module: mod, name };
  };
  const setItem = (target: PValue, key: PValue, value: PValue): void => {
    if (typeof target !== 'object' || target === null || !('kind' in target) || target.kind !== 'dict') fail('SETITEM on something that is not a dict');
    (target as PDict).items.push([key, value]);
  };
  const appendTo = (target: PValue, values: PValue[]): void => {
    if (typeof target === 'object' && target !== null && 'kind' in target && (target.kind === 'list' || target.kind === 'set')) {
      for (const v of values) target.items.push(v);
      return;
    }
    fail('APPEND on something that is not a list');
  };
  const persistentLoad = (pid: PValue): PValue => {
    if (typeof pid !== 'object' || pid === null || !('kind' in pid) || pid.kind !== 'tuple') return fail('persistent id is not a tuple');
    const [tag, cls, key, location, numel] = (pid as PTuple).items;
    if (tag !== 'storage') fail(`persistent id of unknown type ${JSON.stringify(String(tag))}`);
    if (typeof cls !== 'object' || cls === null || !('kind' in cls) || cls.kind !== 'global') return fail('persistent id without a storage class');
    const storageClass = `${(cls as PGlobal).module}.${(cls as PGlobal).name}`;
    if (!STORAGE_CLASSES.has(storageClass)) fail(`persistent id names ${storageClass}, not a storage class`);
    const n = asInt(numel ?? null);
    if (!isString(key ?? null) || n === null || n < 0) fail('malformed storage persistent id');
    return { kind: 'storage', storageClass, key: key as string, location: isString(location ?? null) ? (location as string) : '', numel: n as number };
  };
  const intList = (v: PValue, what: string): number[] => {
    if (typeof v !== 'object' || v === null || !('kind' in v) || (v.kind !== 'tuple' && v.kind !== 'list')) return fail(`${what} is not a tuple`);
    copied((v as PTuple).items.length);
    return (v as PTuple).items.map((x) => {
      const n = asInt(x);
      if (n === null || n < 0) fail(`${what} holds ${String(x)}, not a non-negative integer`);
      return n as number;
    });
  };
  const call = (fn: PValue, args: PValue): PValue => {
    if (typeof fn !== 'object' || fn === null || !('kind' in fn) || fn.kind !== 'global') return fail('REDUCE on something that is not a global');
    if (typeof args !== 'object' || args === null || !('kind' in args) || args.kind !== 'tuple') return fail('REDUCE arguments are not a tuple');
    const full = `${(fn as PGlobal).module}.${(fn as PGlobal).name}`;
    const a = (args as PTuple).items;
    switch (full) {
      case 'collections.OrderedDict': {
        const dict: PDict = { kind: 'dict', items: [] };
        if (a.length > 0 && a[0] !== null && typeof a[0] === 'object' && 'kind' in a[0] && (a[0].kind === 'list' || a[0].kind === 'tuple')) {
          copied((a[0] as PList).items.length);
          for (const pair of (a[0] as PList).items) {
            if (typeof pair === 'object' && pair !== null && 'kind' in pair && pair.kind === 'tuple' && pair.items.length === 2) dict.items.push([pair.items[0], pair.items[1]]);
            else fail('OrderedDict argument is not a list of pairs');
          }
        }
        return dict;
      }
      case 'torch._utils._rebuild_tensor_v2': {
        if (a.length < 4) fail('_rebuild_tensor_v2 with fewer than 4 arguments');
        const storage = a[0];
        if (typeof storage !== 'object' || storage === null || !('kind' in storage) || storage.kind !== 'storage') return fail('_rebuild_tensor_v2 without a storage');
        const storageOffset = asInt(a[1]);
        if (storageOffset === null || storageOffset < 0) fail('_rebuild_tensor_v2 storage_offset is not a non-negative integer');
        const size = intList(a[2], 'tensor size');
        const stride = intList(a[3], 'tensor stride');
        if (size.length !== stride.length) fail(`tensor size has ${size.length} dims but stride ${stride.length}`);
        return { kind: 'tensor', storage: storage as PStorage, storageOffset: storageOffset as number, size, stride };
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state': {
        const t = a[0];
        if (typeof t !== 'object' || t === null || !('kind' in t) || t.kind !== 'tensor') return fail(`${full} without a tensor`);
        return t;
      }
      case 'torch.Size':
        return { kind: 'tuple', items: intList(a[0] ?? { kind: 'tuple', items: [] }, 'torch.Size') };
      case 'builtins.set':
      case 'builtins.frozenset': {
        const src = a[0];
        const from = src && typeof src === 'object' && 'kind' in src && (src.kind === 'list' || src.kind === 'tuple' || src.kind === 'set') ? src.items : [];
        copied(from.length);
        const items = from.slice();
        return { kind: 'set', items };
      }
      default:
        return fail(`refused call of ${full}: only rebuild functions and containers may be called`);
    }
  };

  for (;;) {
    if (pos >= data.length) fail('pickle ends without STOP');
    const opAt = pos;
    const op = data[pos++];
    switch (op) {
      case 0x80: { const proto = u8(); if (proto > 5) fail(`pickle protocol ${proto} is not supported`); break; } // PROTO
      case 0x95: u64(); break; // FRAME: framing only, payload follows inline
      case 0x2e: { // STOP
        if (markStack.length > 0) fail('STOP inside an open MARK');
        return pop();
      }
      case 0x28: // MARK
        if (markStack.length >= limits.maxMarkDepth) fail(`MARK nesting exceeds ${limits.maxMarkDepth}`);
        markStack.push(stack);
        stack = [];
        break;
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: { const n = u8(); push(longFrom(bytes(n, 'LONG1'))); break; } // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('negative LONG4 length'); push(longFrom(bytes(n, 'LONG4'))); break; }
      case 0x49: { // INT (text)
        const s = line();
        if (s === '00') push(false); else if (s === '01') push(true);
        else { const v = Number.parseInt(s, 10); if (!Number.isSafeInteger(v)) fail(`bad INT ${JSON.stringify(s)}`); push(v); }
        break;
      }
      case 0x4c: { // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^-?\d{1,40}$/.test(s)) fail(`bad LONG ${JSON.stringify(s)}`);
        const v = BigInt(s);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: { need(8, 'BINFLOAT'); push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x46: { const v = Number.parseFloat(line()); push(v); break; } // FLOAT (text)
      case 0x58: push(text(u32(), 'BINUNICODE')); break;
      case 0x8c: push(text(u8(), 'SHORT_BINUNICODE')); break;
      case 0x8d: push(text(u64(), 'BINUNICODE8')); break;
      case 0x54: { const n = i32(); if (n < 0) fail('negative BINSTRING length'); push(new TextDecoder('latin1').decode(bytes(n, 'BINSTRING'))); break; }
      case 0x55: push(new TextDecoder('latin1').decode(bytes(u8(), 'SHORT_BINSTRING'))); break;
      case 0x42: push(bytes(u32(), 'BINBYTES')); break;
      case 0x43: push(bytes(u8(), 'SHORT_BINBYTES')); break;
      case 0x8e: push(bytes(u64(), 'BINBYTES8')); break;
      case 0x96: push(bytes(u64(), 'BYTEARRAY8')); break;
      case 0x7d: push({ kind: 'dict', items: [] }); break; // EMPTY_DICT
      case 0x5d: push({ kind: 'list', items: [] }); break; // EMPTY_LIST
      case 0x29: push({ kind: 'tuple', items: [] }); break; // EMPTY_TUPLE
      case 0x8f: push({ kind: 'set', items: [] }); break; // EMPTY_SET
      case 0x64: { // DICT
        const items = popMark();
        if (items.length % 2) fail('DICT with an odd number of items');
        const dict: PDict = { kind: 'dict', items: [] };
        for (let i = 0; i < items.length; i += 2) dict.items.push([items[i], items[i + 1]]);
        push(dict);
        break;
      }
      case 0x6c: push({ kind: 'list', items: popMark() }); break; // LIST
      case 0x74: push({ kind: 'tuple', items: popMark() }); break; // TUPLE
      case 0x85: { const a = pop(); push({ kind: 'tuple', items: [a] }); break; } // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push({ kind: 'tuple', items: [a, b] }); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push({ kind: 'tuple', items: [a, b, c] }); break; }
      case 0x91: push({ kind: 'set', items: popMark() }); break; // FROZENSET
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        const target = top();
        for (let i = 0; i < items.length; i += 2) setItem(target, items[i], items[i + 1]);
        break;
      }
      case 0x61: { const v = pop(); appendTo(top(), [v]); break; } // APPEND
      case 0x65: case 0x90: { const items = popMark(); appendTo(top(), items); break; } // APPENDS, ADDITEMS
      case 0x71: memoPut(u8(), top()); break; // BINPUT
      case 0x72: memoPut(u32(), top()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size, top()); break; // MEMOIZE
      case 0x70: { const k = Number.parseInt(line(), 10); if (!Number.isSafeInteger(k)) fail('bad PUT'); memoPut(k, top()); break; }
      case 0x68: push(memoGet(u8())); break; // BINGET
      case 0x6a: push(memoGet(u32())); break; // LONG_BINGET
      case 0x67: { const k = Number.parseInt(line(), 10); push(memoGet(k)); break; } // GET
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (!isString(module) || !isString(name)) fail('STACK_GLOBAL operands are not strings');
        push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x51: push(persistentLoad(pop())); break; // BINPERSID
      case 0x52: { const args = pop(); const fn = pop(); push(call(fn, args)); break; } // REDUCE
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args); only the dict class may be instantiated
        const args = pop();
        const cls = pop();
        if (typeof cls === 'object' && cls !== null && 'kind' in cls && cls.kind === 'global' && `${cls.module}.${cls.name}` === 'collections.OrderedDict') {
          void args;
          push({ kind: 'dict', items: [] });
        } else fail('NEWOBJ of a class that is not allowed');
        break;
      }
      case 0x62: { // BUILD: state for the object below; dicts take attributes (state_dict._metadata), ignored
        const state = pop();
        const target = top();
        void state;
        if (typeof target !== 'object' || target === null || !('kind' in target) || (target.kind !== 'dict' && target.kind !== 'tensor')) {
          fail('BUILD on an object that is not a dict or tensor');
        }
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at ${opAt}`);
    }
  }
}
