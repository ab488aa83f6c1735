// Token strings as the embedding-correlation view shows them (axes, hover, CSV): whitespace made
// visible (a leading space is most of what tells BPE pieces apart: "the" vs " the"), control
// characters escaped, the empty string named; and which rows of a long axis get a label.
// Decoding itself is the engine's (main/tokenizer/index.ts displayToken: partial UTF-8 as \xNN).

const VISIBLE: Readonly<Record<string, string>> = { ' ': '␣', '\n': '↵', '\t': '⇥', '\r': '␍' };

/** "␣the", "↵", "\x00"-style escapes for other control characters; "∅" for an empty token. */
export function visibleToken(text: string): string {
  if (text === '') return '∅';
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (VISIBLE[ch]) out += VISIBLE[ch];
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0xa0 || code === 0x2028 || code === 0x2029 || code === 0xfeff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** "id ␣the" (or "id" without a tokenizer). */
export function tokenCaption(id: number, label: string | null | undefined): string {
  return label === null || label === undefined ? String(id) : `${id} ${visibleToken(label)}`;
}

/** Display positions that carry an axis label: all of them up to `most`, else every k-th from 0. */
export function labelledPositions(n: number, most = 32): number[] {
  const k = Math.max(1, Math.ceil(n / most));
  const out: number[] = [];
  for (let p = 0; p < n; p += k) out.push(p);
  return out;
}

/**
 * An axis label's token: visibleToken, a run of one repeated character as "␣×16" (BPE vocabularies
 * hold long runs of spaces), anything else longer than `max` cut with "…" (hover shows it whole).
 */
export function shortToken(text: string, max = 10): string {
  const chars = [...visibleToken(text)];
  if (chars.length > 3 && chars.every((c) => c === chars[0])) return `${chars[0]}×${chars.length}`;
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}
