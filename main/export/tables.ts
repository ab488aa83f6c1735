// The export contract of DOMAIN.md, for pandas/numpy: scalars.csv (one row per number) and one
// JSON Lines file per array kind. Streams rows from the store, so memory does not grow with the
// size of the cache.
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunInfo } from '../../common/domain';
import type { ScalarGrid } from '../../common/api';
import { EXPORT_NAME } from '../../common/catalogue';
import { decodeFrame } from '../../common/frames';
import type { Store } from '../store/store';
import { orderedCheckpoints } from '../jobs/plan';
import { histogramEdges } from '../metrics/histogram';
import type { StoredDirection } from '../jobs/units/svd-directions';
import { AtomicLineWriter as LineWriter, checkExportTargets, writeManifest } from './safe-write';

/** DOMAIN.md: exact token matches with the final checkpoint's list for the same direction, best of both signs. */
export function withMatches(dirs: StoredDirection[], finalDirs: StoredDirection[]): Record<string, unknown> {
  const key = (x: StoredDirection): string => `${x.component}|${x.block}|${x.head ?? ''}|${x.index}`;
  const finals = new Map(finalDirs.map((f) => [key(f), new Set(f.top)]));
  const perBlock = new Map<number, number[]>();
  // A block with an undefined direction (NaN/Inf weights) pools fewer matrices than the final
  // checkpoint's: its closeness is not comparable, so it is left empty rather than averaged.
  const undefinedBlocks = new Set<number>();
  const directions = dirs.map((x) => {
    const f = finals.get(key(x));
    let matches: number | null = null;
    // A direction without tokens (undefined singular vectors, e.g. NaN weights) has no matches.
    if (f && x.top.length === 0) undefinedBlocks.add(x.block);
    if (f && f.size > 0 && x.top.length > 0) {
      const plus = x.top.filter((t) => f.has(t)).length;
      const minus = x.bottom.filter((t) => f.has(t)).length;
      matches = Math.max(plus, minus);
      let list = perBlock.get(x.block);
      if (!list) perBlock.set(x.block, (list = []));
      list.push(matches);
    }
    return { component: x.component, block: x.block, head: x.head, index: x.index, singular_value: x.singular_value, tokens: x.tokens, neg_tokens: x.neg_tokens, matches_final: matches };
  });
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const blocks = [...perBlock.entries()].sort(([a], [b]) => a - b);
  for (const b of undefinedBlocks) if (!perBlock.has(b)) blocks.push([b, []]);
  blocks.sort(([a], [b]) => a - b);
  const blockMean = (b: number, v: number[]): number | null => (undefinedBlocks.has(b) || !v.length ? null : mean(v));
  return {
    directions,
    closeness_per_block: Object.fromEntries(blocks.map(([b, v]) => [b, blockMean(b, v)])),
    closeness_mean: blocks.length && !undefinedBlocks.size ? mean(blocks.map(([, v]) => mean(v))) : null,
  };
}

const CSV_HEADER = 'run,step,checkpoint,tensor,role,block,metric,value\n';

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

function plain(value: unknown): unknown {
  if (value instanceof Float32Array || value instanceof Float64Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

/** The export contract's scalars.csv rows for one metric grid (what a heatmap or curve shows). */
export function gridToCsv(runId: string, grid: ScalarGrid, filter: (t: ScalarGrid['tensors'][number]) => boolean = () => true): string {
  const lines = [CSV_HEADER.trimEnd()];
  grid.tensors.forEach((t, i) => {
    if (!filter(t)) return;
    grid.values[i]!.forEach((v, j) => {
      if (v === null) return;
      lines.push([runId, grid.steps[j]!, grid.checkpointIds[j]!, t.tensor, t.component, t.block === null ? '' : String(t.block), EXPORT_NAME[grid.metric] ?? grid.metric, v].map(csvField).join(','));
    });
  });
  return lines.join('\n') + '\n';
}

export async function exportRun(store: Store, runs: RunInfo[], outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const files = {
    scalars: join(outDir, 'scalars.csv'),
    spectra: join(outDir, 'spectra.jsonl'),
    histograms: join(outDir, 'histograms.jsonl'),
    embedding: join(outDir, 'embedding_correlation.jsonl'),
    svd: join(outDir, 'svd_directions.jsonl'),
    qq: join(outDir, 'qq.jsonl'),
  };
  // Never replace a file this app did not write, never write through a link (safe-write.ts).
  await checkExportTargets(outDir, Object.values(files).map((f) => basename(f)));
  const csv = new LineWriter(files.scalars);
  const spectra = new LineWriter(files.spectra);
  const hist = new LineWriter(files.histograms);
  const emb = new LineWriter(files.embedding);
  const svd = new LineWriter(files.svd);
  const qq = new LineWriter(files.qq);
  const writers = [csv, spectra, hist, emb, svd, qq];
  try {
    await writeTables();
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    throw err;
  }
  const written = [];
  for (const w of writers) written.push(await w.commit());
  await writeManifest(outDir, written);
  return Object.values(files);

  async function writeTables(): Promise<void> {
    await csv.write(CSV_HEADER);
    for (const run of runs) {
      const ckpts = orderedCheckpoints(run);
      const stepOf = new Map(ckpts.map((c) => [c.id, c.step]));
      const order = new Map(ckpts.map((c, i) => [c.id, i]));
      const meta = new Map(store.listTensors(run.id).map((t) => [t.tensor, t]));
      // nonfinite_count (beyond the contract's list) is written only where a tensor has NaN/Inf.
      const rows = [...store.iterateScalars(run.id)].filter((r) => order.has(r.checkpointId) && (r.metric !== 'nonfinite_count' || (r.value ?? 0) > 0));
      rows.sort((a, b) => order.get(a.checkpointId)! - order.get(b.checkpointId)! || (a.tensor < b.tensor ? -1 : a.tensor > b.tensor ? 1 : 0) || (a.metric < b.metric ? -1 : 1));
      for (const r of rows) {
        const t = meta.get(r.tensor);
        const block = t?.block ?? null;
        await csv.write(
          [run.id, stepOf.get(r.checkpointId) ?? null, r.checkpointId, r.tensor, t?.component ?? '', block === null ? '' : String(block), EXPORT_NAME[r.metric] ?? r.metric, r.value]
            .map(csvField)
            .join(',') + '\n',
        );
      }
      const arrays = async (kind: string, writer: LineWriter, shape: (data: Record<string, unknown>) => Record<string, unknown>): Promise<void> => {
        const list = [...store.iterateArrays(run.id, kind)].filter((a) => order.has(a.checkpointId));
        list.sort((a, b) => order.get(a.checkpointId)! - order.get(b.checkpointId)! || (a.tensor < b.tensor ? -1 : 1));
        for (const a of list) {
          const data = plain(decodeFrame(a.data)) as Record<string, unknown>;
          await writer.write(JSON.stringify({ run: run.id, step: stepOf.get(a.checkpointId) ?? null, checkpoint: a.checkpointId, tensor: a.tensor, ...shape(data) }) + '\n');
        }
      };
      await arrays('spectrum', spectra, (d) => ({ singular_values: d.singular_values }));
      const histogramShape = (kind: string) => (d: Record<string, unknown>) => {
        const lo = d.lo as number;
        const hi = d.hi as number;
        const bins = d.bins as number;
        const edges = d.edges ?? Array.from(histogramEdges({ lo, hi }, bins));
        return { kind, edges, counts: d.counts, underflow: d.underflow, overflow: d.overflow };
      };
      await arrays('histogram', hist, histogramShape('weight'));
      await arrays('grad_histogram', hist, histogramShape('grad'));
      await arrays('resid_histogram', hist, histogramShape('resid'));
      await arrays('embedding_correlation', emb, (d) => ({ rows: d.rows, matrix: d.matrix }));
      const finalId = ckpts[ckpts.length - 1]?.id;
      const finalFrame = finalId ? store.frames(run.id, 'svd_directions', 'svd_directions').get(finalId) : undefined;
      const finalDirs = finalFrame ? (decodeFrame<{ directions: StoredDirection[] }>(finalFrame).directions ?? []) : [];
      await arrays('svd_directions', svd, (d) => withMatches((d as { directions?: StoredDirection[] }).directions ?? [], finalDirs));
      await arrays('qq', qq, (d) => d);
    }
  }
}
