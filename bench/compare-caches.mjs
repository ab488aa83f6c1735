// Compares every scalar and array result two caches hold for the same run (e.g. one written by
// main before a change and one after it, as for issue 16 item 6's code census in BENCHMARKS.md):
// per metric and per array kind/field, the largest relative difference |a - b| / max(|b|, floor)
// and absolute difference, and how many values differ at all. Read-only on both files.
// Usage: node bench/compare-caches.mjs BEFORE.sqlite AFTER.sqlite [--floor 1e-300]
import Database from 'better-sqlite3';

const [beforePath, afterPath, ...rest] = process.argv.slice(2);
if (!beforePath || !afterPath) {
  console.error('usage: node bench/compare-caches.mjs BEFORE.sqlite AFTER.sqlite [--floor F]');
  process.exit(2);
}
const floor = rest[0] === '--floor' ? Number(rest[1]) : 1e-300;
const open = (p) => new Database(p, { readonly: true, fileMustExist: true });
const a = open(beforePath);
const b = open(afterPath);

/** Largest relative difference and count of differing values, per key. */
const stats = new Map();
function note(key, x, y) {
  let s = stats.get(key);
  if (!s) stats.set(key, (s = { values: 0, differing: 0, maxRel: 0, maxAbs: 0 }));
  s.values++;
  if (Object.is(x, y) || (x === y) || (Number.isNaN(x) && Number.isNaN(y))) return;
  s.differing++;
  const rel = typeof x === 'number' && typeof y === 'number' ? Math.abs(x - y) / Math.max(Math.abs(x), floor) : Infinity;
  if (rel > s.maxRel) s.maxRel = rel;
  const abs = typeof x === 'number' && typeof y === 'number' ? Math.abs(x - y) : Infinity;
  if (abs > s.maxAbs) s.maxAbs = abs;
}

/** Walks two JSON values side by side, noting every number under `key.path`. */
function walk(key, x, y) {
  if (Array.isArray(x) && Array.isArray(y)) {
    if (x.length !== y.length) note(`${key} (length)`, x.length, y.length);
    for (let i = 0; i < Math.min(x.length, y.length); i++) walk(key, x[i], y[i]);
  } else if (x && y && typeof x === 'object' && typeof y === 'object') {
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk(`${key}.${k}`, x[k], y[k]);
  } else note(key, x, y);
}

const scalarsOf = (db) => new Map(db.prepare('SELECT metric, tensor, checkpoint_id AS c, value FROM scalars').all().map((r) => [`${r.metric}\t${r.tensor}\t${r.c}`, r.value]));
const sa = scalarsOf(a);
const sb = scalarsOf(b);
let missing = 0;
for (const [k, v] of sa) {
  if (!sb.has(k)) {
    missing++;
    continue;
  }
  note(`scalar ${k.split('\t')[0]}`, v, sb.get(k));
}
const arraysOf = (db) => new Map(db.prepare('SELECT kind, tensor, checkpoint_id AS c, data FROM arrays').all().map((r) => [`${r.kind}\t${r.tensor}\t${r.c}`, r.data]));
const aa = arraysOf(a);
const ab = arraysOf(b);
for (const [k, v] of aa) {
  if (!ab.has(k)) {
    missing++;
    continue;
  }
  walk(`array ${k.split('\t')[0]}`, JSON.parse(v), JSON.parse(ab.get(k)));
}
console.log(`${sa.size} scalars and ${aa.size} arrays in ${beforePath}; ${missing} of them missing from ${afterPath}`);
console.log('key\tvalues\tdiffering\tmax relative difference\tmax absolute difference');
for (const [k, s] of [...stats].sort()) console.log(`${k}\t${s.values}\t${s.differing}\t${s.maxRel.toExponential(2)}\t${s.maxAbs.toExponential(2)}`);
