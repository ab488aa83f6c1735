// Embedding-row correlation matrix (tokens r0..r1-1): fixed [-1, 1] diverging scale, optional
// reordering that groups correlated rows. The ordering is average-linkage agglomerative
// clustering on 1 - r, leaves read off the dendrogram; hand-written because it is 40 lines and
// n = 256 (O(n^3) is a few ms), and the app must apply ONE order (from the final frame) to every
// frame so the animation does not reshuffle under the viewer's eyes.
import { formatValue } from './format';
import { correlationAt, correlationSize, type CorrelationFrame, type CorrelationMatrix } from './frames';
import { frameSubtitle } from './histogram';
import { BLUE_ORANGE, sampleScale } from './palette';
import { escapeHtml, type ChartOption, type FrameLabel } from './types';
import { titleStyle } from './title';

/** Identity order 0..n-1. */
export function identityOrder(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Leaf order of an average-linkage clustering with distance 1 - r (NaN treated as r = 0). */
export function clusterOrder(matrix: CorrelationMatrix): number[] {
  const n = correlationSize(matrix);
  if (n <= 2) return identityOrder(n);
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r = correlationAt(matrix, n, i, j);
      d[i * n + j] = 1 - (Number.isFinite(r) ? r : 0);
    }
  }
  const members: Array<number[] | null> = identityOrder(n).map((i) => [i]);
  for (let merges = 0; merges < n - 1; merges++) {
    let best = Infinity;
    let a = -1;
    let b = -1;
    for (let i = 0; i < n; i++) {
      if (!members[i]) continue;
      for (let j = i + 1; j < n; j++) {
        if (!members[j]) continue;
        const v = d[i * n + j];
        if (v < best) {
          best = v;
          a = i;
          b = j;
        }
      }
    }
    const ma = members[a]!;
    const mb = members[b]!;
    // Lance-Williams update for average linkage: size-weighted mean of the two distances.
    for (let k = 0; k < n; k++) {
      if (!members[k] || k === a || k === b) continue;
      const v = (ma.length * d[a * n + k] + mb.length * d[b * n + k]) / (ma.length + mb.length);
      d[a * n + k] = v;
      d[k * n + a] = v;
    }
    members[a] = ma.concat(mb);
    members[b] = null;
  }
  return members.find((m) => m !== null)!;
}

export interface CorrelationSettings {
  /** Display position p shows original row order[p]; omitted = identity. */
  order?: readonly number[];
  /** Token strings for rows r0..r1-1 (for the tooltip), when the tokenizer is known. */
  tokenLabels?: readonly string[];
}

/** [x, y, r] cells: x, y are display positions; r = matrix[order[y]][order[x]]. */
export function correlationCells(frame: CorrelationFrame, order?: readonly number[]): number[][] {
  const n = correlationSize(frame.matrix);
  const ord = order && order.length === n ? order : identityOrder(n);
  const out: number[][] = new Array(n * n);
  let k = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) out[k++] = [x, y, correlationAt(frame.matrix, n, ord[y], ord[x])];
  }
  return out;
}

/**
 * RGBA pixels (n x n, row-major) of the matrix under the same colour scale as the echarts option:
 * the app draws animation frames of the 65,536-cell matrix with these (one putImageData per frame).
 */
export function correlationPixels(frame: CorrelationFrame, order?: readonly number[]): Uint8ClampedArray {
  const n = correlationSize(frame.matrix);
  const ord = order && order.length === n ? order : identityOrder(n);
  const px = new Uint8ClampedArray(n * n * 4);
  const lut: Array<[number, number, number]> = Array.from({ length: 256 }, (_, i) => sampleScale(BLUE_ORANGE, i / 255));
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const r = correlationAt(frame.matrix, n, ord[y], ord[x]);
      const o = (y * n + x) * 4;
      if (!Number.isFinite(r)) {
        px[o] = px[o + 1] = px[o + 2] = 200;
      } else {
        const c = lut[Math.round(((Math.max(-1, Math.min(1, r)) + 1) / 2) * 255)];
        px[o] = c[0];
        px[o + 1] = c[1];
        px[o + 2] = c[2];
      }
      px[o + 3] = 255;
    }
  }
  return px;
}

export function correlationUpdate(frame: CorrelationFrame, label: FrameLabel, settings: CorrelationSettings): ChartOption {
  return { title: [{ subtext: frameSubtitle(label) }], series: [{ data: correlationCells(frame, settings.order) }] };
}

export function correlationOption(frame: CorrelationFrame, label: FrameLabel, settings: CorrelationSettings = {}): ChartOption {
  const n = correlationSize(frame.matrix);
  const ord = settings.order && settings.order.length === n ? settings.order : identityOrder(n);
  const r0 = frame.rows[0];
  const tokenOf = (p: number): string => {
    const row = ord[p];
    const t = settings.tokenLabels?.[row];
    return t === undefined ? `row ${r0 + row}` : `${r0 + row} ${JSON.stringify(t)}`;
  };
  const axisNames = identityOrder(n).map((p) => String(r0 + ord[p]));
  const update = correlationUpdate(frame, label, settings);
  const reordered = settings.order ? ' (clustered order)' : '';
  const axis = (name: string, inverse: boolean) => ({
    type: 'category',
    data: axisNames,
    name,
    nameLocation: 'middle',
    nameGap: 26,
    inverse,
    axisTick: { show: false },
    axisLabel: { fontSize: 9, interval: Math.max(0, Math.ceil(n / 8) - 1) },
    splitArea: { show: false },
  });
  return {
    animation: false,
    title: [{ text: `Embedding row correlation · rows ${r0}–${frame.rows[1] - 1}${reordered}`, ...titleStyle(), ...(update.title as object[])[0] }],
    grid: { left: 48, right: 70, top: 48, bottom: 40 },
    xAxis: axis('token id', false),
    yAxis: axis('token id', true),
    visualMap: {
      type: 'continuous',
      min: -1,
      max: 1,
      dimension: 2,
      seriesIndex: 0,
      calculable: false,
      orient: 'vertical',
      right: 4,
      top: 'middle',
      itemWidth: 10,
      itemHeight: 140,
      text: ['+1', '−1'],
      textStyle: { fontSize: 10 },
      inRange: { color: [...BLUE_ORANGE] },
    },
    tooltip: {
      trigger: 'item',
      confine: true,
      formatter: (p: { value: number[] }) =>
        `${escapeHtml(tokenOf(p.value[1]))} × ${escapeHtml(tokenOf(p.value[0]))}<br>r = <b>${formatValue(p.value[2])}</b>`,
    },
    series: [{ type: 'heatmap', name: 'correlation', progressive: 0, data: (update.series as { data: unknown }[])[0].data }],
  };
}
