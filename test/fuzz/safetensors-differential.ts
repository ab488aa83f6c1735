// The `safetensors-differential` fuzz target: JSON-level mutations of the real safetensors headers
// among the seeds (duplicate fields and names, number spellings, byte-order marks, escapes and
// surrogates, whitespace, nesting around the 127 limit, the array and map spellings of entries and
// dtypes, metadata forms, offsets nudged), each judged twice: by the reader
// (main/formats/safetensors.ts) and by an independent re-implementation of the reference's rules
// (safetensors-reference.ts). A case whose verdicts differ (other than by the deliberate
// differences docs/SAFETENSORS.md lists), or whose accepted tensors differ, is an invariant
// violation. Registered in targets.ts; kept apart from the other targets' generators.
import { openSafetensors, SafetensorsRuleError } from '../../main/formats/safetensors';
import type { Rng } from './rng';
import { referenceVerdict, type ReferenceTensor } from './safetensors-reference';
import { InvariantViolation, memoryOpener, type FuzzInput, type Seeds } from './targets';

/** A header as text pieces: objects keep raw key spellings, so duplicates and escapes survive. */
type Node = { k: 'obj'; pairs: [string, Node][] } | { k: 'arr'; items: Node[] } | { k: 'raw'; text: string };

const REFUSED_BY_NAME = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);
const DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'U16', 'U32', 'U64', 'BOOL', 'F8_E4M3', 'F4', 'F6_E2M3', 'C64', 'f32', 'Q7', ''];
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const BOM = '\ufeff';

function toNode(v: unknown): Node {
  if (Array.isArray(v)) return { k: 'arr', items: v.map(toNode) };
  if (v !== null && typeof v === 'object') return { k: 'obj', pairs: Object.keys(v).map((key) => [JSON.stringify(key), toNode((v as Record<string, unknown>)[key])]) };
  return { k: 'raw', text: JSON.stringify(v) };
}

function write(n: Node, rng: Rng, spaced: boolean): string {
  const sep = spaced ? ', ' : ',';
  const colon = spaced ? ': ' : ':';
  if (n.k === 'raw') return n.text;
  if (n.k === 'arr') return `[${n.items.map((x) => write(x, rng, spaced)).join(sep)}]`;
  return `{${n.pairs.map(([key, v]) => `${key}${colon}${write(v, rng, spaced)}`).join(sep)}}`;
}

const clone = (n: Node): Node => (n.k === 'raw' ? n : n.k === 'arr' ? { k: 'arr', items: n.items.map(clone) } : { k: 'obj', pairs: n.pairs.map(([a, b]) => [a, clone(b)]) });
const field = (entry: Node, name: string): Node | undefined => (entry.k === 'obj' ? entry.pairs.find(([k]) => k === `"${name}"`)?.[1] : undefined);

/** Another spelling of a non-negative integer (most of them not an integer for serde). */
function respell(rng: Rng, text: string): string {
  const v = /^\d+$/.test(text) ? BigInt(text) : 4n;
  const s = v.toString();
  return rng.pick([
    `${s}.0`, `${s}e0`, `${s}E-0`, `${s}e+0`, `${s}.00`, `-${s}`, '-0', `0${s}`, `+${s}`, `${s}.5`, ` ${s} `,
    v % 10n === 0n && v > 0n ? `${v / 10n}e1` : `${s}0e-1`, '18446744073709551615', '18446744073709551616',
    '9007199254740993', '9007199254740992', `${s}`, '1e400', '0', `"${s}"`, 'true', 'null',
  ]);
}

/** A key spelled with \u escapes, a lone surrogate, a pair, a raw BOM or an invalid escape. */
function respellKey(rng: Rng, key: string): string {
  let name = 'a';
  try {
    name = JSON.parse(key) as string; // an earlier respelling may have made it invalid JSON
  } catch {
    // keep 'a'
  }
  switch (rng.int(9)) {
    case 0: return `"${[...name].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
    case 1: return `"${name}\\ud800"`;
    case 2: return `"\\udc00${name}"`;
    case 3: return `"${name}\\ud83d\\ude00"`;
    case 4: return `"${name}${BOM}"`;
    case 5: return `"${name}\\ufeff"`;
    case 6: return `"${name}\\x41"`;
    case 7: return `"${name}\t"`;
    default: return `"${name.toUpperCase() === name ? name : name.toUpperCase()}\\u00E9"`;
  }
}

function mutate(rng: Rng, root: Node & { k: 'obj' }): void {
  const entries = root.pairs.filter(([k]) => k !== '"__metadata__"');
  const pickEntry = (): [string, Node] | undefined => (entries.length ? rng.pick(entries) : undefined);
  const e = pickEntry();
  switch (rng.int(16)) {
    case 0: { // duplicate a field inside an entry
      if (e && e[1].k === 'obj') {
        const [k, v] = rng.pick(e[1].pairs);
        e[1].pairs.splice(rng.int(e[1].pairs.length + 1), 0, [k, rng.chance(0.5) ? clone(v) : k === '"dtype"' ? { k: 'raw', text: JSON.stringify(rng.pick(DTYPES)) } : { k: 'raw', text: '[1]' }]);
      }
      break;
    }
    case 1: // duplicate a tensor name or __metadata__
      if (e && rng.chance(0.7)) root.pairs.splice(rng.int(root.pairs.length + 1), 0, [e[0], clone(e[1])]);
      else root.pairs.push(['"__metadata__"', { k: 'obj', pairs: [['"format"', { k: 'raw', text: '"pt"' }]] }]);
      break;
    case 2: case 3: { // respell a shape or offset integer
      const target = e && field(e[1], rng.chance(0.5) ? 'shape' : 'data_offsets');
      if (target?.k === 'arr' && target.items.length) {
        const i = rng.int(target.items.length);
        const item = target.items[i];
        target.items[i] = { k: 'raw', text: respell(rng, item.k === 'raw' ? item.text : '4') };
      }
      break;
    }
    case 4: // respell a tensor name
      if (e) e[0] = respellKey(rng, e[0]);
      break;
    case 5: { // nesting around serde_json's limit in an ignored field (or in the metadata)
      const levels = rng.range(120, 130);
      const deep: Node = { k: 'raw', text: rng.chance(0.5) ? '['.repeat(levels) + ']'.repeat(levels) : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels) };
      if (e && e[1].k === 'obj') e[1].pairs.push(['"x"', deep]);
      else root.pairs.push(['"__metadata__"', { k: 'obj', pairs: [['"x"', deep]] }]);
      break;
    }
    case 6: // the array form of an entry
      if (e && e[1].k === 'obj') {
        const items = ['dtype', 'shape', 'data_offsets'].map((f) => field(e[1], f) ?? { k: 'raw', text: '0' } as Node);
        if (rng.chance(0.2)) items.splice(rng.int(3), 1);
        else if (rng.chance(0.2)) items.push({ k: 'raw', text: '1' });
        e[1] = { k: 'arr', items };
      }
      break;
    case 7: { // dtype as a map, or another name
      const pair = e && e[1].k === 'obj' ? e[1].pairs.find(([k]) => k === '"dtype"') : undefined;
      if (pair) {
        const name = pair[1].k === 'raw' ? pair[1].text : '"F32"';
        pair[1] = rng.pick<Node>([
          { k: 'obj', pairs: [[name, { k: 'raw', text: 'null' }]] }, { k: 'obj', pairs: [[name, { k: 'raw', text: '1' }]] },
          { k: 'obj', pairs: [] }, { k: 'raw', text: JSON.stringify(rng.pick(DTYPES)) }, { k: 'raw', text: '17' },
        ]);
      }
      break;
    }
    case 8: { // metadata forms
      const meta = rng.pick<Node>([
        { k: 'raw', text: 'null' }, { k: 'raw', text: '[]' }, { k: 'raw', text: '"pt"' },
        { k: 'obj', pairs: [['"k"', { k: 'raw', text: '1' }]] }, { k: 'obj', pairs: [['"__proto__"', { k: 'raw', text: '"x"' }], ['"k"', { k: 'raw', text: '"1"' }], ['"k"', { k: 'raw', text: '"2"' }]] },
      ]);
      const at = root.pairs.findIndex(([k]) => k === '"__metadata__"');
      if (at >= 0) root.pairs[at][1] = meta;
      else root.pairs.unshift(['"__metadata__"', meta]);
      break;
    }
    case 9: // an unknown field with a number at the edge of serde_json's range, or escapes
      if (e && e[1].k === 'obj') e[1].pairs.push([rng.pick(['"x"', '"\\u0078"', '"dtype "']), { k: 'raw', text: rng.pick(['1e400', '1.8e308', '1.7976931348623157e308', '1.7976931348623158e308', '1e308', '1e-400', '9'.repeat(rng.range(300, 420)), '0e99999999999', '1e99999999999', '-0', '"\\ud800"', '"\\ud83d\\ude00"', '{"k":1,"k":2}', 'NaN', '01']) }]);
      break;
    case 10: // a prototype name
      if (e) e[0] = JSON.stringify(rng.pick(PROTOTYPE_NAMES));
      break;
    case 11: { // offsets nudged or swapped
      const offs = e && field(e[1], 'data_offsets');
      if (offs?.k === 'arr' && offs.items.length === 2 && offs.items.every((x) => x.k === 'raw' && /^\d+$/.test(x.text))) {
        const [b, en] = offs.items.map((x) => BigInt((x as { text: string }).text));
        const nb = rng.chance(0.5) ? b : b + BigInt(rng.range(-2, 2));
        const ne = rng.chance(0.3) ? b : en + BigInt(rng.range(-2, 2));
        offs.items = rng.chance(0.2) ? [{ k: 'raw', text: String(ne) }, { k: 'raw', text: String(nb) }] : [{ k: 'raw', text: String(nb < 0n ? 0n : nb) }, { k: 'raw', text: String(ne < 0n ? 0n : ne) }];
      }
      break;
    }
    case 12: { // a zero or a huge dimension
      const shape = e && field(e[1], 'shape');
      if (shape?.k === 'arr') shape.items.splice(rng.int(shape.items.length + 1), 0, { k: 'raw', text: rng.pick(['0', '1', '4294967296', '9007199254740993', '18446744073709551615']) });
      break;
    }
    case 13: // entries reordered
      root.pairs.reverse();
      break;
    case 14: // an entry replaced by a scalar, or removed
      if (e) {
        const at = root.pairs.indexOf(e);
        if (rng.chance(0.5)) root.pairs.splice(at, 1);
        else root.pairs[at] = [e[0], { k: 'raw', text: rng.pick(['null', '"F32"', '1', '[]', '{}']) }];
      }
      break;
    default: { // a field removed
      if (e && e[1].k === 'obj' && e[1].pairs.length) e[1].pairs.splice(rng.int(e[1].pairs.length), 1);
    }
  }
}

/** Whitespace, byte-order marks and padding around (or in front of) the JSON text. */
function frame(rng: Rng, json: string): string {
  const lead = rng.chance(0.9) ? '' : rng.pick([' ', '\t\n', '\r\n  ', BOM, `${BOM} `, ' \f', '\u00a0']);
  let tail = rng.chance(0.85) ? '' : rng.pick([' ', '\n', BOM, '\u0000', '\u0000\u0000\u0000', '//', ',', '}', '\u2028']);
  let out = lead + json + tail;
  if (rng.chance(0.5)) {
    const pad = (8 - (new TextEncoder().encode(out).length % 8)) % 8;
    tail = ' '.repeat(pad);
    out += tail;
  }
  return out;
}

export function generateDifferential(rng: Rng, seeds: Seeds): FuzzInput {
  const usable = seeds.safetensors.filter((s) => s.origin.indexOf('hostile/') === -1 || s.origin.includes('leading-brace'));
  const seed = rng.pick(usable.length ? usable : seeds.safetensors);
  const bytes = seed.files[0].bytes;
  const n = bytes.length >= 8 ? Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)) : 0;
  let root: Node;
  try {
    root = toNode(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))));
  } catch {
    root = { k: 'obj', pairs: [] };
  }
  if (root.k !== 'obj') root = { k: 'obj', pairs: [] };
  const count = rng.geometric(2);
  for (let i = 0; i < count; i++) mutate(rng, root as Node & { k: 'obj' });
  const header = new TextEncoder().encode(frame(rng, write(root, rng, rng.chance(0.3))));
  let data = bytes.subarray(Math.min(bytes.length, 8 + n));
  const dataChoice = rng.int(12);
  if (dataChoice === 0) data = data.subarray(0, Math.max(0, data.length - rng.range(1, 4)));
  else if (dataChoice === 1) data = Uint8Array.from([...data, ...new Uint8Array(rng.range(1, 4))]);
  const out = new Uint8Array(8 + header.length + data.length);
  const lengthChoice = rng.int(20);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, header.length + (lengthChoice === 0 ? rng.range(-2, 2) : 0))), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return { files: [{ name: 'model.safetensors', bytes: out }], entry: 'model.safetensors', origin: `${seed.origin}:differential` };
}

const VALIDATION: Record<string, string> = { offsets: 'InvalidOffset', overflow: 'ValidationOverflow', misaligned: 'MisalignedSlice', 'size-mismatch': 'TensorInvalidInfo', coverage: 'MetadataIncompleteBuffer' };
const HEADER: Record<string, string> = { 'file-too-small': 'HeaderTooSmall', 'header-too-large': 'HeaderTooLarge', 'header-length': 'InvalidHeaderLength', utf8: 'InvalidHeader' };
const DELIBERATE = new Set(['duplicate-name', 'unsupported-dtype', 'dimension-too-large']);

/**
 * The reader and the oracle on one case: throws InvariantViolation when they disagree, the reader's
 * own refusal (a typed FormatError) when both refuse, and returns when both accept.
 */
export async function exerciseDifferential(input: FuzzInput): Promise<string> {
  const bytes = input.files[0].bytes;
  const path = `/fuzz/safetensors-differential/${input.entry}`;
  const expected = referenceVerdict(bytes);
  const deliberate = expected.verdict === 'accept' && (expected.duplicateNames || expected.tensors.some((t) => REFUSED_BY_NAME.has(t.dtype) || t.shape.some((d) => d > BigInt(Number.MAX_SAFE_INTEGER))));
  let source: Awaited<ReturnType<typeof openSafetensors>> | null = null;
  let rule: string | null = null;
  let refusal: SafetensorsRuleError | null = null;
  try {
    source = await openSafetensors(path, { opener: memoryOpener(new Map([[path, bytes]])) });
  } catch (err) {
    if (!(err instanceof SafetensorsRuleError)) throw err;
    rule = err.rule;
    refusal = err;
  }
  const disagree = (what: string): never => {
    throw new InvariantViolation(`${path}: safetensors differential: ${what} (reference: ${expected.verdict}${expected.detail ? `, ${expected.detail}` : ''}; reader: ${rule ?? 'accept'})`);
  };
  if (rule !== null) {
    if (expected.verdict === 'accept') {
      if (!deliberate || !DELIBERATE.has(rule)) disagree('the reader refuses a file the reference accepts');
      throw refusal!; // agreed (a deliberate difference): counted as the reader's typed refusal
    }
    if (DELIBERATE.has(rule)) disagree('a deliberate rule fired on a file the reference refuses');
    // Header-level kinds must match exactly; among validation errors the first one met depends on
    // the reference's hash-map order for tensors at equal offsets, so only the class is compared.
    const ours = HEADER[rule] ?? VALIDATION[rule] ?? 'InvalidHeaderDeserialization';
    const sameClass = ours === expected.verdict || (rule in VALIDATION && Object.values(VALIDATION).includes(expected.verdict));
    if (!sameClass) disagree(`refused under a different rule (${ours})`);
    throw refusal!; // agreed: counted as the reader's typed refusal
  }
  try {
    if (expected.verdict !== 'accept') disagree('the reader accepts a file the reference refuses');
    if (deliberate) disagree('the reader accepts a file it deliberately refuses');
    const listed = source!.list();
    const dataStart = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    const want = expected.tensors.map((t: ReferenceTensor) => `${t.name} ${t.dtype} [${t.shape.join(',')}] ${t.begin}-${t.end}`).sort();
    const got = listed.map((e) => `${e.name} ${e.dtype} [${e.shape.join(',')}] ${e.byteOffset - dataStart}-${e.byteOffset - dataStart + e.byteLength}`).sort();
    if (JSON.stringify(want) !== JSON.stringify(got)) disagree(`different tensors: reference ${JSON.stringify(want).slice(0, 300)}, reader ${JSON.stringify(got).slice(0, 300)}`);
    for (const e of listed) {
      const values = await source!.read(e.name);
      const numel = e.shape.reduce((a, b) => a * b, 1);
      if (values.length !== numel) throw new InvariantViolation(`${path}: tensor "${e.name}" of shape [${e.shape.join(', ')}] read as ${values.length} elements`);
    }
    return `${listed.length} tensors, as the reference`;
  } finally {
    await source!.close();
  }
}
