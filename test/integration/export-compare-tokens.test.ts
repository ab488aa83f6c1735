// Animation exports of a comparison aligned by tokens seen (main/export/compare.ts, `align:
// 'tokens'`) on a real SQLite cache: run a reads 2048 tokens per step from its checkpoints, run b
// has none and the user's 3000 tokens per step (run_params, as the app's "tokens per step" sets
// it). Each frame of the GIF is a token count of the shared timeline and every run is at its
// checkpoint at that count (its latest frame at or before it), which is checked against a naive
// scan, against the view's rule (framesOnTimeline over the view's timeline) and, in the drawn
// SVG still, in the subtitle's words. The GIF holds as many frames as the GIF dialog counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { compareFigure, compareGif, loadOverlay } from '../../main/export/compare';
import { MemorySink } from '../../main/export/gif';
import { TOKENS_PER_STEP_KEY } from '../../main/store/scaling';
import { alignRuns, comparisonGifIndex, framesOnTimeline, unionPositions } from '../../common/charts/compare-timeline';
import { formatStep } from '../../common/charts/format';
import type { HistogramFrame } from '../../common/charts/frames';
import { syntheticRunInfo } from '../unit/export/synthetic';
import { decodeGif } from '../unit/export/gif-decode';

const TENSOR = 'gpt_neox.layers.0.mlp.dense_h_to_4h.weight';
/** a: frames at every step but 2; b: at every step. c: no tokens at all. */
const RUNS = {
  a: { name: 'run-a', steps: [0, 1, 2, 4, 8, 16, 32], tokensPerStep: 2048, framed: (s: number) => s !== 2 },
  b: { name: 'run-b', steps: [0, 1, 2, 4, 8, 16], tokensPerStep: 3000, framed: () => true },
  c: { name: 'run-c', steps: [0, 4, 16], tokensPerStep: null, framed: () => true },
} as const;
let dir: string;
let store: Store;

/** A histogram whose first count says which step it is from. */
const histogram = (step: number) => ({ edges: [-1, 0, 1], counts: [step + 1, 1], underflow: 0, overflow: 0 });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-export-compare-tokens-'));
  store = new Store(join(dir, 'cache.sqlite'));
  for (const [id, r] of Object.entries(RUNS)) {
    const info = syntheticRunInfo(id, [...r.steps], r.name);
    // a's counts are read from its files (checkpoint.tokens); b's come from the user's tokens per step.
    if (id === 'a') info.checkpoints = info.checkpoints.map((c) => ({ ...c, tokens: (c.step ?? 0) * r.tokensPerStep! }));
    store.upsertRun(info, 'opened');
    if (id === 'b') store.setParam(id, TOKENS_PER_STEP_KEY, r.tokensPerStep);
    store.registerTensors(id, [{ tensor: TENSOR, role: { block: 0, component: 'mlp.in', kind: 'weight' }, shape: [64, 16] }]);
    for (const s of r.steps) {
      if (!r.framed(s)) continue;
      store.writeUnit({ runId: id, checkpointId: `step${s}`, analysis: 'weights' }, { fingerprint: `fp-${s}`, version: 1, ctx: '' }, { scalars: [], arrays: [{ kind: 'histogram', tensor: TENSOR, data: histogram(s) }], info: {} });
    }
  }
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const req = { runId: 'a', compare: ['b'], view: 'histogram' as const, tensor: TENSOR, align: 'tokens' as const, width: 320, height: 240 };
const tokensOf = (id: 'a' | 'b', step: number) => step * RUNS[id].tokensPerStep;
/** Naive: the run's largest framed step whose tokens are <= x (null: none yet). */
function naiveStep(id: 'a' | 'b', x: number): number | null {
  const r = RUNS[id];
  const ok = r.steps.filter((s) => r.framed(s) && tokensOf(id, s) <= x);
  return ok.length ? Math.max(...ok) : null;
}
/** The checkpoints as getRun shows them (what the view and the GIF dialog see). */
const shown = (id: 'a' | 'b') => RUNS[id].steps.map((step) => ({ id: `step${step}`, step, tokens: tokensOf(id, step), missing: false }));

describe('comparison animations aligned by tokens', () => {
  it('every frame is a token count; each run is at its checkpoint at that count (naive scan and the view rule agree)', () => {
    const o = loadOverlay(store, { ...req, format: 'gif' }, 'histogram');
    expect(o.byTokens).toBe(true);
    const want = [...new Set((['a', 'b'] as const).flatMap((id) => RUNS[id].steps.filter((s) => RUNS[id].framed(s)).map((s) => tokensOf(id, s))))].sort((p, q) => p - q);
    expect(o.positions).toEqual(want);
    expect(o.positions.length).toBe(11);
    // The view: its timeline is every shown checkpoint's position; its panels pick with framesOnTimeline.
    const views = (['a', 'b'] as const).map((id) => ({ id, checkpoints: shown(id) }));
    const alignment = alignRuns('tokens', views);
    const viewTimeline = unionPositions(views.map((v) => ({ checkpoints: v.checkpoints, x: alignment.xOf.get(v.id)! })));
    o.positions.forEach((x, i) => {
      const frame = o.frame(i);
      (['a', 'b'] as const).forEach((id, k) => {
        const step = naiveStep(id, x);
        expect(frame[k].label?.step ?? null).toBe(step);
        expect(frame[k].tokens ?? null).toBe(step === null ? null : tokensOf(id, step));
        // The frame drawn is the one of that step (its first count is step + 1).
        expect(frame[k].frame ? (frame[k].frame as HistogramFrame).counts[0] : null).toBe(step === null ? null : step + 1);
        const framed = RUNS[id].steps.filter((s) => RUNS[id].framed(s));
        const view = framesOnTimeline(viewTimeline, framed.map((s) => tokensOf(id, s)), framed.map(() => true))[viewTimeline.indexOf(x)];
        expect(view < 0 ? null : framed[view]).toBe(step);
      });
    });
    // Where steps differ: at 12000 tokens (b's step 4) a is at step 4 (8192 tokens), b at step 4.
    const i = o.positions.indexOf(12000);
    expect(o.frame(i).map((r) => r.label?.step)).toEqual([4, 4]);
    // At 16384 tokens (a's step 8) b is still at step 4 (12000 tokens): by step they would both be at 8.
    expect(o.frame(o.positions.indexOf(16384)).map((r) => r.label?.step)).toEqual([8, 4]);
  });

  it('GIF: one frame per token count of the timeline, as many as the GIF dialog counts; a tokens range too', async () => {
    const dialogRuns = (['a', 'b'] as const).map((id) => {
      const series = store.frames(id, 'histogram', TENSOR);
      return { id, checkpoints: shown(id), steps: RUNS[id].steps, present: RUNS[id].steps.map((s) => series.has(`step${s}`)) };
    });
    for (const [align, range] of [['tokens', undefined], ['tokens', [3000, 20000]], ['step', undefined], ['step', [2, 16]]] as const) {
      const sink = new MemorySink();
      const r = align === 'tokens' ? { ...req, ...(range ? { tokenRange: [...range] as [number, number] } : {}) } : { ...req, align, ...(range ? { steps: [...range] as [number, number] } : {}) };
      const written = await compareGif(store, { ...r, format: 'gif' }, sink);
      const gif = decodeGif(new Uint8Array(sink.bytes()));
      const counted = comparisonGifIndex(align, dialogRuns).count(range);
      expect([written, gif.frames.length]).toEqual([counted, counted]);
    }
    expect(comparisonGifIndex('tokens', dialogRuns).count()).toBe(11);
    expect(comparisonGifIndex('tokens', dialogRuns).count([3000, 20000])).toBe(5);
    expect(comparisonGifIndex('step', dialogRuns).count()).toBe(7);
  });

  it('SVG still at a token count names each run with its step and tokens', async () => {
    const svg = (await compareFigure(store, { ...req, format: 'svg', tokens: 16384 })).toString('utf8');
    expect(svg).toContain(`run-a @ ${formatStep(16384)} tokens (step 8)`);
    expect(svg).toContain(`run-b @ ${formatStep(12000)} tokens (step 4)`);
    // Between frames (20000 tokens): the same rule, each run at its latest frame before.
    const between = (await compareFigure(store, { ...req, format: 'svg', tokens: 20000 })).toString('utf8');
    expect(between).toContain(`run-a @ ${formatStep(16384)} tokens (step 8)`);
    expect(between).toContain(`run-b @ ${formatStep(12000)} tokens (step 4)`);
    // By step, the same request names steps only.
    const bySteps = (await compareFigure(store, { ...req, align: 'step', format: 'svg', step: 8 })).toString('utf8');
    expect(bySteps).toContain('run-a @ step 8 · run-b @ step 8');
  });

  it('refuses tokens alignment when a run has no tokens, naming it; and step fields with tokens alignment', async () => {
    await expect(compareFigure(store, { ...req, compare: ['b', 'c'], format: 'svg' })).rejects.toThrow(/tokens seen are unknown for run-c/);
    await expect(compareFigure(store, { ...req, format: 'svg', step: 4 })).rejects.toThrow(/aligned by tokens takes tokens/);
    await expect(compareFigure(store, { ...req, align: 'step', format: 'svg', tokens: 4 })).rejects.toThrow(/need align "tokens"/);
  });
});
