// The overlay animations' per-tick series data as flat typed arrays [x0, y0, x1, y1, ...], the same
// points as compare-frames.ts densityPoints, qq.ts qqPoints and spectrum.ts spectrumPoints (a gap,
// null there, is NaN here). echarts takes a typed array as it is: no deep clone of one small
// array per point in setOption and no per-item option compatibility pass, which with 8 runs of
// 1,024 singular values, 200 quantiles and 128 bins was most of a frame's script time and its
// garbage (bench/compare-ui.mjs). A fresh array per tick: echarts keeps the one it is given.
import { overlayLayout, type OverlayRun, type OverlaySettings } from './compare-frames';
import type { HistogramFrame, QqFrame, SpectrumFrame } from './frames';
import type { QqFamily } from './qq';
import type { ChartOption } from './types';

/** compare-frames.ts overlayUpdate with every run's points as one flat typed array. */
export function flatOverlayUpdate(runs: ReadonlyArray<OverlayRun<unknown>>, settings: OverlaySettings): ChartOption {
  const data = (f: unknown | null): Float64Array | never[] => {
    if (!f) return [];
    if (settings.kind === 'qq') return flatQq(f as QqFrame, settings.family ?? 'student_t');
    if (settings.kind === 'spectrum') return flatSpectrum(f as SpectrumFrame);
    return flatDensity(f as HistogramFrame, settings.yLog ?? false);
  };
  const layout = overlayLayout(runs, settings);
  return { title: [{ subtext: layout.subtext }], legend: { top: layout.legendTop }, grid: { top: layout.gridTop }, series: runs.map((r) => ({ data: data(r.frame) })) };
}

/** densityPoints(frame, yLog) flattened: bin left edges (and the last right edge) against density. */
export function flatDensity(frame: HistogramFrame, yLog: boolean): Float64Array {
  const counts = frame.counts;
  const n = counts.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += counts[i];
  total = total + frame.underflow + frame.overflow;
  const out = new Float64Array(n > 0 ? 2 * (n + 1) : 0);
  let d = 0;
  for (let i = 0; i < n; i++) {
    const width = frame.edges[i + 1] - frame.edges[i];
    d = total > 0 && width > 0 ? counts[i] / (total * width) : 0;
    out[2 * i] = frame.edges[i];
    out[2 * i + 1] = yLog && d <= 0 ? NaN : d;
  }
  if (n > 0) {
    out[2 * n] = frame.edges[frame.edges.length - 1];
    out[2 * n + 1] = out[2 * n - 1];
  }
  return out;
}

/** qqPoints(frame, family)'s [theoretical, empirical] pairs flattened (non-finite pairs dropped). */
export function flatQq(frame: QqFrame, family: QqFamily): Float64Array {
  const th = frame[family];
  const emp = frame.empirical;
  const out = new Float64Array(2 * emp.length);
  let k = 0;
  for (let i = 0; i < emp.length; i++) {
    const x = th[i];
    const y = emp[i];
    if (x === undefined || y === undefined || x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    out[k++] = x;
    out[k++] = y;
  }
  return k === out.length ? out : out.slice(0, k);
}

/** spectrumPoints(frame) flattened: [rank (1-based), singular value] of the positive values. */
export function flatSpectrum(frame: SpectrumFrame): Float64Array {
  const sv = frame.singular_values;
  const out = new Float64Array(2 * sv.length);
  let k = 0;
  for (let i = 0; i < sv.length; i++) {
    const s = sv[i];
    if (s === null || !Number.isFinite(s) || !(s > 0)) continue;
    out[k++] = i + 1;
    out[k++] = s;
  }
  return k === out.length ? out : out.slice(0, k);
}
