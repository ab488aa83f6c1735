// The safetensors conformance table (not a test: safetensors-conformance.test.ts runs it). One row
// per file: its bytes, built here; the verdict of the reference implementation (safetensors 0.8.0,
// measured with tools/safetensors_reference_verdicts.py on exactly these bytes) with its error
// kind; and this reader's verdict with the rule it names. The two verdicts differ only in the rows
// marked `deliberate`, which docs/SAFETENSORS.md lists. A future reference change is one row.
// Sources of the rows: the reference's tests (safetensors/src/tensor.rs, bindings/python/tests),
// serde_json's parsing rules (src/de.rs, src/read.rs) and serde's derive rules for the header types.
import type { SafetensorsRule } from '../../../main/formats/safetensors';

/** The reference's error kinds (`SafeTensorError` variants), or 'accept'. */
export type ReferenceVerdict =
  | 'accept' | 'HeaderTooSmall' | 'HeaderTooLarge' | 'InvalidHeaderLength' | 'InvalidHeader'
  | 'InvalidHeaderDeserialization' | 'InvalidOffset' | 'TensorInvalidInfo' | 'ValidationOverflow'
  | 'MisalignedSlice' | 'MetadataIncompleteBuffer';

export interface ConformanceCase {
  name: string;
  bytes: Uint8Array;
  reference: ReferenceVerdict;
  ours: 'accept' | SafetensorsRule;
  /** Why this reader refuses a file the reference accepts (docs/SAFETENSORS.md). */
  deliberate?: string;
  /** For accepted files: the tensors (name, dtype, shape) in file order. */
  tensors?: [string, string, number[]][];
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** 8-byte little-endian header length, the header, then the data buffer. */
export function stFile(header: string | Uint8Array, data: Uint8Array | number = 0, lengthField?: bigint): Uint8Array {
  const h = typeof header === 'string' ? utf8(header) : header;
  const d = typeof data === 'number' ? f32Bytes(data / 4) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

/** `count` float32 values 1, 2, 3, ... (what accepted rows hold, so reads can be checked). */
export function f32Bytes(count: number): Uint8Array {
  return new Uint8Array(Float32Array.from({ length: count }, (_, i) => i + 1).buffer);
}

const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const chunks = parts.map((p) => (typeof p === 'string' ? utf8(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

/** A one-tensor F32 [1] header with `extra` spliced into the entry (ignored fields, ...). */
const oneWith = (extra: string): string => `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]${extra}}}`;
const ONE: [string, string, number[]][] = [['a', 'F32', [1]]];
const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

const ROWS: ConformanceCase[] = [
  // The reference's own tests (safetensors/src/tensor.rs).
  { name: 'tensor.rs: empty shape is a scalar', bytes: stFile('{"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'accept', tensors: [['test', 'I32', []]] },
  { name: 'tensor.rs: I32 [2,2]', bytes: stFile('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', 16), reference: 'accept', ours: 'accept', tensors: [['test', 'I32', [2, 2]]] },
  { name: 'tensor.rs: trailing bytes after the data (polyglot)', bytes: stFile('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', bytes([...new Uint8Array(16)], 'extra_bogus_data_for_polyglot_file')), reference: 'MetadataIncompleteBuffer', ours: 'coverage' },
  { name: 'tensor.rs: data 2 bytes short', bytes: stFile('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', new Uint8Array(14)), reference: 'MetadataIncompleteBuffer', ours: 'coverage' },
  { name: 'tensor.rs: header length 0xffffff0000003c', bytes: stFile('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', 16, 0xffffff0000003cn), reference: 'HeaderTooLarge', ours: 'header-too-large' },
  { name: 'tensor.rs: empty file', bytes: new Uint8Array(0), reference: 'HeaderTooSmall', ours: 'file-too-small' },
  { name: 'tensor.rs: header length past the end', bytes: bytes([0x3c, 0, 0, 0, 0, 0, 0, 0]), reference: 'InvalidHeaderLength', ours: 'header-length' },
  { name: 'tensor.rs: header byte 0xff (not UTF-8)', bytes: bytes([1, 0, 0, 0, 0, 0, 0, 0, 0xff]), reference: 'InvalidHeader', ours: 'utf8' },
  { name: 'tensor.rs: header "{" (not JSON)', bytes: stFile('{'), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'tensor.rs: trailing whitespace padding', bytes: stFile('{}\r \t\n'), reference: 'accept', ours: 'accept', tensors: [] },
  { name: 'tensor.rs: leading whitespace padding (reference #686)', bytes: stFile('\t\n{}\r '), reference: 'accept', ours: 'accept', tensors: [] },
  { name: 'tensor.rs: zero-sized tensor [2,0]', bytes: stFile('{"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}}'), reference: 'accept', ours: 'accept', tensors: [['test', 'I32', [2, 0]]] },
  { name: 'tensor.rs: offsets span 4 bytes for 16', bytes: stFile('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}}', 4), reference: 'TensorInvalidInfo', ours: 'size-mismatch' },
  { name: 'tensor.rs: element count overflows', bytes: stFile('{"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}}', 16), reference: 'ValidationOverflow', ours: 'overflow' },
  { name: 'tensor.rs: bit count overflows', bytes: stFile('{"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}}', 16), reference: 'ValidationOverflow', ours: 'overflow' },

  // Duplicate fields inside one entry (serde's derive refuses them; JSON.parse keeps the last).
  { name: 'duplicate dtype field', bytes: stFile('{"a":{"dtype":"F16","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'duplicate-field' },
  { name: 'duplicate shape field', bytes: stFile('{"a":{"dtype":"F32","shape":[2],"shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'duplicate-field' },
  { name: 'duplicate data_offsets field', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'duplicate-field' },
  { name: 'duplicate __metadata__', bytes: stFile('{"__metadata__":{"a":"b"},"__metadata__":{"a":"c"}}'), reference: 'InvalidHeaderDeserialization', ours: 'duplicate-field' },
  { name: 'duplicate unknown field in an entry (ignored)', bytes: stFile(oneWith(',"x":1,"x":2'), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'duplicate keys inside an ignored value', bytes: stFile(oneWith(',"x":{"k":1,"k":2}'), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'duplicate key inside __metadata__ (the last is kept)', bytes: stFile('{"__metadata__":{"k":"1","k":"2"}}'), reference: 'accept', ours: 'accept', tensors: [] },

  // Integer spellings: serde reads shape and data_offsets as unsigned integers.
  { name: 'shape 1.0', bytes: stFile('{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'shape 1e0', bytes: stFile('{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'shape -0', bytes: stFile('{"a":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}'), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'shape -1', bytes: stFile('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'data_offsets end 4.0', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'data_offsets end 4e0', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'data_offsets end 4E-0', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4E-0]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'data_offsets begin -0', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'data_offsets end 0.4e1', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,0.4e1]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'data_offsets end 2^64 (read as a float)', bytes: stFile('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,18446744073709551616]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'shape holds a string', bytes: stFile('{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'shape holds true', bytes: stFile('{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'shape is a number', bytes: stFile('{"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'shape is an object', bytes: stFile('{"a":{"dtype":"F32","shape":{"0":1},"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'data_offsets with 3 integers', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'data_offsets with 1 integer', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'U8 shape 2^64-1 (bit count overflows)', bytes: stFile('{"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,4]}}', 4), reference: 'ValidationOverflow', ours: 'overflow' },

  // Byte-order marks, surrogates, nesting.
  { name: 'UTF-8 BOM before "{"', bytes: stFile(bytes([0xef, 0xbb, 0xbf], oneWith('')), 4), reference: 'InvalidHeaderDeserialization', ours: 'bom' },
  { name: 'UTF-8 BOM after "}"', bytes: stFile(bytes(oneWith(''), [0xef, 0xbb, 0xbf]), 4), reference: 'InvalidHeaderDeserialization', ours: 'bom' },
  { name: 'header is only a BOM', bytes: stFile(bytes([0xef, 0xbb, 0xbf])), reference: 'InvalidHeaderDeserialization', ours: 'bom' },
  { name: 'lone leading surrogate \\ud800 in a tensor name', bytes: stFile('{"a\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'lone-surrogate' },
  { name: 'lone trailing surrogate \\udc00 in a tensor name', bytes: stFile('{"\\udc00":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'lone-surrogate' },
  { name: 'reversed surrogate pair \\udc00\\ud800', bytes: stFile('{"\\udc00\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'lone-surrogate' },
  { name: 'leading surrogate then \\n', bytes: stFile('{"\\ud800\\n":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'lone-surrogate' },
  { name: 'lone surrogate in a __metadata__ value', bytes: stFile('{"__metadata__":{"k":"\\ud800"}}'), reference: 'InvalidHeaderDeserialization', ours: 'lone-surrogate' },
  { name: 'lone surrogate in an ignored field', bytes: stFile(oneWith(',"x":"\\ud800"'), 4), reference: 'InvalidHeaderDeserialization', ours: 'lone-surrogate' },
  { name: 'surrogate pair \\ud83d\\ude00 in a tensor name', bytes: stFile('{"\\ud83d\\ude00":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'accept', tensors: [['\u{1f600}', 'F32', [1]]] },
  { name: 'uppercase \\u00E9 escape in a tensor name', bytes: stFile('{"caf\\u00E9":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'accept', tensors: [['caf\u00e9', 'F32', [1]]] },
  { name: 'raw UTF-8 and U+2028 in a tensor name', bytes: stFile('{"\u00e9\u2028\u4e2d":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'accept', tensors: [['\u00e9\u2028\u4e2d', 'F32', [1]]] },
  { name: 'nesting 127 deep (in an ignored field)', bytes: stFile(oneWith(`,"x":${deep(125)}`), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'nesting 128 deep (in an ignored field)', bytes: stFile(oneWith(`,"x":${deep(126)}`), 4), reference: 'InvalidHeaderDeserialization', ours: 'nesting' },
  { name: 'nesting 100000 deep', bytes: stFile(`{"x":${deep(100_000)}}`), reference: 'InvalidHeaderDeserialization', ours: 'nesting' },

  // Where this reader deliberately differs (refuses what the reference accepts).
  { name: 'duplicate tensor name (the reference keeps the last)', bytes: stFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'duplicate-name', deliberate: 'a name given twice has two readings; the format README forbids it' },
  { name: 'duplicate tensor name, first entry malformed', bytes: stFile('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'integer-spelling' },
  { name: 'duplicate tensor name, last entry the wrong size', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4), reference: 'TensorInvalidInfo', ours: 'size-mismatch' },
  { name: 'F8_E4M3 tensor', bytes: stFile('{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'unsupported-dtype', deliberate: 'no exact float32 reading' },
  { name: 'F4 tensor of 2 elements (1 byte)', bytes: stFile('{"a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}', new Uint8Array(1)), reference: 'accept', ours: 'unsupported-dtype', deliberate: 'no exact float32 reading' },
  { name: 'F4 tensor of 1 element (half a byte)', bytes: stFile('{"a":{"dtype":"F4","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)), reference: 'MisalignedSlice', ours: 'misaligned' },
  { name: 'F6_E2M3 tensor of 4 elements (3 bytes)', bytes: stFile('{"a":{"dtype":"F6_E2M3","shape":[4],"data_offsets":[0,3]}}', new Uint8Array(3)), reference: 'accept', ours: 'unsupported-dtype', deliberate: 'no exact float32 reading' },
  { name: 'C64 tensor', bytes: stFile('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', 8), reference: 'accept', ours: 'unsupported-dtype', deliberate: 'no exact float32 reading' },
  { name: 'shape [0, 2^53 + 1] (zero elements)', bytes: stFile('{"a":{"dtype":"F32","shape":[0,9007199254740993],"data_offsets":[0,0]}}'), reference: 'accept', ours: 'dimension-too-large', deliberate: 'a JavaScript number cannot hold the dimension exactly' },
  { name: 'shape [2^32, 2^32, 0] (overflows before the 0)', bytes: stFile('{"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}'), reference: 'ValidationOverflow', ours: 'overflow' },
  { name: 'shape [0, 2^32, 2^32] (0 first)', bytes: stFile('{"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}'), reference: 'accept', ours: 'accept', tensors: [['a', 'F32', [0, 4294967296, 4294967296]]] },

  // Other spellings the reference accepts, and so does this reader.
  { name: '"__metadata__": null', bytes: stFile('{"__metadata__":null,"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'entry as the array [dtype, shape, data_offsets]', bytes: stFile('{"a":["F32",[1],[0,4]]}', 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'entry as an array of 2', bytes: stFile('{"a":["F32",[1]]}', 4), reference: 'InvalidHeaderDeserialization', ours: 'entry-type' },
  { name: 'entry as an array of 4', bytes: stFile('{"a":["F32",[1],[0,4],1]}', 4), reference: 'InvalidHeaderDeserialization', ours: 'entry-type' },
  { name: 'dtype as the map {"F32": null}', bytes: stFile('{"a":{"dtype":{"F32":null},"shape":[1],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'dtype as the map {"F32": 1}', bytes: stFile('{"a":{"dtype":{"F32":1},"shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'dtype' },
  { name: 'dtype as a map of two variants', bytes: stFile('{"a":{"dtype":{"F32":null,"F16":null},"shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'dtype' },
  { name: 'dtype as an empty map', bytes: stFile('{"a":{"dtype":{},"shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'dtype' },
  { name: 'dtype "f32" (case matters)', bytes: stFile('{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'dtype' },
  { name: 'dtype as a number', bytes: stFile('{"a":{"dtype":17,"shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'dtype' },
  { name: 'unknown fields in an entry are ignored', bytes: stFile(oneWith(',"x":[1.5,{"y":null}],"z":"w"'), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'tensors named __proto__, constructor, toString', bytes: stFile('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"constructor":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"toString":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', 12), reference: 'accept', ours: 'accept', tensors: [['__proto__', 'F32', [1]], ['constructor', 'F32', [1]], ['toString', 'F32', [1]]] },
  { name: '__metadata__ key __proto__', bytes: stFile('{"__metadata__":{"__proto__":"x","format":"pt"}}'), reference: 'accept', ours: 'accept', tensors: [] },
  { name: 'empty tensor name', bytes: stFile('{"":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'accept', tensors: [['', 'F32', [1]]] },
  { name: 'entries listed out of offset order', bytes: stFile('{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 8), reference: 'accept', ours: 'accept', tensors: [['a', 'F32', [1]], ['b', 'F32', [1]]] },
  { name: 'two zero-size tensors at [0,0]', bytes: stFile('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"I64","shape":[3,0],"data_offsets":[0,0]}}'), reference: 'accept', ours: 'accept', tensors: [['a', 'F32', [0]], ['b', 'I64', [3, 0]]] },
  { name: 'escaped tab in a tensor name', bytes: stFile('{"a\\tb":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'accept', ours: 'accept', tensors: [['a\tb', 'F32', [1]]] },
  { name: 'header padded with spaces to a multiple of 8', bytes: stFile(oneWith('') + '      ', 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'empty header {} and no data', bytes: stFile('{}'), reference: 'accept', ours: 'accept', tensors: [] },

  // Other refusals: offsets, sizes, coverage.
  { name: 'gap between tensors', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', 12), reference: 'InvalidOffset', ours: 'offsets' },
  { name: 'overlapping tensors', bytes: stFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), reference: 'InvalidOffset', ours: 'offsets' },
  { name: 'first tensor not at 0', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), reference: 'InvalidOffset', ours: 'offsets' },
  { name: 'end before begin', bytes: stFile('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}', 4), reference: 'InvalidOffset', ours: 'offsets' },
  { name: 'BF16 [1] over 4 bytes', bytes: stFile('{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'TensorInvalidInfo', ours: 'size-mismatch' },
  { name: 'empty header {} with data', bytes: stFile('{}', 4), reference: 'MetadataIncompleteBuffer', ours: 'coverage' },
  { name: 'header length 100000001', bytes: stFile('{}', 0, 100_000_001n), reference: 'HeaderTooLarge', ours: 'header-too-large' },
  { name: 'header length 2^64 - 1', bytes: stFile('{}', 0, 2n ** 64n - 1n), reference: 'HeaderTooLarge', ours: 'header-too-large' },
  { name: 'file of 7 bytes', bytes: new Uint8Array(7), reference: 'HeaderTooSmall', ours: 'file-too-small' },
  { name: 'overlong UTF-8 (C0 80)', bytes: stFile(bytes('{"a', [0xc0, 0x80], '":{}}')), reference: 'InvalidHeader', ours: 'utf8' },
  { name: 'UTF-8-encoded surrogate (ED A0 80)', bytes: stFile(bytes('{"a', [0xed, 0xa0, 0x80], '":{}}')), reference: 'InvalidHeader', ours: 'utf8' },

  // serde_json's grammar and number range.
  { name: 'ignored number 1e400 (out of range)', bytes: stFile(oneWith(',"x":1e400'), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored number -1e400', bytes: stFile(oneWith(',"x":-1e400'), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored number 1.8e308', bytes: stFile(oneWith(',"x":1.8e308'), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored number 1e308', bytes: stFile(oneWith(',"x":1e308'), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'ignored number 1e-400 (underflows to 0)', bytes: stFile(oneWith(',"x":1e-400'), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'ignored 400-digit integer', bytes: stFile(oneWith(`,"x":${'9'.repeat(400)}`), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored 300-digit integer', bytes: stFile(oneWith(`,"x":${'9'.repeat(300)}`), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'ignored 0e99999999999', bytes: stFile(oneWith(',"x":0e99999999999'), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'ignored 1e99999999999', bytes: stFile(oneWith(',"x":1e99999999999'), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored 1e-99999999999', bytes: stFile(oneWith(',"x":1e-99999999999'), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'ignored number 1.7976931348623157e308 (serde_json scales in float64: finite)', bytes: stFile(oneWith(`,"x":1.7976931348623157e308`), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'ignored number 1.7976931348623158e308 (serde_json scales in float64: infinite)', bytes: stFile(oneWith(`,"x":1.7976931348623158e308`), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored number 17976931348623157e292 (serde_json scales in float64: finite)', bytes: stFile(oneWith(`,"x":17976931348623157e292`), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'ignored number 1797693134862315700000e287 (serde_json scales in float64: infinite)', bytes: stFile(oneWith(`,"x":1797693134862315700000e287`), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored number 179769313486231580 and 291 zeros (serde_json scales in float64: infinite)', bytes: stFile(oneWith(`,"x":${'179769313486231580' + '0'.repeat(291)}`), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored number 0.00000000000000000000000000001e337 (serde_json scales in float64: finite)', bytes: stFile(oneWith(`,"x":0.00000000000000000000000000001e337`), 4), reference: 'accept', ours: 'accept', tensors: ONE },
  { name: 'ignored number 18446744073709551615e289 (serde_json scales in float64: infinite)', bytes: stFile(oneWith(`,"x":18446744073709551615e289`), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored number 1844674407370955161.5e290 (serde_json scales in float64: infinite)', bytes: stFile(oneWith(`,"x":1844674407370955161.5e290`), 4), reference: 'InvalidHeaderDeserialization', ours: 'number-out-of-range' },
  { name: 'ignored number 01 (leading zero)', bytes: stFile(oneWith(',"x":01'), 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'ignored number +1', bytes: stFile(oneWith(',"x":+1'), 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'ignored number 1.', bytes: stFile(oneWith(',"x":1.'), 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'ignored NaN', bytes: stFile(oneWith(',"x":NaN'), 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'trailing comma in an object', bytes: stFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},}', 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'trailing comma in an array', bytes: stFile('{"a":{"dtype":"F32","shape":[1,],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'single-quoted key', bytes: stFile("{'a':{}}"), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'raw tab inside a tensor name', bytes: stFile('{"a\tb":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'invalid escape \\x', bytes: stFile('{"a\\x41":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'comment', bytes: stFile(`${oneWith('')}//`, 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'NUL padding after "}"', bytes: stFile(bytes(oneWith(''), [0, 0, 0]), 4), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'form feed before "{" (not JSON whitespace)', bytes: stFile('\f{}'), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'two objects', bytes: stFile('{}{}'), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'empty header', bytes: stFile(''), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'header of spaces only', bytes: stFile('        '), reference: 'InvalidHeaderDeserialization', ours: 'json-syntax' },
  { name: 'top-level array', bytes: stFile('[]'), reference: 'InvalidHeaderDeserialization', ours: 'not-object' },
  { name: 'top-level null', bytes: stFile('null'), reference: 'InvalidHeaderDeserialization', ours: 'not-object' },
  { name: 'top-level string', bytes: stFile('"a"'), reference: 'InvalidHeaderDeserialization', ours: 'not-object' },
  { name: 'entry is a string', bytes: stFile('{"a":"F32"}'), reference: 'InvalidHeaderDeserialization', ours: 'entry-type' },
  { name: 'entry is null', bytes: stFile('{"a":null}'), reference: 'InvalidHeaderDeserialization', ours: 'entry-type' },
  { name: 'entry without dtype', bytes: stFile('{"a":{"shape":[1],"data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'missing-field' },
  { name: 'entry without shape', bytes: stFile('{"a":{"dtype":"F32","data_offsets":[0,4]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'missing-field' },
  { name: 'entry without data_offsets', bytes: stFile('{"a":{"dtype":"F32","shape":[1]}}', 4), reference: 'InvalidHeaderDeserialization', ours: 'missing-field' },
  { name: '__metadata__ value is a number', bytes: stFile('{"__metadata__":{"k":1}}'), reference: 'InvalidHeaderDeserialization', ours: 'metadata' },
  { name: '__metadata__ value is null', bytes: stFile('{"__metadata__":{"k":null}}'), reference: 'InvalidHeaderDeserialization', ours: 'metadata' },
  { name: '__metadata__ is an array', bytes: stFile('{"__metadata__":[]}'), reference: 'InvalidHeaderDeserialization', ours: 'metadata' },
  { name: '__metadata__ is a string', bytes: stFile('{"__metadata__":"pt"}'), reference: 'InvalidHeaderDeserialization', ours: 'metadata' },
];

export const CONFORMANCE_CASES: readonly ConformanceCase[] = ROWS;
