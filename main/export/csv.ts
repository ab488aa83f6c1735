// CSV fields of the export contract (scalars.csv, the trajectory files, a view's CSV): one module
// that every CSV writer of export/ imports.

/**
 * One CSV field. Numbers as the shortest round-trip decimal. Text (tensor names, ids: they come
 * from downloaded files) is written bare only when it is plain ([A-Za-z0-9._:/-]); anything else is
 * double-quoted with quotes doubled, and text that a spreadsheet would run as a formula (leading
 * = + - @ tab CR) gets a leading apostrophe (OWASP's CSV-injection rule).
 */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? formatNumber(v) : '';
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /^[A-Za-z0-9._:/-]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
}

/** Shortest decimal that round-trips the float64 exactly. */
export function formatNumber(v: number): string {
  return String(v);
}
