// A strict JSON parser for safetensors headers that keeps what `JSON.parse` loses and refuses what
// the reference implementation's parser (serde_json, as `safetensors` 0.8.0 builds it) refuses:
// - objects are kept as lists of pairs, so duplicate keys are visible at every level;
// - numbers keep their spelling: only a plain run of digits (no sign, no `.`, no exponent, at most
//   2^64 - 1) is an unsigned integer, which is all serde accepts for `shape` and `data_offsets`;
//   a number serde_json computes as infinite (`1e400`, 400 digits) is refused anywhere;
// - a `\u` escape of an unpaired UTF-16 surrogate is refused anywhere (serde_json's strings are
//   UTF-8; `JSON.parse` keeps lone surrogates, which SQLite then stores as invalid UTF-8);
// - containers nest at most 127 deep (serde_json's recursion limit: the 128th level is refused);
// - whitespace is space, tab, LF and CR only, so a byte-order mark is not whitespace.
// Hand-written because no npm JSON parser reports duplicate keys, number spellings and lone
// surrogates together with a depth limit; the rules were read in serde_json's `src/de.rs` and
// `src/read.rs` and checked against the reference (tools/safetensors_reference_verdicts.py).

export type StrictJson =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string }
  /** `unsigned`: the value when spelled as serde reads a u64 (digits only, <= 2^64 - 1), else null. */
  | { kind: 'number'; raw: string; unsigned: bigint | null }
  | { kind: 'array'; items: StrictJson[] }
  | { kind: 'object'; pairs: [string, StrictJson][] };

/** serde_json's recursion limit: a container at this depth (1 = the outermost) is refused. */
export const MAX_JSON_DEPTH = 128;

const U64_MAX = 2n ** 64n - 1n;
const POW10: number[] = Array.from({ length: 309 }, (_, k) => Number(`1e${k}`));

export class StrictJsonError extends Error {
  constructor(
    readonly rule: string,
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'StrictJsonError';
  }
}

/**
 * Whether serde_json (without its `float_roundtrip` feature) refuses this number token as out of
 * range: the significand keeps the digits that fit in a u64 (later integer digits raise the
 * exponent, later fraction digits are dropped) and is scaled by powers of ten in float64; an
 * infinite result, or a positive exponent beyond 308 with a non-zero significand, is an error.
 */
export function serdeNumberOutOfRange(raw: string): boolean {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?)(\d+))?$/.exec(raw);
  if (!m) return false;
  const [, intDigits, fracDigits = '', expSign, expDigits] = m;
  let sig = 0n;
  let exponent = 0;
  let long = false;
  for (const c of intDigits) {
    const next = sig * 10n + BigInt(c.charCodeAt(0) - 48);
    if (long || next > U64_MAX) {
      long = true;
      exponent++;
    } else sig = next;
  }
  for (const c of fracDigits) {
    const next = sig * 10n + BigInt(c.charCodeAt(0) - 48);
    if (next > U64_MAX) break;
    sig = next;
    exponent--;
  }
  if (expDigits !== undefined) {
    let e = 0;
    for (const c of expDigits) {
      e = e * 10 + (c.charCodeAt(0) - 48);
      if (e > 2147483647) return sig !== 0n && expSign !== '-';
    }
    exponent = expSign === '-' ? Math.max(exponent - e, -2147483648) : Math.min(exponent + e, 2147483647);
  }
  let f = Number(sig);
  for (;;) {
    if (Math.abs(exponent) <= 308) {
      if (exponent >= 0) return !Number.isFinite(f * POW10[exponent]);
      return false;
    }
    if (f === 0) return false;
    if (exponent >= 0) return true;
    f /= 1e308;
    exponent += 308;
  }
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Parse `text` (one JSON value, surrounded by JSON whitespace only) under serde_json's rules. */
export function parseStrictJson(text: string): StrictJson {
  let i = 0;
  const n = text.length;
  const fail = (rule: string, message: string, at = i): never => {
    throw new StrictJsonError(rule, `${message} at offset ${at}`, at);
  };
  const skipWs = (): void => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
  };
  const describe = (at: number): string => (at >= n ? 'end of header' : JSON.stringify(text[at]));

  const hex4 = (): number => {
    if (i + 4 > n) fail('json-syntax', 'unfinished \\u escape');
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('json-syntax', `invalid \\u escape "\\u${h}"`);
    i += 4;
    return parseInt(h, 16);
  };

  const parseString = (): string => {
    const start = i; // at the opening quote
    i++;
    let out = '';
    let runStart = i;
    for (;;) {
      if (i >= n) fail('json-syntax', 'unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(runStart, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('json-syntax', `control character U+${c.toString(16).padStart(4, '0')} inside a string`);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(runStart, i);
      const escAt = i;
      i++;
      const e = text[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const u = hex4();
          if (u >= 0xdc00 && u <= 0xdfff) fail('lone-surrogate', `lone surrogate \\u${u.toString(16)} in a string`, escAt);
          if (u >= 0xd800 && u <= 0xdbff) {
            if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone-surrogate', `lone surrogate \\u${u.toString(16)} in a string`, escAt);
            i += 2;
            const low = hex4();
            if (low < 0xdc00 || low > 0xdfff) fail('lone-surrogate', `lone surrogate \\u${u.toString(16)} in a string`, escAt);
            out += String.fromCharCode(u, low);
          } else out += String.fromCharCode(u);
          break;
        }
        default:
          fail('json-syntax', `invalid escape "\\${e ?? ''}"`, escAt);
      }
      runStart = i;
    }
  };

  const parseNumber = (): StrictJson => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    if (!isDigit(text.charCodeAt(i))) fail('json-syntax', 'invalid number');
    if (text.charCodeAt(i) === 0x30) {
      i++;
      if (isDigit(text.charCodeAt(i))) fail('json-syntax', 'invalid number (leading zero)');
    } else while (isDigit(text.charCodeAt(i))) i++;
    let plain = text.charCodeAt(start) !== 0x2d;
    if (text.charCodeAt(i) === 0x2e) {
      plain = false;
      i++;
      if (!isDigit(text.charCodeAt(i))) fail('json-syntax', 'invalid number (no digit after ".")');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const ec = text.charCodeAt(i);
    if (ec === 0x65 || ec === 0x45) {
      plain = false;
      i++;
      if (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) fail('json-syntax', 'invalid number (no digit in the exponent)');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const raw = text.slice(start, i);
    // Past 2^64 - 1 serde_json reads a plain integer as a float, which a usize field refuses.
    const unsigned = plain && raw.length <= 20 && BigInt(raw) <= U64_MAX ? BigInt(raw) : null;
    if (unsigned === null && serdeNumberOutOfRange(raw)) {
      fail('number-out-of-range', `number ${raw.length > 40 ? raw.slice(0, 40) + '…' : raw} is out of range`, start);
    }
    return { kind: 'number', raw, unsigned };
  };

  const parseLiteral = (word: string, value: StrictJson): StrictJson => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail('json-syntax', `unexpected ${describe(i)}`);
  };

  const parseValue = (depth: number): StrictJson => {
    skipWs();
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      if (depth + 1 >= MAX_JSON_DEPTH) fail('nesting', `nesting deeper than ${MAX_JSON_DEPTH - 1} levels`);
      const isObject = c === 0x7b;
      i++;
      skipWs();
      const close = isObject ? 0x7d : 0x5d;
      if (text.charCodeAt(i) === close) {
        i++;
        return isObject ? { kind: 'object', pairs: [] } : { kind: 'array', items: [] };
      }
      const pairs: [string, StrictJson][] = [];
      const items: StrictJson[] = [];
      for (;;) {
        if (isObject) {
          skipWs();
          if (text.charCodeAt(i) !== 0x22) fail('json-syntax', `expected a string key, found ${describe(i)}`);
          const key = parseString();
          skipWs();
          if (text.charCodeAt(i) !== 0x3a) fail('json-syntax', `expected ":", found ${describe(i)}`);
          i++;
          pairs.push([key, parseValue(depth + 1)]);
        } else items.push(parseValue(depth + 1));
        skipWs();
        const sep = text.charCodeAt(i);
        if (sep === 0x2c) {
          i++;
          skipWs();
          if (text.charCodeAt(i) === close) fail('json-syntax', 'trailing comma');
          continue;
        }
        if (sep === close) {
          i++;
          return isObject ? { kind: 'object', pairs } : { kind: 'array', items };
        }
        fail('json-syntax', `expected "," or "${isObject ? '}' : ']'}", found ${describe(i)}`);
      }
    }
    if (c === 0x22) return { kind: 'string', value: parseString() };
    if (c === 0x2d || isDigit(c)) return parseNumber();
    if (c === 0x6e) return parseLiteral('null', { kind: 'null' });
    if (c === 0x74) return parseLiteral('true', { kind: 'bool', value: true });
    if (c === 0x66) return parseLiteral('false', { kind: 'bool', value: false });
    if (c === 0xfeff) return fail('bom', 'byte-order mark (U+FEFF) where a JSON value should start');
    return fail('json-syntax', `unexpected ${describe(i)}`);
  };

  const value = parseValue(0);
  skipWs();
  if (i < n) fail(text.charCodeAt(i) === 0xfeff ? 'bom' : 'json-syntax', `trailing characters after the JSON value (${describe(i)})`);
  return value;
}
