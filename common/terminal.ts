// Text from files (folder and file names, tensor names from a downloaded header, messages that
// quote them) reaches `scan` and `analyze` output. Written raw, an ESC sequence in a name can set
// the window title, clear the screen or move the cursor, and a newline or carriage return can
// forge a whole line ("OK: ..."). Like `ls -b` and git's quoted paths, every control character
// (C0 including newline, DEL, C1), and the Unicode bidi and line-separator controls that reorder
// or break what is shown, is written as a visible escape. `--json` output is already escaped by
// JSON.stringify.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** One value for a terminal line: control characters become `\n`, `\e`, `\xNN`, `\u{NNNN}`. */
export function escapeTerminal(s: string): string {
  return s.replace(UNSAFE, (c) => {
    if (NAMED[c]) return NAMED[c];
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** Every string inside `value` (objects, arrays) escaped for a terminal; other values unchanged. */
export function escapeTerminalDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeTerminal(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeTerminalDeep(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = escapeTerminalDeep(v);
    return out as T;
  }
  return value;
}
