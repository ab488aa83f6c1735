// Lookups the exporters and the CLI share: which analysis and unit belong to an animated view,
// the run named on the command line, a step range, and the tensor named by --tensor or by
// --component and --block (main/export/render.ts turns what they find into frames).
import { ANIMATION_VIEWS, AtlasError, type AnimationView, type TensorMeta } from '../../common/api';
import type { Store, StoredRun } from '../store/store';

/** Which `analyze --analyses` value computes the frames of a view (for "nothing cached" errors). */
export const ANALYSIS_OF_VIEW: Record<AnimationView, string> = {
  histogram: 'weights',
  qq: 'weights',
  spectrum: 'spectra',
  correlation: 'embedding',
  activations: 'activations',
  gradients: 'gradients',
};

/** The unit each panel of the app prints in its frame label (Animations.tsx: FramePanel, CorrelationPanel). */
export function unitOfView(view: AnimationView): string {
  return view === 'gradients' ? '∂loss/∂w' : view === 'qq' ? 'σ' : view === 'correlation' ? 'Pearson r' : 'value';
}

export function isAnimationView(v: string): v is AnimationView {
  return (ANIMATION_VIEWS as readonly string[]).includes(v);
}

/** The run with this id, or else the one run with this name (the CLI accepts either). */
export function requireRun(store: Store, runId: string): StoredRun {
  const run = store.getRun(runId);
  if (run) return run;
  const runs = store.listRuns();
  const named = runs.filter((r) => r.name === runId || r.alias === runId);
  if (named.length === 1) return named[0];
  if (named.length > 1) {
    throw new AtlasError('bad-request', `${named.length} runs in the cache ${store.path} are named "${runId}"; give one id:\n${named.map((r) => `  ${r.id}  (${r.name}: ${r.root})`).join('\n')}`, store.path);
  }
  const list = runs.length ? runs.map((r) => `  ${r.id}  (${r.name})`).join('\n') : '  (none: run `checkpoint-atlas analyze <folder>` first)';
  throw new AtlasError('not-found', `no run "${runId}" in the cache ${store.path}; runs there:\n${list}`, store.path);
}

/** Parse "A:B" (either end may be empty) into an inclusive step range. */
export function parseStepRange(text: string): [number, number] {
  const m = /^\s*(-?\d+(?:\.\d+)?)?\s*:\s*(-?\d+(?:\.\d+)?)?\s*$/.exec(text);
  if (!m) throw new AtlasError('bad-request', `--steps must look like A:B (e.g. 0:1000, 512:, :2000), got "${text}"`);
  const a = m[1] === undefined ? -Infinity : Number(m[1]);
  const b = m[2] === undefined ? Infinity : Number(m[2]);
  if (a > b) throw new AtlasError('bad-request', `--steps ${text}: the first step is after the last`);
  return [a, b];
}

/** Resolve --tensor, or --component and --block, to one of the run's tensors. */
export function resolveTensor(store: Store, runId: string, want: { tensor?: string; component?: string; block?: string }, accept: (t: TensorMeta) => boolean = () => true): TensorMeta {
  const all = store.listTensors(runId);
  if (want.tensor) {
    const t = all.find((x) => x.tensor === want.tensor);
    if (!t) throw new AtlasError('not-found', `run ${runId} has no tensor "${want.tensor}"; tensors: ${all.map((x) => x.tensor).join(', ') || '(none registered)'}`);
    return t;
  }
  if (want.component) {
    const blockText = want.block;
    const matches = all.filter((t) => t.component === want.component && (blockText === undefined || String(t.block) === blockText) && accept(t));
    const weight = matches.filter((t) => t.kind === 'weight');
    const pick = weight.length === 1 ? weight : matches;
    if (pick.length === 1) return pick[0];
    const components = [...new Set(all.map((t) => t.component))].join(', ');
    if (pick.length === 0) throw new AtlasError('not-found', `run ${runId} has no tensor of component "${want.component}"${blockText === undefined ? '' : ` in block ${blockText}`} (components: ${components})`);
    throw new AtlasError('bad-request', `--component ${want.component}${blockText === undefined ? '' : ` --block ${blockText}`} matches ${pick.length} tensors (${pick.map((t) => t.tensor).join(', ')}); add --block or name one with --tensor`);
  }
  throw new AtlasError('bad-request', 'name the tensor: --tensor NAME, or --component C --block B');
}
