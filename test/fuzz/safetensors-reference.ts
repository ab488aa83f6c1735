// The fuzzer's oracle for the safetensors differential target: a second, independent
// re-implementation of the reference's rules (safetensors 0.8.0 `SafeTensors::read_metadata`:
// serde_json's byte reader with its recursion limit, number and string rules; serde's derive for
// `HashMetadata` with a flattened map of `TensorInfo`, which buffers entries as `Content`; then
// `Metadata::validate`). Written over the raw bytes, the way serde_json reads them, and sharing no
// code with main/formats/strict-json.ts or main/formats/safetensors.ts, so that the two can only
// agree by both being right. Checked against the real reference with
// tools/safetensors_reference_verdicts.py (docs/FUZZING.md).
import type { ReferenceVerdict } from '../unit/readers/safetensors-cases';

type Content =
  | { t: 'unit' } | { t: 'bool' } | { t: 'str'; v: string }
  | { t: 'u64'; v: bigint } | { t: 'i64' } | { t: 'f64' }
  | { t: 'seq'; items: Content[] } | { t: 'map'; entries: [string, Content][] };

export interface ReferenceTensor {
  name: string;
  dtype: string;
  shape: bigint[];
  begin: bigint;
  end: bigint;
}

export interface ReferenceResult {
  verdict: ReferenceVerdict;
  /** Why: the first problem met (for reports). */
  detail: string;
  /** Accepted files: the tensors the reference keeps, sorted by offsets. */
  tensors: ReferenceTensor[];
  /** Top-level tensor names given more than once (the reference keeps the last). */
  duplicateNames: boolean;
}

class Refusal extends Error {
  constructor(readonly verdict: ReferenceVerdict, detail: string) {
    super(detail);
  }
}
const syntax = (detail: string): never => {
  throw new Refusal('InvalidHeaderDeserialization', detail);
};

const U64 = (1n << 64n) - 1n;
const BITS: Record<string, bigint> = Object.assign(Object.create(null) as Record<string, bigint>, {
  BOOL: 8n, F4: 4n, F6_E2M3: 6n, F6_E3M2: 6n, U8: 8n, I8: 8n, F8_E5M2: 8n, F8_E4M3: 8n, F8_E8M0: 8n,
  F8_E4M3FNUZ: 8n, F8_E5M2FNUZ: 8n, I16: 16n, U16: 16n, F16: 16n, BF16: 16n, I32: 32n, U32: 32n,
  F32: 32n, C64: 64n, F64: 64n, I64: 64n, U64: 64n,
});

/** Rust's `core::str::from_utf8`: shortest forms only, no surrogates, nothing above U+10FFFF. */
function validUtf8(b: Uint8Array): boolean {
  for (let i = 0; i < b.length;) {
    const x = b[i];
    if (x < 0x80) { i++; continue; }
    let need: number, lo = 0x80, hi = 0xbf;
    if (x >= 0xc2 && x <= 0xdf) need = 1;
    else if (x >= 0xe0 && x <= 0xef) { need = 2; if (x === 0xe0) lo = 0xa0; if (x === 0xed) hi = 0x9f; }
    else if (x >= 0xf0 && x <= 0xf4) { need = 3; if (x === 0xf0) lo = 0x90; if (x === 0xf4) hi = 0x8f; }
    else return false;
    for (let k = 1; k <= need; k++) {
      const y = b[i + k];
      if (y === undefined || y < (k === 1 ? lo : 0x80) || y > (k === 1 ? hi : 0xbf)) return false;
    }
    i += need + 1;
  }
  return true;
}

/** serde_json's `Deserializer<SliceRead>` reduced to what `deserialize_any` builds (serde's Content). */
class Reader {
  private p = 0;
  private remaining = 128;
  private readonly text = new TextDecoder();
  constructor(private readonly b: Uint8Array) {}

  private peek(): number | undefined { return this.b[this.p]; }
  ws(): void {
    for (let c = this.peek(); c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d; c = this.peek()) this.p++;
  }
  atEnd(): boolean { return this.p >= this.b.length; }

  value(): Content {
    this.ws();
    const c = this.peek();
    if (c === undefined) return syntax('EOF while parsing a value');
    if (c === 0x7b || c === 0x5b) {
      if (--this.remaining === 0) return syntax('recursion limit exceeded');
      this.p++;
      const out = c === 0x7b ? this.mapBody() : this.seqBody();
      this.remaining++;
      return out;
    }
    if (c === 0x22) { this.p++; return { t: 'str', v: this.str() }; }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.num();
    for (const [word, content] of [['null', { t: 'unit' }], ['true', { t: 'bool' }], ['false', { t: 'bool' }]] as const) {
      if (c === word.charCodeAt(0)) {
        for (let k = 0; k < word.length; k++) if (this.b[this.p + k] !== word.charCodeAt(k)) syntax('expected ident');
        this.p += word.length;
        return content;
      }
    }
    return syntax(`expected value at byte ${this.p}`);
  }

  private seqBody(): Content {
    const items: Content[] = [];
    this.ws();
    if (this.peek() === 0x5d) { this.p++; return { t: 'seq', items }; }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.peek();
      if (c === 0x5d) { this.p++; return { t: 'seq', items }; }
      if (c !== 0x2c) syntax('expected , or ]');
      this.p++;
      this.ws();
      if (this.peek() === 0x5d) syntax('trailing comma');
    }
  }

  private mapBody(): Content {
    const entries: [string, Content][] = [];
    this.ws();
    if (this.peek() === 0x7d) { this.p++; return { t: 'map', entries }; }
    for (;;) {
      this.ws();
      if (this.peek() !== 0x22) syntax(this.peek() === 0x7d ? 'trailing comma' : 'key must be a string');
      this.p++;
      const key = this.str();
      this.ws();
      if (this.peek() !== 0x3a) syntax('expected :');
      this.p++;
      entries.push([key, this.value()]);
      this.ws();
      const c = this.peek();
      if (c === 0x7d) { this.p++; return { t: 'map', entries }; }
      if (c !== 0x2c) syntax('expected , or }');
      this.p++;
    }
  }

  private hex(): number {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.b[this.p++];
      const d = c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) syntax('invalid escape');
      n = n * 16 + d;
    }
    return n;
  }

  /** After the opening quote; serde_json's parse_str with validation (strings are UTF-8). */
  private str(): string {
    let out = '';
    let run = this.p;
    for (;;) {
      const c = this.peek();
      if (c === undefined) return syntax('EOF while parsing a string');
      if (c === 0x22) { out += this.text.decode(this.b.subarray(run, this.p)); this.p++; return out; }
      if (c < 0x20) syntax('control character while parsing a string');
      if (c !== 0x5c) { this.p++; continue; }
      out += this.text.decode(this.b.subarray(run, this.p));
      this.p++;
      const e = this.b[this.p++];
      const simple: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 0x75) {
        const n = this.hex();
        if (n >= 0xdc00 && n <= 0xdfff) syntax('lone leading surrogate in hex escape');
        if (n >= 0xd800 && n <= 0xdbff) {
          if (this.b[this.p] !== 0x5c || this.b[this.p + 1] !== 0x75) syntax('unexpected end of hex escape');
          this.p += 2;
          const m = this.hex();
          if (m < 0xdc00 || m > 0xdfff) syntax('lone leading surrogate in hex escape');
          out += String.fromCharCode(n, m);
        } else out += String.fromCharCode(n);
      } else syntax('invalid escape');
      run = this.p;
    }
  }

  private digit(): number | null {
    const c = this.peek();
    return c !== undefined && c >= 0x30 && c <= 0x39 ? c - 0x30 : null;
  }

  /** serde_json's number parsing without `float_roundtrip`: u64 / i64 / f64, or out of range. */
  private num(): Content {
    const negative = this.peek() === 0x2d;
    if (negative) this.p++;
    let d = this.digit();
    if (d === null) return syntax('invalid number');
    this.p++;
    let sig = BigInt(d);
    let exp = 0;
    let float = false;
    if (d === 0) {
      if (this.digit() !== null) syntax('invalid number');
    } else {
      let long = false;
      while ((d = this.digit()) !== null) {
        this.p++;
        if (long) { exp++; continue; }
        const next = sig * 10n + BigInt(d);
        if (next > U64) { long = true; float = true; exp++; } else sig = next;
      }
    }
    if (this.peek() === 0x2e) {
      float = true;
      this.p++;
      if (this.digit() === null) syntax('invalid number');
      let overflowed = false;
      while ((d = this.digit()) !== null) {
        this.p++;
        if (overflowed) continue;
        const next = sig * 10n + BigInt(d);
        if (next > U64) overflowed = true;
        else { sig = next; exp--; }
      }
    }
    if (this.peek() === 0x65 || this.peek() === 0x45) {
      float = true;
      this.p++;
      let positiveExp = true;
      if (this.peek() === 0x2b) this.p++;
      else if (this.peek() === 0x2d) { this.p++; positiveExp = false; }
      if (this.digit() === null) syntax('invalid number');
      let e = 0;
      let overflow = false;
      while ((d = this.digit()) !== null) {
        this.p++;
        if (overflow) continue;
        if (e > 214748364 || (e === 214748364 && d > 7)) overflow = true;
        else e = e * 10 + d;
      }
      if (overflow) {
        if (sig !== 0n && positiveExp) syntax('number out of range');
        return { t: 'f64' };
      }
      exp = positiveExp ? Math.min(exp + e, 2 ** 31 - 1) : Math.max(exp - e, -(2 ** 31));
    }
    if (!float) return negative ? (sig === 0n || sig > 1n << 63n ? { t: 'f64' } : { t: 'i64' }) : { t: 'u64', v: sig };
    // f64_from_parts: scale by 10^|exp| (table up to 1e308), erroring on an infinite product.
    let f = Number(sig);
    for (;;) {
      if (Math.abs(exp) <= 308) {
        if (exp >= 0 && !Number.isFinite(f * Number(`1e${exp}`))) syntax('number out of range');
        break;
      }
      if (f === 0) break;
      if (exp >= 0) syntax('number out of range');
      f /= 1e308;
      exp += 308;
    }
    return { t: 'f64' };
  }
}

const usize = (c: Content, what: string): bigint => (c.t === 'u64' ? c.v : syntax(`invalid type for ${what}, expected usize`));

function dtypeOf(c: Content): string {
  let name: string;
  if (c.t === 'str') name = c.v;
  else if (c.t === 'map' && c.entries.length === 1) {
    name = c.entries[0][0];
    if (!(name in BITS)) syntax(`unknown variant ${name}`);
    if (c.entries[0][1].t !== 'unit') syntax('invalid type: expected unit');
  } else if (c.t === 'map') return syntax('invalid value: map, expected map with a single key');
  else return syntax('invalid type, expected string or map');
  if (!(name in BITS)) syntax(`unknown variant ${name}`);
  return name;
}

function tensorInfo(name: string, c: Content): ReferenceTensor {
  const seqOfUsize = (v: Content, what: string): bigint[] => (v.t === 'seq' ? v.items.map((x) => usize(x, what)) : syntax(`invalid type for ${what}, expected a sequence`));
  const offsets = (v: Content): [bigint, bigint] => {
    if (v.t !== 'seq') return syntax('invalid type for data_offsets');
    if (v.items.length !== 2) syntax('invalid length for data_offsets');
    return [usize(v.items[0], 'data_offsets'), usize(v.items[1], 'data_offsets')];
  };
  if (c.t === 'seq') {
    if (c.items.length !== 3) syntax('invalid length, expected struct TensorInfo with 3 elements');
    const [b, e] = offsets(c.items[2]);
    return { name, dtype: dtypeOf(c.items[0]), shape: seqOfUsize(c.items[1], 'shape'), begin: b, end: e };
  }
  if (c.t !== 'map') return syntax('invalid type, expected struct TensorInfo');
  let dtype: string | undefined, shape: bigint[] | undefined, offs: [bigint, bigint] | undefined;
  for (const [k, v] of c.entries) {
    if (k === 'dtype') { if (dtype !== undefined) syntax('duplicate field `dtype`'); dtype = dtypeOf(v); }
    else if (k === 'shape') { if (shape !== undefined) syntax('duplicate field `shape`'); shape = seqOfUsize(v, 'shape'); }
    else if (k === 'data_offsets') { if (offs !== undefined) syntax('duplicate field `data_offsets`'); offs = offsets(v); }
  }
  if (dtype === undefined || shape === undefined || offs === undefined) return syntax('missing field');
  return { name, dtype, shape, begin: offs[0], end: offs[1] };
}

function readMetadata(file: Uint8Array): { tensors: ReferenceTensor[]; duplicateNames: boolean } {
  if (file.length < 8) throw new Refusal('HeaderTooSmall', 'header too small');
  const n = new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true);
  if (n > 100_000_000n) throw new Refusal('HeaderTooLarge', 'header too large');
  if (8n + n > BigInt(file.length)) throw new Refusal('InvalidHeaderLength', 'invalid header length');
  const header = file.subarray(8, 8 + Number(n));
  if (!validUtf8(header)) throw new Refusal('InvalidHeader', 'invalid UTF-8 in header');
  const reader = new Reader(header);
  reader.ws();
  // HashMetadata (it has a flattened field) is deserialized from a map only.
  if (header[header.findIndex((x) => x !== 0x20 && x !== 0x0a && x !== 0x09 && x !== 0x0d)] !== 0x7b) {
    reader.value(); // a syntax error inside wins over the type error; both refuse
    syntax('invalid type, expected struct HashMetadata');
  }
  const top = reader.value();
  reader.ws();
  if (!reader.atEnd()) syntax('trailing characters');
  if (top.t !== 'map') return syntax('expected a map');
  let metadataSeen = false;
  const kept = new Map<string, ReferenceTensor>();
  let duplicateNames = false;
  for (const [key, value] of top.entries) {
    if (key === '__metadata__') {
      if (metadataSeen) syntax('duplicate field `__metadata__`');
      metadataSeen = true;
      if (value.t === 'unit') continue;
      if (value.t !== 'map') syntax('invalid type for __metadata__');
      for (const [, v] of (value as { entries: [string, Content][] }).entries) if (v.t !== 'str') syntax('invalid type: expected a string');
      continue;
    }
    const info = tensorInfo(key, value);
    if (kept.has(key)) duplicateNames = true;
    kept.set(key, info);
  }
  const tensors = [...kept.values()].sort((a, b) => (a.begin === b.begin ? (a.end < b.end ? -1 : a.end > b.end ? 1 : 0) : a.begin < b.begin ? -1 : 1));
  let start = 0n;
  for (const t of tensors) {
    if (t.begin !== start || t.end < t.begin) throw new Refusal('InvalidOffset', `invalid offset for tensor ${t.name}`);
    start = t.end;
    let count = 1n;
    for (const d of t.shape) {
      count *= d;
      if (count > U64) throw new Refusal('ValidationOverflow', 'overflow computing buffer size');
    }
    const bits = count * BITS[t.dtype];
    if (bits > U64) throw new Refusal('ValidationOverflow', 'overflow computing buffer size');
    if (bits % 8n !== 0n) throw new Refusal('MisalignedSlice', 'misaligned slice');
    if (t.end - t.begin !== bits / 8n) throw new Refusal('TensorInvalidInfo', `invalid info for tensor ${t.name}`);
  }
  if (start + 8n + n !== BigInt(file.length)) throw new Refusal('MetadataIncompleteBuffer', 'incomplete metadata, file not fully covered');
  return { tensors, duplicateNames };
}

/** The reference's verdict on a whole file, with its error kind and (accepted) its tensors. */
export function referenceVerdict(file: Uint8Array): ReferenceResult {
  try {
    const { tensors, duplicateNames } = readMetadata(file);
    return { verdict: 'accept', detail: '', tensors, duplicateNames };
  } catch (err) {
    if (err instanceof Refusal) return { verdict: err.verdict, detail: err.message, tensors: [], duplicateNames: false };
    throw err;
  }
}
