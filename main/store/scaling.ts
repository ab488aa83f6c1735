// The scaling view's read model: one metric of several runs against model size, at a matched
// step or token count (the study's "outlier norms scale with model size": e.g. the largest
// residual value ever seen, per depth, against parameters on log-log axes). Pure over the store's
// cached scalars (buildScalarGrid), shared by the API (main/api/engine.ts) and the exporter
// (main/export/scaling.ts). The rules, stated once here and in docs/SCALING.md:
//   - Size: main/architectures/params.ts (closed form from config.json); a run without one is
//     listed with params null and left off the plot.
//   - Matched point: each run's last present checkpoint whose step (or tokens seen, with the
//     user's tokens per step where the files carry none) is <= `at`; `at` defaults to the
//     furthest point every run reached (the smallest of the runs' last steps or token counts).
//   - Depth lines: the component's tensors in depth order (the residual stream's `embed` entry,
//     i.e. after the embedding, first; then blocks 0..L-1; `final`/`unembed` entries are not
//     depth positions); fraction f reads position round(f x (P - 1)) of P positions: the
//     nearest block, halves rounded up; no interpolation, so every value is a measured one.
//   - Component lines: every block of the component, reduced by max (default) or mean.
//   - reduce 'max-ever': per tensor, the largest value at any checkpoint at or before the
//     matched one (the study's max-ever outlier); 'at': the value at the matched checkpoint.
//   - Slope: least squares of log10(value) on log10(params) over the runs with positive values
//     and distinct sizes (null with fewer than two).
import { AtlasError, SCALING_DEFAULT_FRACTIONS, type ScalarGrid, type ScalingRequest, type ScalingResult } from '../../common/api';
import { METRIC_BY_ID } from '../../common/catalogue';
import type { CheckpointInfo, RunInfo } from '../../common/domain';
import { parameterCount } from '../architectures/params';
import { withTokensPerStep } from '../layouts/tokens';
import { buildScalarGrid, presentCheckpoints } from './grids';
import type { Store } from './store';
import { runColourSlot } from './run-colours';

/** run_params key of the user's tokens per step (the engine's getRun reads it, setTokensPerStep writes it). */
export const TOKENS_PER_STEP_KEY = 'tokens_per_step';

type TensorRow = ScalarGrid['tensors'][number];

/** Depth position of a tensor: embed -> -1, block b -> b, anything else -> null (not a depth). */
function depthOf(t: TensorRow): number | null {
  if (t.block === 'embed') return -1;
  return typeof t.block === 'number' ? t.block : null;
}

/** Position index for fraction f of P positions: nearest, halves up. */
export function depthIndex(fraction: number, positions: number): number {
  return Math.min(positions - 1, Math.max(0, Math.floor(fraction * (positions - 1) + 0.5)));
}

/** Least-squares slope of log10 y on log10 x (points with x, y > 0); null without two distinct x. */
export function logLogSlope(points: ReadonlyArray<readonly [number, number]>): number | null {
  const p = points.filter(([x, y]) => x > 0 && y > 0).map(([x, y]) => [Math.log10(x), Math.log10(y)] as const);
  if (new Set(p.map(([x]) => x)).size < 2) return null;
  const mx = p.reduce((a, [x]) => a + x, 0) / p.length;
  const my = p.reduce((a, [, y]) => a + y, 0) / p.length;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of p) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
  }
  return sxy / sxx;
}

/** A run's present checkpoints with the coordinate they are matched by (step or tokens). */
function coordinates(store: Store, run: RunInfo, align: 'step' | 'tokens'): Array<{ c: CheckpointInfo; at: number | null }> {
  const present = presentCheckpoints(run);
  const withTokens = align === 'tokens' ? withTokensPerStep(present, store.getParam<number>(run.id, TOKENS_PER_STEP_KEY)) : present;
  return withTokens.map((c) => ({ c, at: align === 'tokens' ? (c.tokens ?? null) : c.step }));
}

export function scalingSeries(store: Store, req: ScalingRequest): ScalingResult {
  const def = METRIC_BY_ID.get(req.metric);
  if (!def) throw new AtlasError('bad-request', `unknown metric "${req.metric}"`);
  const align = req.align ?? 'step';
  const reduce = req.reduce ?? 'at';
  const lines = req.lines ?? 'depth';
  const paramsKind = req.params ?? 'total';
  const fractions = [...(req.fractions ?? SCALING_DEFAULT_FRACTIONS)].sort((a, b) => a - b);
  const runs = [...new Set(req.runIds)].map((id) => {
    const stored = store.getRun(id);
    if (!stored) throw new AtlasError('not-found', `no run with id "${id}"; open its folder first`);
    return stored.info;
  });
  const coords = runs.map((r) => coordinates(store, r, align));
  const axis = [...new Set(coords.flatMap((cs) => cs.map((x) => x.at).filter((v): v is number => v !== null)))].sort((a, b) => a - b);
  const lasts = coords.map((cs) => Math.max(-Infinity, ...cs.map((x) => x.at ?? -Infinity))).filter(Number.isFinite);
  const at = req.at ?? (lasts.length ? Math.min(...lasts) : null);
  const grids = runs.map((r) => buildScalarGrid(store, r, req.metric));

  // The component(s) the lines read: asked, or the metric's natural one.
  const wantKind = (t: TensorRow) => (req.kind ? t.kind === req.kind : true);
  const allTensors = grids.flatMap((g) => g.tensors).filter(wantKind);
  const blockComponents = [...new Set(allTensors.filter((t) => depthOf(t) !== null).map((t) => t.component))];
  const component = lines === 'depth' ? (req.component ?? (blockComponents.includes('resid') ? 'resid' : blockComponents.includes('attn.qkv') ? 'attn.qkv' : (blockComponents[0] ?? null))) : null;
  if (lines === 'depth' && req.component && !blockComponents.includes(req.component) && allTensors.length > 0) {
    throw new AtlasError('bad-request', `${def.label} has no per-block values for component "${req.component}" in these runs (has: ${blockComponents.join(', ') || 'none'})`);
  }
  const series =
    lines === 'depth'
      ? fractions.map((f) => ({ id: `depth${f}`, label: `depth ${f}` }))
      : (req.component ? [req.component] : blockComponents).map((c) => ({ id: c, label: c }));

  const outRuns = runs.map((run, ri) => {
    const count = parameterCount(run.config);
    const params = count ? (paramsKind === 'total' ? count.total : count.nonEmbedding) : null;
    const grid = grids[ri];
    const cs = coords[ri];
    // Matched checkpoint: the last one at or before `at`.
    let col = -1;
    for (let j = 0; j < cs.length; j++) if (at !== null && cs[j].at !== null && cs[j].at! <= at) col = j;
    const base = { runId: run.id, name: run.name, colourSlot: runColourSlot(store, run.id), params, paramsMethod: count?.method ?? `no closed form for family ${run.family}` };
    const empty = { values: series.map(() => null), tensors: series.map(() => null) };
    if (col < 0) return { ...base, checkpointId: null, step: null, tokens: null, ...empty, note: at === null ? 'no checkpoint with a step' : `no checkpoint at or before ${align} ${at}` };
    const ck = cs[col].c;
    const matched = { checkpointId: ck.id, step: ck.step, tokens: ck.tokens ?? null };
    const gridCol = grid.checkpointIds.indexOf(ck.id);
    if (grid.tensors.length === 0 || gridCol < 0) return { ...base, ...matched, ...empty, note: `${def.label} is not computed for this run: run the ${def.analysis} analysis` };
    const valueOf = (ti: number): number | null => {
      const row = grid.values[ti];
      if (reduce === 'at') return row[gridCol] ?? null;
      let best: number | null = null;
      for (let j = 0; j <= gridCol; j++) {
        const v = row[j];
        if (v !== null && v !== undefined && Number.isFinite(v) && (best === null || v > best)) best = v;
      }
      return best;
    };
    const ofComponent = (comp: string) =>
      grid.tensors
        .map((t, i) => ({ t, i, d: depthOf(t) }))
        .filter((x) => x.t.component === comp && wantKind(x.t) && x.d !== null)
        .sort((a, b) => a.d! - b.d!);
    const values: Array<number | null> = [];
    const tensors: Array<string | null> = [];
    for (const s of series) {
      if (lines === 'depth') {
        const pos = ofComponent(component!);
        if (!pos.length) {
          values.push(null);
          tensors.push(null);
          continue;
        }
        const f = fractions[series.indexOf(s)];
        const p = pos[depthIndex(f, pos.length)];
        values.push(valueOf(p.i));
        tensors.push(p.t.tensor);
      } else {
        const vs = ofComponent(s.id).map((x) => valueOf(x.i)).filter((v): v is number => v !== null);
        values.push(vs.length === 0 ? null : req.blockReduce === 'mean' ? vs.reduce((a, b) => a + b, 0) / vs.length : Math.max(...vs));
        tensors.push(vs.length ? `${s.id} (${vs.length} blocks, ${req.blockReduce ?? 'max'})` : null);
      }
    }
    return { ...base, ...matched, values, tensors, note: null };
  });

  return {
    metric: req.metric,
    label: def.label,
    unit: def.unit,
    align,
    at,
    reduce,
    lines,
    component,
    kind: req.kind ?? null,
    params: paramsKind,
    axis,
    series: series.map((s, si) => ({
      ...s,
      slope: logLogSlope(outRuns.filter((r) => r.params !== null && r.values[si] !== null).map((r) => [r.params!, r.values[si]!] as const)),
    })),
    runs: outRuns,
  };
}
