// Builders for the hostile inputs of the security regression tests: hand-assembled pickles and
// torch.save archives (written with the fuzzer's zip writer), so no test depends on a downloaded
// or committed hostile file.
import { writeFileSync } from 'node:fs';
import { writeZipModel } from '../../fuzz/zip-model';

const enc = new TextEncoder();

export function binunicode(s: string): number[] {
  const b = enc.encode(s);
  return [0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b];
}
export const global = (module: string, name: string): number[] => [0x63, ...enc.encode(`${module}\n${name}\n`)];
export const binint = (v: number): number[] => [0x4a, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
export const longBinput = (k: number): number[] => [0x72, k & 0xff, (k >> 8) & 0xff, (k >> 16) & 0xff, k >>> 24];
export const longBinget = (k: number): number[] => [0x6a, k & 0xff, (k >> 8) & 0xff, (k >> 16) & 0xff, k >>> 24];
export const MARK = 0x28, TUPLE = 0x74, TUPLE1 = 0x85, REDUCE = 0x52, SETITEM = 0x73, SETITEMS = 0x75;
export const EMPTY_DICT = 0x7d, EMPTY_LIST = 0x5d, APPEND = 0x61, APPENDS = 0x65, POP = 0x30, STOP = 0x2e, NONE = 0x4e;

/** A float32 view over the one-element storage "0": _rebuild_tensor_v2(storage, 0, size, stride). */
export function tensorOps(size: number[] = [1], stride: number[] = [1]): number[] {
  const tuple = (xs: number[]): number[] => [MARK, ...xs.flatMap(binint), TUPLE];
  return [
    ...global('torch._utils', '_rebuild_tensor_v2'),
    MARK,
    MARK, ...binunicode('storage'), ...global('torch', 'FloatStorage'), ...binunicode('0'), ...binunicode('cpu'), ...binint(1), TUPLE, 0x51,
    ...binint(0), ...tuple(size), ...tuple(stride),
    TUPLE, REDUCE,
  ];
}

/**
 * A state dict whose dicts form a DAG through the memo: level 0 is {'w': tensor}; level k holds
 * `fanout` keys that all point at level k-1. Walked as a tree it names fanout^levels tensors.
 */
export function memoDagPickle(levels: number, fanout: number): Uint8Array {
  const ops: number[] = [0x80, 2, EMPTY_DICT, ...binunicode('w'), ...tensorOps(), SETITEM, ...longBinput(0), POP];
  for (let k = 1; k <= levels; k++) {
    ops.push(EMPTY_DICT, MARK);
    for (let i = 0; i < fanout; i++) ops.push(...binunicode(`a${i}`), ...longBinget(k - 1));
    ops.push(SETITEMS, ...longBinput(k), POP);
  }
  ops.push(...longBinget(levels), STOP);
  return Uint8Array.from(ops);
}

/**
 * {'w': tensor, 'extra': [set(L), set(L), ...]} where L is one memoised list of `listLength`
 * items and set(L) is called `copies` times: each call copies L, a few bytes of pickle each.
 */
export function setCopyPickle(listLength: number, copies: number): Uint8Array {
  const ops: number[] = [0x80, 2, EMPTY_DICT, ...binunicode('w'), ...tensorOps(), SETITEM, ...binunicode('extra'), EMPTY_LIST];
  ops.push(EMPTY_LIST, MARK);
  for (let i = 0; i < listLength; i++) ops.push(NONE);
  ops.push(APPENDS, ...longBinput(1), POP);
  ops.push(...global('builtins', 'set'), ...longBinput(2), POP);
  for (let i = 0; i < copies; i++) ops.push(...longBinget(2), ...longBinget(1), TUPLE1, REDUCE, APPEND);
  ops.push(SETITEM, STOP);
  return Uint8Array.from(ops);
}

/** A torch.save archive around `pickle` with a 4-byte float32 storage "0". */
export function torchArchive(pickle: Uint8Array): Uint8Array {
  return writeZipModel([
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/byteorder', data: enc.encode('little') },
    { name: 'archive/data/0', data: new Uint8Array(new Float32Array([1.5]).buffer) },
    { name: 'archive/version', data: enc.encode('3\n') },
  ]).bytes;
}

export function writeTorchArchive(path: string, pickle: Uint8Array): string {
  writeFileSync(path, torchArchive(pickle));
  return path;
}
