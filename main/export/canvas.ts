// The echarts canvas renderer on @napi-rs/canvas (no display, no browser) for sparse views, echarts'
// server-side SVG for figures, and the look every exported chart shares with the app (its panel,
// ink and line colours; a font that exists headless). Used by gif.ts, figure.ts and raster.ts.
import { createRequire } from 'node:module';
import { createCanvas } from '@napi-rs/canvas';
import type * as EChartsModule from 'echarts';
import type { ChartOption } from '../../common/charts';

let echartsModule: typeof EChartsModule | null = null;

/**
 * echarts, loaded on first use through its CommonJS entry (the package's one-file dist/echarts.js,
 * same version and code as its ES modules): importing its ~700 ES modules when the process starts
 * cost every CLI command ~0.4 s, a sweep included, though most commands never draw
 * (BENCHMARKS.md, "Measurements behind design choices").
 */
function echarts(): typeof EChartsModule {
  return (echartsModule ??= createRequire(import.meta.url)('echarts') as typeof EChartsModule);
}

/** The app's white panel, ink and muted text colours (renderer/src/styles.css --panel, --ink, --muted, --line). */
export const PANEL_BACKGROUND = '#ffffff';
export const INK = '#1d232b';
export const MUTED = '#5d6673';
export const LINE = '#d8dde4';

/** The font the exporter draws with (installed fonts are found by @napi-rs/canvas; sans-serif falls back). */
export const EXPORT_FONT_FAMILY = 'Liberation Sans, DejaVu Sans, Arial, sans-serif';

/** Options every exported chart adds: the app's white panel and a font that exists headless. */
export function withExportLook(option: ChartOption): ChartOption {
  return { ...option, backgroundColor: PANEL_BACKGROUND, textStyle: { fontFamily: EXPORT_FONT_FAMILY } };
}

let platformSet = false;

/**
 * echarts on a @napi-rs/canvas canvas: one instance reused for every frame (setOption without
 * merge, so each frame is exactly its own option). dispose() is required, or Node never exits.
 */
export class CanvasChart {
  private readonly canvas;
  private readonly chart;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    if (!platformSet) {
      // echarts measures text on a canvas it creates itself: give it one (there is no document).
      echarts().setPlatformAPI({ createCanvas: () => createCanvas(32, 32) as unknown as HTMLCanvasElement });
      platformSet = true;
    }
    this.canvas = createCanvas(width, height);
    this.chart = echarts().init(this.canvas as unknown as HTMLCanvasElement, null, { width, height, devicePixelRatio: 1, renderer: 'canvas' });
  }

  /** Draw an option and return its RGBA pixels (width * height * 4). */
  render(option: ChartOption): Uint8ClampedArray {
    this.chart.setOption(withExportLook(option) as EChartsModule.EChartsOption, { notMerge: true, lazyUpdate: false });
    // echarts paints on its own schedule; force the pending frame now.
    (this.chart as unknown as { getZr(): { flush(): void } }).getZr().flush();
    const ctx = this.canvas.getContext('2d');
    return ctx.getImageData(0, 0, this.width, this.height).data;
  }

  async png(option: ChartOption): Promise<Buffer> {
    this.render(option);
    return this.canvas.encode('png');
  }

  dispose(): void {
    this.chart.dispose();
  }
}

/**
 * The option for echarts' SVG renderer: series in `large` mode (histogram bars drawn as one path
 * per series for the canvas) are drawn element by element, because the SVG renderer writes
 * their batched path as `d=""` and the figure would have no bars (issue 15 #2).
 */
export function forSvg(option: ChartOption): ChartOption {
  const series = option.series;
  if (!Array.isArray(series)) return option;
  return { ...option, series: series.map((s: Record<string, unknown>) => (s && s.large ? { ...s, large: false } : s)) };
}

/** echarts server-side SVG of an option (the figure exporter's vector output). */
export function renderSvg(option: ChartOption, width: number, height: number): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(withExportLook(forSvg(option)) as EChartsModule.EChartsOption);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** One still figure: echarts' server-side SVG, or a PNG drawn on the canvas (every exporter's stills). */
export async function drawStill(option: ChartOption, format: 'png' | 'svg', width: number, height: number): Promise<Buffer | string> {
  if (format === 'svg') return renderSvg(option, width, height);
  const chart = new CanvasChart(width, height);
  try {
    return await chart.png(option);
  } finally {
    chart.dispose();
  }
}
