// data.pkl of a torch.save archive -> the flat list of (dotted name, tensor descriptor). A state
// dict is a tree of dicts: a pickle can make it a DAG through the memo (each level's dict holding
// the one below eight times over sixteen levels is a 2 KB file that names 8^16 tensors), so a dict
// reached twice is refused, and tensors and name lengths are capped. Pure (no I/O): this is what
// `unpickle-worker.ts` runs off the main thread.
import { restrictedUnpickle, type PDict, type PTensor, type PValue, type UnpickleLimits } from './restricted-unpickler';
import { FormatError } from './types';

/** Tensors one torch file may hold. The largest published MoE state dicts hold under 100,000. */
export const MAX_TENSORS_PER_FILE = 262_144;
/** Longest dotted tensor name (real ones are under 200 characters). */
export const MAX_TENSOR_NAME = 4096;
/** Dict nesting followed (deeper values are skipped, as before). */
const MAX_DICT_DEPTH = 16;

/** Flatten nested dicts of tensors into dotted names; other values are not weights and are skipped. */
export function collectTensors(root: PValue, file: string, maxTensors = MAX_TENSORS_PER_FILE): [string, PTensor][] {
  const out: [string, PTensor][] = [];
  const seen = new Set<object>();
  const walk = (value: PValue, prefix: string, depth: number): void => {
    if (value === null || typeof value !== 'object' || !('kind' in value)) return;
    if (value.kind === 'tensor') {
      if (out.length >= maxTensors) throw new FormatError(file, `data.pkl holds more than ${maxTensors} tensors; refused (a bound on hostile files)`);
      out.push([prefix === '' ? 'tensor' : prefix, value]);
      return;
    }
    if (value.kind !== 'dict' || depth > MAX_DICT_DEPTH) return;
    if (seen.has(value)) throw new FormatError(file, `data.pkl reaches the dict at "${prefix.slice(0, 200)}" a second time through the memo; a state dict is a tree, refused`);
    seen.add(value);
    for (const [key, v] of (value as PDict).items) {
      if (typeof key !== 'string' && typeof key !== 'number') continue;
      const name = prefix === '' ? String(key) : `${prefix}.${key}`;
      if (name.length > MAX_TENSOR_NAME) throw new FormatError(file, `data.pkl: a key path of ${name.length} characters (limit ${MAX_TENSOR_NAME}); refused`);
      walk(v, name, depth + 1);
    }
  };
  walk(root, '', 0);
  if (out.length === 0) throw new FormatError(file, 'data.pkl holds no tensors (not a state dict)');
  return out;
}

/** Unpickle `pickle` (bytes of data.pkl) and list its tensors. Throws FormatError naming `file`. */
export function unpickleStateDict(pickle: Uint8Array, file: string, limits?: UnpickleLimits): [string, PTensor][] {
  return collectTensors(restrictedUnpickle(pickle, file, limits), file);
}
