// Harness (bench/spectra-stages.mjs bundles it): the spectra unit's stages on every 2-D tensor of
// one checkpoint, one onnxruntime thread, process CPU per stage. Grams are cached in a file so
// that the eigenvalue stages can be re-timed alone, and the singular values are compared with a
// reference file when one is given.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { openCheckpoint } from '../main/formats';
import { gram, gramIsFinite, gramOfRows, gramChunkLength } from '../main/compute/gram';
import { symmetricEigenvalues, singularValuesFromGramEigenvalues } from '../main/compute/eigen';
import { powerLawAlpha, eigenvaluesFromSingularValues } from '../main/metrics/spectrum';

const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export async function main(folder: string, gramFile: string, outFile: string, refFile: string | undefined): Promise<void> {
  const stages: Record<string, number> = { read: 0, gram: 0, band: 0, bandOnnx: 0, tridiagonal: 0, ql: 0, fit: 0 };
  let grams: Float64Array[] = [];
  if (!existsSync(gramFile)) {
    const src = await openCheckpoint(folder);
    for (const entry of src.list()) {
      if (entry.shape.length !== 2 || entry.shape[0] < 2 || entry.shape[1] < 2) continue;
      const [rows, cols] = entry.shape as [number, number];
      let c0 = cpu();
      let G: Float64Array;
      // As the unit reads them: float16 as raw codes (cast inside the Gram graph), others as float32.
      const codes = entry.dtype === 'F16' && !process.env.SPECTRA_STAGES_F32;
      if (rows > cols) {
        const buf = codes ? new Uint16Array(gramChunkLength(rows, cols) * cols) : new Float32Array(gramChunkLength(rows, cols) * cols);
        let readS = 0;
        G = (await gramOfRows(rows, cols, async (r0, k) => {
          const t = cpu();
          const w = codes
            ? await src.readCodes(entry.name, r0 * cols, k * cols, buf as Uint16Array)
            : ((await src.readRange(entry.name, r0 * cols, k * cols, 'f32', buf as Float32Array)) as Float32Array);
          readS += cpu() - t;
          return w;
        }, { intraOpThreads: 1, codes }))!;
        stages.read += readS;
        stages.gram += cpu() - c0 - readS;
      } else {
        const w = codes ? await src.readCodes(entry.name, 0, rows * cols) : ((await src.read(entry.name, 'f32')) as Float32Array);
        stages.read += cpu() - c0;
        c0 = cpu();
        G = await gram(w, rows, cols, { intraOpThreads: 1 });
        stages.gram += cpu() - c0;
      }
      grams.push(G);
    }
    await src.close();
    const n = grams[0].length;
    const all = new Float64Array(grams.length * n);
    grams.forEach((g, i) => all.set(g, i * n));
    writeFileSync(gramFile, all);
  } else {
    const bytes = readFileSync(gramFile);
    const all = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    const n = 768 * 768;
    for (let i = 0; i < all.length / n; i++) grams.push(all.slice(i * n, (i + 1) * n));
  }
  const spectra: Float64Array[] = [];
  const ms: Record<string, number> = {};
  const repeat = Number(process.env.REPEAT ?? 1);
  for (let rep = 0; rep < repeat; rep++) {
    for (const G0 of grams) {
      const n = Math.round(Math.sqrt(G0.length));
      const G = G0.slice();
      const c0 = cpu();
      const eigs = await symmetricEigenvalues(G, n, { intraOpThreads: 1, overwrite: true, finiteChecked: gramIsFinite(G, n), timings: ms });
      const s = singularValuesFromGramEigenvalues(eigs);
      const c1 = cpu();
      stages.eigenTotal = (stages.eigenTotal ?? 0) + (c1 - c0);
      powerLawAlpha(eigenvaluesFromSingularValues(s));
      stages.fit += cpu() - c1;
      if (rep === 0) spectra.push(s);
    }
  }
  const all = new Float64Array(spectra.length * spectra[0].length);
  spectra.forEach((s, i) => all.set(s, i * s.length));
  writeFileSync(outFile, all);
  let worst = 0;
  if (refFile && existsSync(refFile)) {
    const b = readFileSync(refFile);
    const ref = new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
    const n = spectra[0].length;
    for (let k = 0; k < spectra.length; k++) {
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(all[k * n + i] - ref[k * n + i]) / ref[k * n]);
    }
  }
  // Wall ms of each eigen stage (the timings option) scaled to the eigen CPU total.
  const wall = (ms.band ?? 0) + (ms.tridiagonal ?? 0) + (ms.ql ?? 0);
  const f = (stages.eigenTotal ?? 0) / (wall / 1000) / repeat;
  const row = {
    matrices: grams.length,
    read: stages.read,
    gram: stages.gram,
    eigenCpu: (stages.eigenTotal ?? 0) / repeat,
    band: ((ms.band ?? 0) / 1000) * f,
    bandOnnx: ((ms.bandOnnx ?? 0) / 1000) * f,
    bulge: ((ms.tridiagonal ?? 0) / 1000) * f,
    ql: ((ms.ql ?? 0) / 1000) * f,
    fit: stages.fit / repeat,
    maxDiffOverSmax: worst,
  };
  console.log(JSON.stringify(row, (_, v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v)));
}
