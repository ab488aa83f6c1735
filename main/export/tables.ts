// The export contract of DOMAIN.md, for pandas/numpy: scalars.csv (one row per number) and the
// JSON Lines file each analysis's frames name (common/analyses/<name>.ts says the file and shape). Streams rows from the store, so memory does not grow with the
// size of the cache.
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunInfo } from '../../common/domain';
import type { ScalarGrid } from '../../common/api';
import { EXPORT_NAME } from '../../common/catalogue';
import { decodeFrame } from '../../common/frames';
import type { Store } from '../store/store';
import { ANALYSES, type FrameSpec } from '../../common/analyses';
import { orderedCheckpoints } from '../jobs/plan';
import { AtomicLineWriter as LineWriter, checkExportTargets, writeManifest } from './safe-write';
import { csvField } from './csv';
import { CHANGE_POINTS_HEADER, FORECASTS_HEADER, TRAJECTORY_FILES, writeTrajectories } from './trajectory-tables';
import { CO_UPDATE_FILE, CO_UPDATE_HEADER, writeCoUpdate } from './co-update-table';

const CSV_HEADER = 'run,step,checkpoint,tensor,role,block,metric,value\n';

export { csvField, formatNumber } from './csv';

function plain(value: unknown): unknown {
  if (value instanceof Float32Array || value instanceof Float64Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // Own properties, so a key from a file such as "__proto__" is kept (see common/frames.ts).
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: plain(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** The export contract's scalars.csv rows for one metric grid (what a heatmap or curve shows). */
export function gridToCsv(runId: string, grid: ScalarGrid, filter: (t: ScalarGrid['tensors'][number]) => boolean = () => true): string {
  const lines = [CSV_HEADER.trimEnd()];
  grid.tensors.forEach((t, i) => {
    if (!filter(t)) return;
    grid.values[i].forEach((v, j) => {
      if (v === null) return;
      lines.push([runId, grid.steps[j], grid.checkpointIds[j], t.tensor, t.component, t.block === null ? '' : String(t.block), EXPORT_NAME[grid.metric] ?? grid.metric, v].map(csvField).join(','));
    });
  });
  return lines.join('\n') + '\n';
}

export async function exportRun(store: Store, runs: RunInfo[], outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  // Every analysis's frames go to the JSON Lines file its descriptor names (common/analyses/).
  const frames = ANALYSES.flatMap((a) => a.frames as readonly FrameSpec[]);
  const names = [...new Set(['scalars.csv', ...frames.map((f) => f.file), ...TRAJECTORY_FILES, CO_UPDATE_FILE])];
  // Never replace a file this app did not write, never write through a link (safe-write.ts).
  await checkExportTargets(outDir, names.map((n) => basename(join(outDir, n))));
  const writers = new Map<string, LineWriter>();
  try {
    for (const n of names) writers.set(n, new LineWriter(join(outDir, n)));
    await writeTables();
  } catch (err) {
    await Promise.all([...writers.values()].map((w) => w.abort()));
    throw err;
  }
  const written = [];
  for (const w of writers.values()) written.push(await w.commit());
  await writeManifest(outDir, written);
  return [...writers.values()].map((w) => w.path);

  async function writeTables(): Promise<void> {
    const csv = writers.get('scalars.csv')!;
    await csv.write(CSV_HEADER);
    await writers.get('change_points.csv')!.write(CHANGE_POINTS_HEADER);
    await writers.get('forecasts.csv')!.write(FORECASTS_HEADER);
    await writers.get(CO_UPDATE_FILE)!.write(CO_UPDATE_HEADER);
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
      await writeTrajectories(store, run, writers.get('change_points.csv')!, writers.get('forecasts.csv')!, csvField);
      await writeCoUpdate(store, run, writers.get(CO_UPDATE_FILE)!, csvField);
      const finalId = ckpts[ckpts.length - 1]?.id;
      for (const spec of frames) {
        const writer = writers.get(spec.file)!;
        const list = [...store.iterateArrays(run.id, spec.kind)].filter((a) => order.has(a.checkpointId));
        list.sort((a, b) => order.get(a.checkpointId)! - order.get(b.checkpointId)! || (a.tensor < b.tensor ? -1 : 1));
        const finals = new Map<string, Record<string, unknown> | null>();
        const finalFrame = (tensor: string): Record<string, unknown> | null => {
          if (!finals.has(tensor)) {
            const raw = finalId ? store.frames(run.id, spec.kind, tensor).get(finalId) : undefined;
            finals.set(tensor, raw ? (plain(decodeFrame(raw)) as Record<string, unknown>) : null);
          }
          return finals.get(tensor)!;
        };
        for (const a of list) {
          const data = plain(decodeFrame(a.data)) as Record<string, unknown>;
          const shaped = spec.exportShape(data, { finalFrame: () => finalFrame(a.tensor) });
          await writer.write(JSON.stringify({ run: run.id, step: stepOf.get(a.checkpointId) ?? null, checkpoint: a.checkpointId, tensor: a.tensor, ...shaped }) + '\n');
        }
      }
    }
  }
}
