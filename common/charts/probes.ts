// Panels of the "Lens & induction" view (renderer/src/views/Probes.tsx) and of their PNG/SVG
// export (main/export/figure.ts): the induction score's single `attn.head` panel of a grid
// (rows = every block's query heads) cut into one head x checkpoint panel per block, rows
// labelled by head; the logit lens is the grid's `resid` panel as it is (rows = depth).
import type { HeatmapPanel } from './heatmap';
import { parseInductionTensor } from '../analyses/probes';

export const HEAD_COMPONENT = 'attn.head';

/** One panel per block for each `attn.head` panel (heads in order); other panels unchanged. */
export function splitHeadPanels(panels: readonly HeatmapPanel[]): HeatmapPanel[] {
  return panels.flatMap((p) => {
    if (p.component !== HEAD_COMPONENT) return [p];
    const byBlock = new Map<number, Array<{ head: number; row: HeatmapPanel['rows'][number] }>>();
    for (const row of p.rows) {
      const h = parseInductionTensor(row.tensor);
      if (!h) continue;
      const list = byBlock.get(h.block) ?? [];
      list.push({ head: h.head, row });
      byBlock.set(h.block, list);
    }
    return [...byBlock.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([block, rows]) => ({
        ...p,
        block,
        rowName: 'head',
        rows: rows.sort((a, b) => a.head - b.head).map(({ head, row }) => ({ ...row, label: String(head) })),
      }));
  });
}

/** The panel of one block (splitHeadPanels), or undefined. */
export function headPanelOf(panels: readonly HeatmapPanel[], block: number): HeatmapPanel | undefined {
  return splitHeadPanels(panels).find((p) => p.component === HEAD_COMPONENT && p.block === block);
}
