// The overlay animations' flat per-tick series (common/charts/flat-points.ts) hold exactly the
// points of the array-of-pairs builders the exports use (densityPoints, qqPoints, spectrumPoints),
// gaps (null there) as NaN; checked on random frames with zero bins, non-finite quantiles and
// non-positive singular values, and on a histogram whose densities are known in closed form.
import { describe, expect, it } from 'vitest';
import { densityPoints, overlayUpdate, type OverlayKind, type OverlayRun } from '../../../common/charts/compare-frames';
import { flatDensity, flatOverlayUpdate, flatQq, flatSpectrum } from '../../../common/charts/flat-points';
import type { HistogramFrame, QqFrame, SpectrumFrame } from '../../../common/charts/frames';
import { qqPoints } from '../../../common/charts/qq';
import { spectrumPoints } from '../../../common/charts/spectrum';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pairs -> flat, null -> NaN: what the flat builders must return. */
function flatten(points: ReadonlyArray<ReadonlyArray<number | null>>): number[] {
  return points.flatMap((p) => [p[0] ?? NaN, p[1] ?? NaN]);
}

describe('flat overlay series', () => {
  it('a histogram: bin edges against count / (total x width), the last edge repeating the last density', () => {
    const frame: HistogramFrame = { edges: [-1, 0, 0.5, 2], counts: [2, 0, 6], underflow: 1, overflow: 1 };
    // total 10: densities 2 / (10 x 1), 0, 6 / (10 x 1.5)
    expect([...flatDensity(frame, false)]).toEqual([-1, 0.2, 0, 0, 0.5, 0.4, 2, 0.4]);
    expect([...flatDensity(frame, true)]).toEqual([-1, 0.2, 0, NaN, 0.5, 0.4, 2, 0.4]);
    expect(flatDensity({ edges: [0], counts: [], underflow: 0, overflow: 0 }, false).length).toBe(0);
  });

  it('random histograms, QQ and spectrum frames give the same points as the pair builders', () => {
    const r = rng(20);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(r() * 40);
      const edges = [r() - 2];
      for (let i = 0; i < n; i++) edges.push(edges[i] + (r() < 0.1 ? 0 : r()));
      const hist: HistogramFrame = { edges, counts: Array.from({ length: n }, () => (r() < 0.3 ? 0 : Math.floor(r() * 1000))), underflow: Math.floor(r() * 5), overflow: Math.floor(r() * 5) };
      for (const yLog of [false, true]) expect([...flatDensity(hist, yLog)]).toEqual(flatten(densityPoints(hist, yLog)));

      const m = Math.floor(r() * 60);
      const odd = () => (r() < 0.1 ? (r() < 0.5 ? NaN : Infinity) : 4 * r() - 2);
      const qq = { probabilities: Array.from({ length: m }, (_, i) => (i + 0.5) / m), empirical: Array.from({ length: m }, odd), gaussian: Array.from({ length: m }, odd), logistic: Array.from({ length: m }, odd), student_t: Array.from({ length: m }, odd) } as QqFrame;
      for (const family of ['gaussian', 'logistic', 'student_t'] as const) expect([...flatQq(qq, family)]).toEqual(flatten(qqPoints(qq, family)));

      const spectrum: SpectrumFrame = { singular_values: Array.from({ length: Math.floor(r() * 300) }, () => (r() < 0.1 ? (r() < 0.5 ? 0 : -r()) : r() < 0.05 ? NaN : 10 * r())) };
      expect([...flatSpectrum(spectrum)]).toEqual(flatten(spectrumPoints(spectrum)));
    }
  });

  it("a tick's option is overlayUpdate's: the same subtitle and, run by run, the same points flattened", () => {
    const label = (runName: string, step: number) => ({ runName, tensor: 'w', component: 'mlp.in', block: 0, step, checkpointId: `step${step}`, unit: 'value' });
    const frames: Record<OverlayKind, unknown[]> = {
      histogram: [{ edges: [0, 1, 3], counts: [4, 0], underflow: 1, overflow: 0 }, { edges: [-1, 0, 1], counts: [1, 2], underflow: 0, overflow: 3 }],
      qq: [{ probabilities: [0.25, 0.75], empirical: [-1, NaN], gaussian: [-0.6, 0.6], logistic: [-0.5, 0.5], student_t: [-0.7, 0.7] }, { probabilities: [0.5], empirical: [0.1], gaussian: [0], logistic: [0], student_t: [0] }],
      spectrum: [{ singular_values: [3, 2, 0] }, { singular_values: [5, 1e-3] }],
    };
    for (const kind of ['histogram', 'qq', 'spectrum'] as const) {
      const runs: Array<OverlayRun<unknown>> = [
        { runName: 'tiny', colour: '#000', frame: frames[kind][0], label: label('tiny', 512) },
        { runName: 'small', colour: '#111', frame: null, label: null },
        { runName: 'seed1', colour: '#222', frame: frames[kind][1], label: label('seed1', 1000), tokens: 2_048_000 },
      ];
      for (const yLog of [false, true]) {
        const settings = { kind, extent: {}, yLog, family: 'logistic' as const };
        const want = overlayUpdate(runs, settings) as { title: unknown; series: Array<{ data: Array<Array<number | null>> }> };
        const got = flatOverlayUpdate(runs, settings) as { title: unknown; series: Array<{ data: ArrayLike<number> }> };
        expect(got.title).toEqual(want.title);
        expect(got.series.map((x) => [...Array.from(x.data)])).toEqual(want.series.map((x) => flatten(x.data)));
      }
    }
  });
});
