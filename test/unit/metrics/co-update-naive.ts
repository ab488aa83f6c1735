// Test helper (not a test): the co-update definition of docs/ANALYSES.md written the plain way
// (intervals where every row is positive, log10, optional removal of each interval's mean, Pearson per
// pair with means and sums in float64), independently of main/metrics/co-update.ts.
export function naiveCoUpdate(sizes: Array<Array<number | null>>, removeCommon: boolean): number[][] {
  const rows = sizes.filter((r) => r.some((v) => v !== null && v > 0));
  const width = Math.max(...rows.map((r) => r.length));
  const cols: number[] = [];
  for (let k = 0; k < width; k++) if (rows.every((r) => r[k] !== null && r[k] !== undefined && r[k]! > 0 && Number.isFinite(r[k]!))) cols.push(k);
  const x = rows.map((r) => cols.map((k) => Math.log10(r[k]!)));
  if (removeCommon) {
    cols.forEach((_, j) => {
      const mean = x.reduce((s, r) => s + r[j], 0) / x.length;
      x.forEach((r) => (r[j] = r[j] - mean));
    });
  }
  const pearson = (a: number[], b: number[]): number => {
    const ma = a.reduce((s, v) => s + v, 0) / a.length;
    const mb = b.reduce((s, v) => s + v, 0) / b.length;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let i = 0; i < a.length; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) ** 2;
      sbb += (b[i] - mb) ** 2;
    }
    return saa > 0 && sbb > 0 ? Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb))) : Number.NaN;
  };
  return x.map((a, i) => x.map((b, j) => (i === j && x[i].some((v) => v !== x[i][0]) ? 1 : pearson(a, b))));
}
