// Exports of a comparison (renderExport with `compare` and/or `minus`): every run the view shows
// is in the file, drawn with the same chart functions and run colours as the app
// (common/charts/compare*.ts; each run's colour from its stored slot through runStyles, as the
// views compute it; seed groups from common/charts/seed-bands.ts, as the views compute them):
//   heatmap  CSV: every run's values; PNG/SVG: one panel per run (or per A − B on a diverging
//            scale, or per seed group's mean with `band`), stacked, on one colour scale per
//            component as the Overview's default, each run's panel with its change-point marks
//            (figure.ts heatmapWithChangeMarks; off with changePoints: false).
//   curves   CSV: every run's values, plus mean/lower/upper rows of each seed group with a band;
//            PNG/SVG: the Curves view's comparison chart (run colours, seed bands).
//   histogram, qq, spectrum, activations, gradients  PNG/SVG: every run's frame at the step in
//            one overlaid chart; GIF: the overlay over the union of the runs' steps. Aligned by
//            tokens seen (`align`), the timeline is tokens and each run is at its checkpoint at
//            that token count, by the view's rule (common/charts/compare-timeline.ts).
import { createCanvas } from '@napi-rs/canvas';
import { AtlasError, EXPORT_LIMITS, FRAME_KIND_OF_VIEW, type AnimationView, type Request, type ScalarGrid, type TensorMeta } from '../../common/api';
import {
  bandSeries,
  colourScaleFor,
  compareCurves,
  curvesOption,
  differencePanels,
  heatmapOption,
  overlayExtent,
  overlayOption,
  panelTitle,
  panelsFromGrid,
  runStyles,
  foldSeedGroups,
  differenceGrid,
  GIF_DEFAULT_SIZE,
  asHistogramFrame,
  asQqFrame,
  asSpectrumFrame,
  bandCellSeries,
  bandKeyText,
  cellBandOf,
  groupCellBands,
  type CellBand,
  type ChartOption,
  type ColourScale,
  type HeatmapPanel,
  type OverlayKind,
  type OverlayRun,
} from '../../common/charts';
import { alignRuns, comparisonFrames, picksAt, type Alignment, type RunFrames } from '../../common/charts/compare-timeline';
import { tokensOfSteps } from '../../common/charts/step-axis';
import { withTokensPerStep } from '../layouts/tokens';
import { TOKENS_PER_STEP_KEY } from '../store/scaling';
import { buildScalarGrid } from '../store/grids';
import type { Store, StoredRun } from '../store/store';
import { csvField } from './csv';
import { heatmapWithChangeMarks, metricLike } from './figure';
import { gifenc, MemorySink, validSize, type ByteSink } from './gif';
import { CanvasChart, renderSvg } from './canvas';
import { requireRun, unitOfView } from './lookup';
import { FrameSequence } from './render';
import { runLabel } from '../../common/run-label';
import { runColourSlot } from '../store/run-colours';

type ExportReq = Request<'renderExport'>;

/** The runs of a comparison, the page's run first, each once. */
export function comparedRuns(store: Store, req: Pick<ExportReq, 'runId' | 'compare' | 'minus'>): StoredRun[] {
  const ids = [req.runId, ...(req.compare ?? [])];
  const seen = new Set<string>();
  const runs: StoredRun[] = [];
  for (const id of ids) {
    const run = requireRun(store, id);
    if (seen.has(run.id)) continue;
    seen.add(run.id);
    runs.push(run);
  }
  if (req.minus && !seen.has(requireRun(store, req.minus).id)) runs.push(requireRun(store, req.minus));
  return runs;
}

/** Each run's colour and line type: its stored slot through runStyles, as every view computes it. */
export function comparedStyles(store: Store, runs: readonly StoredRun[]) {
  return runStyles(runs.map((r) => ({ id: r.id, colourSlot: runColourSlot(store, r.id) })));
}

const CSV_HEADER = 'run,run_name,series,step,checkpoint,tensor,role,block,metric,value';

function csvRows(lines: string[], run: { id: string; name: string }, series: string, grid: ScalarGrid, keep: (t: TensorMeta) => boolean): void {
  grid.tensors.forEach((t, i) => {
    if (!keep(t)) return;
    grid.values[i].forEach((v, j) => {
      if (v === null) return;
      lines.push([run.id, runLabel(run), series, grid.steps[j], grid.checkpointIds[j], t.tensor, t.component, t.block === null ? '' : String(t.block), grid.metric, v].map(csvField).join(','));
    });
  });
}

/** Heatmap and curves CSV of a comparison: every run's values; A − B rows; seed-group mean/lower/upper rows. */
export function compareCsv(store: Store, req: ExportReq): string {
  const runs = comparedRuns(store, req);
  const metric = req.metric ?? 'frobenius_norm';
  const grids = runs.map((r) => ({ run: r, grid: buildScalarGrid(store, r.info, metric) }));
  const keep = (t: TensorMeta) => (!req.component || t.component === req.component) && (!req.kind || t.kind === req.kind) && (!req.block || blockText(t) === req.block);
  const lines = [CSV_HEADER];
  for (const { run, grid } of grids) csvRows(lines, run, 'value', grid, keep);
  if (req.minus) {
    const b = grids.find((g) => g.run.id === requireRun(store, req.minus!).id)!;
    for (const a of grids) if (a !== b) csvRows(lines, a.run, `minus ${runLabel(b.run)}`, differenceGrid(a.grid, b.grid), keep);
  }
  if (req.band) {
    for (const { group: g } of foldSeedGroups(grids.map((x) => ({ runId: x.run.id, runName: runLabel(x.run), grid: x.grid })), req.band)) {
      if (!g) continue;
      const series = [['mean', g.mean], [req.band === 'std' ? 'mean-sd' : 'min', g.lower], [req.band === 'std' ? 'mean+sd' : 'max', g.upper]] as const;
      g.mean.tensors.forEach((t, r) => {
        if (!keep(t)) return;
        for (const [name, grid] of series) {
          grid.steps.forEach((s, c) => {
            const v = grid.values[r][c];
            if (v === null || v === undefined) return;
            lines.push([`group:${g.key}`, `${g.key} (${g.members.length} seeds)`, name, s, '', t.tensor, t.component, t.block === null ? '' : String(t.block), metric, v].map(csvField).join(','));
          });
        }
      });
    }
  }
  return `${lines.join('\n')}\n`;
}

function blockText(t: TensorMeta): string {
  return t.block === null ? '–' : typeof t.block === 'number' ? `block ${t.block}` : String(t.block);
}

/** Stack equal-width RGBA images vertically into one PNG. */
async function stackPng(images: Uint8ClampedArray[], width: number, height: number): Promise<Buffer> {
  const canvas = createCanvas(width, height * images.length);
  const ctx = canvas.getContext('2d');
  images.forEach((rgba, k) => {
    const img = ctx.createImageData(width, height);
    img.data.set(rgba);
    ctx.putImageData(img, 0, k * height);
  });
  return canvas.encode('png');
}

/** Stack SVG documents of one size vertically into one SVG (each placed as a nested <svg>). */
function stackSvg(svgs: string[], width: number, height: number): string {
  const inner = svgs.map((s, k) => s.replace(/^\s*(<\?xml[^>]*>\s*)?<svg\b/, `<svg x="0" y="${k * height}"`)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height * svgs.length}" viewBox="0 0 ${width} ${height * svgs.length}">\n${inner}\n</svg>\n`;
}

async function drawStack(options: ChartOption[], format: 'png' | 'svg', width: number, height: number): Promise<Buffer> {
  if (format === 'svg') return Buffer.from(stackSvg(options.map((o) => renderSvg(o, width, height)), width, height), 'utf8');
  const chart = new CanvasChart(width, height);
  try {
    // render() returns a view of the chart's canvas: copy each before the next draw.
    return await stackPng(options.map((o) => Uint8ClampedArray.from(chart.render(o))), width, height);
  } finally {
    chart.dispose();
  }
}

/** The heatmap panels of a comparison: one per run, or one per A − B; one colour scale over them. */
export function compareHeatmapOptions(store: Store, req: ExportReq, height: number): ChartOption[] {
  const runs = comparedRuns(store, req);
  const metric = metricLike(req.metric ?? 'frobenius_norm');
  const grids = runs.map((r) => ({ run: r, grid: buildScalarGrid(store, r.info, metric.id) }));
  const minus = req.minus ? grids.find((g) => g.run.id === requireRun(store, req.minus!).id)! : null;
  // Each column's panels and the run whose change points it carries (none for A − B or a group's mean).
  const folded = !minus && req.band ? foldSeedGroups(grids.map((g) => ({ runId: g.run.id, runName: runLabel(g.run), grid: g.grid, stored: g })), req.band) : null;
  const columns: HeatmapPanel[][] = minus
    ? grids.filter((g) => g !== minus).map((g) => differencePanels({ grid: g.grid, runName: runLabel(g.run) }, { grid: minus.grid, runName: runLabel(minus.run) }, metric))
    : folded
      ? // Seed groups as one column of their mean (the Overview's columns with a band chosen).
        folded.map(({ run, group }) => (group ? panelsFromGrid(group.mean, group.name, metric) : panelsFromGrid(run.grid, run.runName, metric)))
      : grids.map((g) => panelsFromGrid(g.grid, runLabel(g.run), metric));
  const columnGrids = minus ? columns.map(() => null) : folded ? folded.map(({ run, group }) => (group ? null : run.stored)) : grids;
  const matching = columns.flat().filter((p) => (!req.component || p.component === req.component) && (!req.kind || p.kind === req.kind));
  // No component named (the Overview's toolbar): the first panel with several blocks, as figure.ts picks.
  const first = matching.find((p) => req.component || p.rows.length > 1) ?? matching[0];
  if (!first) throw new AtlasError('not-found', `no ${req.component ?? ''} panel of ${metric.id} in ${runs.map((r) => runLabel(r)).join(', ')}`);
  // A seed group's band, drawn in its mean panel's cells as the Overview draws it (seed-band-cells.ts).
  const bands = columns.map((_, k) => {
    const group = folded?.[k]?.group;
    return group ? groupCellBands(group, metric) : undefined;
  });
  const shown = columns
    .map((ps, k) => {
      const panel = ps.find((p) => p.component === first.component && p.kind === first.kind);
      return { panel, grid: columnGrids[k], band: panel ? cellBandOf(bands[k], panel) : undefined };
    })
    .filter((x): x is { panel: HeatmapPanel; grid: (typeof grids)[number] | null; band: CellBand | undefined } => x.panel !== undefined);
  // One colour scale over the panels and the bands' bounds: a band's max and min have colours of the bar.
  const colour = colourScaleFor(shown.flatMap((x) => (x.band ? [x.panel, x.band.lower, x.band.upper] : [x.panel])), { mode: minus ? 'diverging' : 'auto' });
  return shown.map(({ panel, grid, band }) => {
    const plain = heatmapOption(panel, { stepScale: 'log', colour, palette: 'viridis', colourBarHeight: Math.max(24, height - 74 - 30) });
    if (band) return withBandCells(plain, panel, band, colour);
    // Each run's own change points, as its single-run figure draws them (an A − B panel is no
    // run's trajectory: none).
    return grid ? heatmapWithChangeMarks(store, grid.run.info, grid.grid, panel, plain, 'log', req.changePoints !== false).option : plain;
  });
}

/** A group's mean panel with its band drawn in the cells and the key's words under its title. */
function withBandCells(option: ChartOption, panel: HeatmapPanel, band: CellBand, colour: ColourScale): ChartOption {
  const title = option.title as { subtext?: string };
  return {
    ...option,
    title: { ...title, subtext: `${title.subtext ?? ''} · ${bandKeyText(band)}` },
    series: [...(option.series as object[]), bandCellSeries(panel, band, 'log', colour, 'viridis')],
  };
}

/** The curves chart of a comparison (the Curves view's run colours and seed bands). */
export function compareCurvesOption(store: Store, req: ExportReq): ChartOption {
  const runs = comparedRuns(store, req);
  const metric = metricLike(req.metric ?? 'frobenius_norm');
  const grids = runs.map((r) => ({ runId: r.id, runName: runLabel(r), colourSlot: runColourSlot(store, r.id), grid: buildScalarGrid(store, r.info, metric.id) }));
  const panels = grids.flatMap((g) => panelsFromGrid(g.grid, g.runName, metric));
  const panel = panels.find((p) => (!req.component || p.component === req.component) && (!req.kind || p.kind === req.kind)) ?? panels[0];
  if (!panel) throw new AtlasError('not-found', `no values of ${metric.id} in ${runs.map((r) => runLabel(r)).join(', ')}`);
  const { lines, bands } = compareCurves({ runs: grids, component: panel.component, kind: panel.kind, block: req.block, band: req.band ?? 'none' });
  const title = `${panelTitle(panel)}${req.block ? ` · ${req.block}` : ''} · ${runs.map((r) => runLabel(r)).join(' vs ')}`;
  const option = curvesOption({ title, metric, lines, loss: [], stepScale: 'log', yLog: req.yLog ?? true });
  const yLog = ((option.yAxis as Array<{ type: string }>)[0]?.type ?? '') === 'log';
  return { ...option, series: [...(option.series as object[]), ...bandSeries(bands, 'log', yLog)] };
}

type ChartView = Extract<AnimationView, 'histogram' | 'qq' | 'spectrum' | 'activations' | 'gradients'>;
const CHART_VIEWS: readonly string[] = ['histogram', 'qq', 'spectrum', 'activations', 'gradients'];

function chartView(view: string): ChartView {
  if (!CHART_VIEWS.includes(view)) throw new AtlasError('bad-request', `${view} of a comparison exports one run at a time (comparisons overlay ${CHART_VIEWS.join(', ')})`);
  return view as ChartView;
}

function overlayKindOf(view: ChartView): OverlayKind {
  return view === 'qq' ? 'qq' : view === 'spectrum' ? 'spectrum' : 'histogram';
}

/** The shared timeline of an animation comparison: by step, or by tokens seen (`align`). */
function overlayAlignment(store: Store, runs: readonly StoredRun[], req: ExportReq): Alignment {
  const unit = req.align ?? 'step';
  if (unit === 'step' && (req.tokens !== undefined || req.tokenRange)) throw new AtlasError('bad-request', 'tokens / tokenRange need align "tokens"');
  if (unit === 'tokens' && (req.step !== undefined || req.steps)) throw new AtlasError('bad-request', 'a comparison aligned by tokens takes tokens / tokenRange, not step / steps');
  // The checkpoints as the app shows them: read token counts, else the user's tokens per step.
  const withTokens = runs.map((r) => ({ id: r.id, checkpoints: unit === 'tokens' ? withTokensPerStep(r.info.checkpoints, store.getParam<number>(r.id, TOKENS_PER_STEP_KEY)) : r.info.checkpoints }));
  const alignment = alignRuns(unit, withTokens);
  if (unit === 'tokens' && !alignment.byTokens) {
    const unknown = withTokens.filter((r) => tokensOfSteps(r.checkpoints) === null).map((r) => runLabel(runs.find((x) => x.id === r.id)!));
    throw new AtlasError('bad-request', `cannot align by tokens: tokens seen are unknown for ${unknown.join(', ')} (no trainer_state.json counts; give tokens per step on the run page)`);
  }
  return alignment;
}

/** Every run's frames of one tensor, parsed, with one extent over all of them, on the shared timeline. */
export function loadOverlay(store: Store, req: ExportReq, view: ChartView) {
  const runs = comparedRuns(store, req);
  if (!req.tensor) throw new AtlasError('bad-request', `the ${view} comparison needs a tensor`);
  const alignment = overlayAlignment(store, runs, req);
  const kind = overlayKindOf(view);
  const parse = kind === 'qq' ? asQqFrame : kind === 'spectrum' ? asSpectrumFrame : asHistogramFrame;
  // Every frame is loaded (not only the range's): at the range's start a run shows its latest
  // frame before it, as the view does, and the extent is the view's (every frame).
  const perRun = runs.map((run) => {
    const meta = store.listTensors(run.id).find((t) => t.tensor === req.tensor);
    if (!meta) return { run, meta: null, steps: [] as number[], frames: [] as unknown[], seq: null };
    const seq = FrameSequence.load(store, run, FRAME_KIND_OF_VIEW[view], meta);
    const frames = Array.from({ length: seq.length }, (_, i) => parse(seq.raw(i)) as unknown);
    return { run, meta, steps: seq.checkpoints.map((c) => c.step ?? 0), frames, seq };
  });
  if (perRun.every((r) => r.frames.length === 0)) throw new AtlasError('not-found', `no ${view} frames of ${req.tensor} in ${runs.map((r) => runLabel(r)).join(', ')}`);
  const extent = overlayExtent(kind, perRun.flatMap((r) => r.frames), req.family ?? 'student_t');
  const timelineRuns: RunFrames[] = perRun.map((r) => ({ id: r.run.id, steps: r.steps, present: r.frames.map((f) => f !== null) }));
  const range = alignment.byTokens ? req.tokenRange : req.steps;
  const { positions, picks } = comparisonFrames(alignment, timelineRuns, range);
  const settings = { kind, extent, yLog: req.yLog ?? false, family: req.family ?? 'student_t', xName: view === 'gradients' ? 'gradient' : view === 'activations' ? 'activation' : 'weight', titlePrefix: view === 'gradients' ? 'Gradient histogram' : view === 'activations' ? 'Activation histogram' : 'Weight histogram' } as const;
  const unit = unitOfView(view);
  const styles = comparedStyles(store, runs);
  /** Every run at its picked frame (-1: none yet), labelled with its step (and tokens). */
  const overlay = (pick: readonly number[]): Array<OverlayRun<unknown>> =>
    perRun.map((r, k) => {
      const f = pick[k] ?? -1;
      const c = f >= 0 ? r.seq!.checkpoints[f] : null;
      const tokens = alignment.byTokens && c && c.step !== null ? (alignment.xOf.get(r.run.id)?.(c.step) ?? null) : null;
      return { runName: runLabel(r.run), colour: styles.get(r.run.id)!.colour, frame: f >= 0 ? r.frames[f] : null, label: c && r.meta ? { runName: runLabel(r.run), tensor: r.meta.tensor, component: r.meta.component, block: r.meta.block, step: c.step, checkpointId: c.id, unit } : null, ...(alignment.byTokens ? { tokens } : {}) };
    });
  /** The frame i of the animation (positions[i]). */
  const frame = (i: number) => overlay(picks.map((p) => p[i] ?? -1));
  /** A still at a timeline position (the view's rule: each run at its frame there or its latest before). */
  const still = (position: number) => overlay(picksAt(alignment, timelineRuns, position));
  return { runs, positions, settings, frame, still, tensor: req.tensor, byTokens: alignment.byTokens, lastPosition: Math.max(...timelineRuns.flatMap((r, k) => r.steps.map(alignment.xOf.get(perRun[k].run.id)!))) };
}

/** PNG/SVG of a comparison: heatmap panels stacked, the curves chart, or the overlay at a step. */
export async function compareFigure(store: Store, req: ExportReq): Promise<Buffer> {
  const width = validSize('width', req.width ?? 900);
  const height = validSize('height', req.height ?? (req.view === 'heatmap' ? 320 : 560));
  const format = req.format === 'svg' ? 'svg' : 'png';
  if (req.view === 'heatmap') return drawStack(compareHeatmapOptions(store, req, height), format, width, height);
  if (req.view === 'curves') return drawStack([compareCurvesOption(store, req)], format, width, height);
  const o = loadOverlay(store, req, chartView(req.view));
  const position = (o.byTokens ? req.tokens : req.step) ?? o.lastPosition;
  return drawStack([overlayOption(o.still(position), o.tensor, o.settings)], format, width, height);
}

/** GIF of a comparison's overlay: one frame per position of the shared timeline where a run has a frame (comparisonFrames). */
export async function compareGif(store: Store, req: ExportReq, sink: ByteSink): Promise<number> {
  const width = validSize('width', req.width ?? GIF_DEFAULT_SIZE.width);
  const height = validSize('height', req.height ?? GIF_DEFAULT_SIZE.height);
  const fps = req.fps ?? EXPORT_LIMITS.fps.default;
  const o = loadOverlay(store, req, chartView(req.view));
  if (o.positions.length === 0) throw new AtlasError('not-found', `no ${req.view} frames of ${o.tensor} in ${o.byTokens ? 'tokens' : 'steps'} ${(o.byTokens ? req.tokenRange : req.steps)?.join('..')}`);
  const chart = new CanvasChart(width, height);
  try {
    const encoder = gifenc.GIFEncoder({ auto: false, initialCapacity: 1 << 16 });
    encoder.writeHeader();
    for (let i = 0; i < o.positions.length; i++) {
      const rgba = chart.render(overlayOption(o.frame(i), o.tensor, o.settings));
      const palette = gifenc.quantize(rgba, 256);
      encoder.writeFrame(gifenc.applyPalette(rgba, palette), width, height, { first: i === 0, palette, delay: Math.round(100 / fps) * 10, repeat: 0 });
      sink.write(encoder.bytesView());
      encoder.reset();
      if (i % 4 === 3) await new Promise((r) => setImmediate(r));
    }
    encoder.finish();
    sink.write(encoder.bytesView());
    return o.positions.length;
  } finally {
    chart.dispose();
  }
}

/** renderExport of a comparison: the file's bytes, MIME type and a name suffix ("vs-3-runs", "minus-<B>"). */
export async function renderCompareExport(store: Store, req: ExportReq): Promise<{ bytes: Buffer; mime: string; suffix: string }> {
  const runs = comparedRuns(store, req);
  const suffix = req.minus ? `minus-${runLabel(requireRun(store, req.minus))}` : `vs-${runs.length}-runs`;
  if (req.format === 'csv') {
    if (req.view !== 'heatmap' && req.view !== 'curves') throw new AtlasError('bad-request', 'CSV export covers heatmaps and curves; use Export data for every array');
    return { bytes: Buffer.from(compareCsv(store, req), 'utf8'), mime: 'text/csv', suffix };
  }
  if (req.format === 'gif') {
    const sink = new MemorySink();
    await compareGif(store, req, sink);
    return { bytes: sink.bytes(), mime: 'image/gif', suffix };
  }
  return { bytes: await compareFigure(store, req), mime: req.format === 'png' ? 'image/png' : 'image/svg+xml', suffix };
}
