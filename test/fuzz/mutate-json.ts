// JSON-aware mutations for headers and config files: a random node of the parsed tree is replaced
// (boundary numbers, wrong types, dictionary strings such as dtype names and prototype keys),
// deleted, duplicated under the same key (which JSON.parse hides but readers must refuse), nested
// very deeply, or blown up into a huge string or array. Serialised by a small writer that can
// emit what JSON.stringify cannot: duplicate keys and raw number tokens (2^64 - 1, 1e400, -0).
import type { Rng } from './rng';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json } | RawJson | DuplicateKeys;

/** Text emitted verbatim (numbers beyond double precision, deep nesting, broken tokens). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object written with its pairs as given, duplicates included. */
export class DuplicateKeys {
  constructor(readonly pairs: [string, Json][]) {}
}

export function writeJson(value: Json): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof DuplicateKeys) return `{${value.pairs.map(([k, v]) => `${JSON.stringify(k)}:${writeJson(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(writeJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${writeJson(value[k])}`).join(',')}}`;
  }
  // JSON.stringify writes NaN/Infinity as null; keep them as raw text (invalid JSON, on purpose).
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

/** Parse JSON keeping `__proto__` as an own key (JSON.parse already does) into the Json type. */
export function parseJson(text: string): Json {
  return JSON.parse(text) as Json;
}

const RAW_NUMBERS = [
  '18446744073709551615', '18446744073709551616', '9007199254740993', '9223372036854775807', '-9223372036854775808',
  '1e400', '-1e400', '-0', '1.0', '1e-400', '4294967296', '2147483648', '-1', '0.5', '00', '1e2',
];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

export interface JsonDictionary {
  /** Strings that mean something to the reader (dtype names, model types, key names). */
  strings: readonly string[];
  /** Keys the reader looks up. */
  keys: readonly string[];
}

function interestingNumber(rng: Rng): number {
  return rng.pick([0, 1, -1, 2, 3, 0.5, 1.5, -0.5, 2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 32 - 1, 2 ** 53, 2 ** 53 - 1, 2 ** 64, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER, 65536, 100_000_000]);
}

function interestingValue(rng: Rng, dict: JsonDictionary): Json {
  switch (rng.int(12)) {
    case 0: return interestingNumber(rng);
    case 1: return new RawJson(rng.pick(RAW_NUMBERS));
    case 2: return rng.pick([null, true, false]);
    case 3: return rng.pick(dict.strings);
    case 4: return rng.pick(['', '0', '-1', 'a'.repeat(rng.range(1, 300)), '\u0000', '\ud800', '😀', '..', '../../etc/passwd', '/etc/passwd', '%s%n']);
    case 5: return rng.pick(PROTOTYPE_KEYS);
    case 6: return [];
    case 7: return {};
    case 8: return Array.from({ length: rng.geometric(8) }, () => interestingNumber(rng));
    case 9: return new Array(rng.size([100, 1000, 10_000], [100_000])).fill(rng.pick([0, 1, 2]));
    case 10: return { [rng.pick(dict.keys)]: interestingNumber(rng) };
    default: return rng.int(1000);
  }
}

/** Deep nesting of arrays or objects as raw text (recursive readers overflow their stack). */
function deepNesting(rng: Rng): RawJson {
  const depth = rng.size([64, 1000, 10_000], [100_000, 1_000_000]);
  if (rng.chance(0.5)) return new RawJson('['.repeat(depth) + ']'.repeat(depth));
  return new RawJson('{"a":'.repeat(depth) + '0' + '}'.repeat(depth));
}

function hugeString(rng: Rng): Json {
  const n = rng.size([4096, 65_536], [1 << 20, 4 << 20]);
  return rng.chance(0.5) ? 'x'.repeat(n) : '\u00e9\u4e2d'.repeat(n >> 2);
}

interface Slot {
  get(): Json;
  set(v: Json): void;
  remove(): void;
  /** Key of this slot in its parent object, if any. */
  key?: string;
  parent?: { [key: string]: Json };
}

/** Every node of the tree as a slot that can be read, replaced or removed. */
function slots(root: { value: Json }): Slot[] {
  const out: Slot[] = [{ get: () => root.value, set: (v) => { root.value = v; }, remove: () => { root.value = null; } }];
  const walk = (node: Json, depth: number): void => {
    if (depth > 32 || node === null || typeof node !== 'object' || node instanceof RawJson || node instanceof DuplicateKeys) return;
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        out.push({ get: () => node[i], set: (v) => { node[i] = v; }, remove: () => { node.splice(i, 1); } });
        walk(child, depth + 1);
      });
      return;
    }
    for (const k of Object.keys(node)) {
      out.push({ get: () => node[k], set: (v) => { node[k] = v; }, remove: () => { delete node[k]; }, key: k, parent: node });
      walk(node[k], depth + 1);
    }
  };
  walk(root.value, 0);
  return out;
}

function clone(v: Json): Json {
  if (v instanceof RawJson || v instanceof DuplicateKeys) return v;
  if (Array.isArray(v)) return v.map(clone);
  if (v !== null && typeof v === 'object') {
    const out: { [key: string]: Json } = {};
    for (const k of Object.keys(v)) out[k] = clone(v[k]);
    return out;
  }
  return v;
}

/** One to a few structural mutations of a parsed JSON value; returns the mutated copy. */
export function mutateJsonValue(rng: Rng, value: Json, dict: JsonDictionary): Json {
  const root = { value: clone(value) };
  const n = rng.geometric(4);
  for (let i = 0; i < n; i++) {
    const all = slots(root);
    const slot = all.length > 1 && rng.chance(0.9) ? all[1 + rng.int(all.length - 1)] : all[0];
    const current = slot.get();
    switch (rng.int(14)) {
      case 0: case 1: case 2: slot.set(interestingValue(rng, dict)); break;
      case 3: slot.remove(); break;
      case 4: { // duplicate key: the same name twice in the parent object, second value mutated
        if (slot.parent && slot.key !== undefined) {
          const parent = slot.parent;
          const pairs: [string, Json][] = Object.keys(parent).map((k) => [k, parent[k]]);
          pairs.push([slot.key, rng.chance(0.5) ? clone(current) : interestingValue(rng, dict)]);
          const parentSlot = all.find((s) => s.get() === parent);
          parentSlot?.set(new DuplicateKeys(pairs));
        }
        break;
      }
      case 5: { // add a key the reader knows, or a prototype key
        const target = current !== null && typeof current === 'object' && !Array.isArray(current) && !(current instanceof RawJson) && !(current instanceof DuplicateKeys) ? current : null;
        if (target) target[rng.chance(0.7) ? rng.pick(dict.keys) : rng.pick(PROTOTYPE_KEYS)] = interestingValue(rng, dict);
        break;
      }
      case 6: slot.set(deepNesting(rng)); break;
      case 7: slot.set(hugeString(rng)); break;
      case 8: slot.set(rng.chance(0.5) ? [clone(current)] : { [rng.pick(dict.keys)]: clone(current) }); break;
      case 9: { // swap with another node
        const other = rng.pick(all);
        const a = clone(current);
        slot.set(clone(other.get()));
        other.set(a);
        break;
      }
      case 10: // numbers nudged, strings replaced by dictionary strings
        if (typeof current === 'number') slot.set(rng.chance(0.5) ? current + rng.range(-2, 2) : current * rng.pick([2, 8, 1024, -1, 0.5]));
        else if (typeof current === 'string') slot.set(rng.chance(0.7) ? rng.pick(dict.strings) : current + rng.pick(['', ' ', '\u0000', '.weight', '/../x']));
        else slot.set(interestingValue(rng, dict));
        break;
      case 11: // rename a key
        if (slot.parent && slot.key !== undefined) {
          const v = slot.parent[slot.key];
          delete slot.parent[slot.key];
          slot.parent[rng.chance(0.5) ? rng.pick(dict.keys) : slot.key + rng.pick(['_', '.0', ' ', 'x'])] = v;
        }
        break;
      case 12: // copy a sibling subtree many times (many entries)
        if (slot.parent && slot.key !== undefined) {
          // Small subtrees many times (tens of thousands of tensors), large ones a few times.
          const count = writeJson(current).length < 1000 ? rng.size([10, 1000], [20_000]) : rng.pick([2, 10]);
          for (let c = 0; c < count; c++) slot.parent[`${slot.key}.${c}`] = clone(current);
        }
        break;
      default:
        slot.set(new RawJson(writeJson(current).slice(0, rng.int(writeJson(current).length + 1)))); // truncated token
    }
  }
  return root.value;
}
