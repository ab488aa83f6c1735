// co_update.csv (docs/ANALYSES.md): the co-update matrix of every run (main/store/co-update.ts),
// per block, per weight matrix and per attention head (rows only when the head-updates analysis
// ran; `a`, `b` then name `attn.{block}.head.{h}` or, under GQA, `attn.{block}.kv.{h}`), as long rows in the clustered display order: `position_a`,
// `position_b` are 0-based positions in that order (pandas: pivot on them to get the heatmap),
// `a`, `b` the block or tensor name, `correlation` empty where undefined.
import type { RunInfo } from '../../common/domain';
import type { Store } from '../store/store';
import { runCoUpdate, type CoUpdateGroup } from '../store/co-update';

export const CO_UPDATE_FILE = 'co_update.csv';
export const CO_UPDATE_HEADER = 'run,group,position_a,position_b,a,b,correlation\n';

interface Writer {
  write(line: string): Promise<void>;
}

export async function writeCoUpdate(store: Store, run: RunInfo, out: Writer, field: (v: string | number | null) => string): Promise<void> {
  for (const group of ['block', 'tensor', 'head'] as CoUpdateGroup[]) {
    const r = runCoUpdate(store, run, group, true);
    const n = r.names.length;
    for (let pa = 0; pa < n; pa++) {
      const a = r.order[pa];
      for (let pb = 0; pb < n; pb++) {
        const b = r.order[pb];
        await out.write([run.id, group, pa, pb, r.names[a], r.names[b], r.matrix[a * n + b] ?? null].map(field).join(',') + '\n');
      }
    }
  }
}
