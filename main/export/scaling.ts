// The scaling view as a file (the API's scalingExport): PNG (echarts on @napi-rs/canvas) and
// SVG (echarts server-side) of the same option the app draws (common/charts/scaling.ts), a GIF
// with one frame per matched step (or token count) from the first point every run has reached to
// the asked one, on axes fixed over all frames so the points move and the frame does not, and
// the numbers as CSV. Reads through store/ (main/store/scaling.ts), like every exporter.
import { AtlasError, EXPORT_LIMITS, type Request, type ScalingResult } from '../../common/api';
import { FIGURE_DEFAULT_SIZE, GIF_DEFAULT_SIZE, logBounds, scalingCsv, scalingOption, type ChartOption } from '../../common/charts';
import { scalingSeries } from '../store/scaling';
import type { Store } from '../store/store';
import { gifenc } from './gif';
import { CanvasChart, drawStill } from './canvas';

export type ScalingExportRequest = Request<'scalingExport'>;

/** At most this many GIF frames (matched points); longer axes are sampled evenly. */
export const SCALING_GIF_MAX_FRAMES = 200;

/** Axis bounds covering every frame (whole decades). */
function fixedAxes(results: ScalingResult[], option: ChartOption): ChartOption {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const r of results) {
    for (const run of r.runs) {
      if (run.params === null) continue;
      for (const v of run.values) {
        if (v !== null && v > 0) {
          xs.push(run.params);
          ys.push(v);
        }
      }
    }
  }
  if (!xs.length) return option;
  return { ...option, xAxis: { ...(option.xAxis as object), ...logBounds(xs) }, yAxis: { ...(option.yAxis as object), ...logBounds(ys) } };
}

export function scalingFilename(r: ScalingResult, format: string): string {
  const at = r.at === null ? '' : `-${r.align}${r.at}`;
  const what = r.lines === 'depth' ? `${r.component ?? ''}-depth` : 'components';
  return `scaling-${r.metric}-${r.reduce}-${what}${at}-${r.runs.length}runs.${format}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 160);
}

/** The file as the API returns it (bytes as base64). */
export async function renderScalingExport(store: Store, req: ScalingExportRequest): Promise<{ filename: string; mime: string; base64: string; bytes: number }> {
  const f = await renderScalingFile(store, req);
  return { filename: f.filename, mime: f.mime, base64: f.bytes.toString('base64'), bytes: f.bytes.length };
}

export async function renderScalingFile(store: Store, req: ScalingExportRequest): Promise<{ filename: string; mime: string; bytes: Buffer }> {
  const result = scalingSeries(store, req);
  const filename = scalingFilename(result, req.format);
  if (req.format === 'csv') return { filename, mime: 'text/csv', bytes: Buffer.from(scalingCsv(result), 'utf8') };
  const drawn = result.runs.some((r) => r.params !== null && r.values.some((v) => v !== null && v > 0));
  if (!drawn) throw new AtlasError('not-found', `nothing to draw: no run has both a parameter count and a positive ${result.label} ${result.at === null ? '' : `at ${result.align} ${result.at}`} (${result.runs.map((r) => `${r.name}: ${r.note ?? 'no value'}`).join('; ')})`);
  if (req.format === 'png' || req.format === 'svg') {
    const width = req.width ?? FIGURE_DEFAULT_SIZE.width;
    const height = req.height ?? FIGURE_DEFAULT_SIZE.height;
    const option = scalingOption(result);
    const drawn = await drawStill(option, req.format, width, height);
    return { filename, mime: req.format === 'svg' ? 'image/svg+xml' : 'image/png', bytes: typeof drawn === 'string' ? Buffer.from(drawn, 'utf8') : drawn };
  }
  // GIF: one frame per matched point up to `at`, from the first point every run has reached.
  const width = req.width ?? GIF_DEFAULT_SIZE.width;
  const height = req.height ?? GIF_DEFAULT_SIZE.height;
  const fps = req.fps ?? EXPORT_LIMITS.fps.default;
  const end = result.at ?? 0;
  let points = result.axis.filter((v) => v <= end);
  if (points.length > SCALING_GIF_MAX_FRAMES) points = Array.from({ length: SCALING_GIF_MAX_FRAMES }, (_, i) => points[Math.round((i * (points.length - 1)) / (SCALING_GIF_MAX_FRAMES - 1))]);
  const frames = points.map((at) => scalingSeries(store, { ...req, at })).filter((r) => r.runs.some((x) => x.params !== null && x.values.some((v) => v !== null && v > 0)));
  if (!frames.length) throw new AtlasError('not-found', `no matched point up to ${result.align} ${end} has values to draw`);
  const chart = new CanvasChart(width, height);
  const out: Uint8Array[] = [];
  try {
    const encoder = gifenc.GIFEncoder({ auto: false, initialCapacity: 1 << 16 });
    encoder.writeHeader();
    frames.forEach((r, i) => {
      const rgba = chart.render(fixedAxes(frames, scalingOption(r)));
      const palette = gifenc.quantize(rgba, 256);
      encoder.writeFrame(gifenc.applyPalette(rgba, palette), width, height, { first: i === 0, palette, delay: Math.round(100 / fps) * 10, repeat: 0 });
      out.push(encoder.bytesView().slice());
      encoder.reset();
    });
    encoder.finish();
    out.push(encoder.bytesView().slice());
  } finally {
    chart.dispose();
  }
  return { filename, mime: 'image/gif', bytes: Buffer.concat(out) };
}
