// Change-point marks in exported comparisons and the switch that turns them off (issue 18): two
// runs in a real SQLite cache whose mlp.in rows are synthetic trajectories with planted kinks at
// different steps (run A: block 0 at 900; run B: block 1 at 1800 and block 2 at 600) beside a
// straight noisy line. The stacked comparison SVG (main/export/compare.ts) carries each run's own
// diamonds in its own panel; `changePoints: false` and an A − B panel carry none. The CLI's
// `figure --no-change-points` / `--change-points` (the built out/main/cli.js) switch them in the
// SVG it writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunInfo } from '../../common/domain';
import type { Request } from '../../common/api';
import { CHANGE_COLOUR } from '../../common/charts';
import { Store } from '../../main/store/store';
import { compareFigure, compareHeatmapOptions } from '../../main/export/compare';
import { projectRoot } from '../../main/paths';
import { DEMO_STEPS, piecewise } from '../unit/metrics/trajectories';

const TENSORS = ['layers.0.mlp.in.weight', 'layers.1.mlp.in.weight', 'layers.2.mlp.in.weight'];
/** run -> per block: its kinks (none: a straight noisy line). */
const RUNS: Record<string, { name: string; kinks: number[][] }> = {
  cmpchangesrunaa1: { name: 'kinks-a', kinks: [[900], [], []] },
  cmpchangesrunbb2: { name: 'kinks-b', kinks: [[], [1800], [600]] },
};
let dir: string;
let db: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-compare-changes-'));
  db = join(dir, 'cache.sqlite');
  const store = new Store(db);
  for (const [id, r] of Object.entries(RUNS)) {
    const run: RunInfo = {
      id, name: r.name, layout: 'step-folders', root: join(dir, id), family: 'unknown', config: null, tokenizerPath: null,
      checkpoints: DEMO_STEPS.map((step) => ({ id: `step${step}`, label: `step_${step}`, step, folder: join(dir, id, `step_${step}`), weightFiles: [], format: 'safetensors', dtype: 'F32', fingerprint: `${id}-f${step}`, missing: false, warnings: [] })),
      trainingLog: [], warnings: [],
    } as unknown as RunInfo;
    store.upsertRun(run, 'opened');
    store.registerTensors(id, TENSORS.map((tensor, b) => ({ tensor, role: { block: b, component: 'mlp.in' as const, kind: 'weight' as const }, shape: [4, 4] })));
    const rows = r.kinks.map((k, b) => (k.length ? piecewise(DEMO_STEPS, k, [0.1, 1.5], 0.005, 11 + b) : piecewise(DEMO_STEPS, [], [0.3], 0.02, 4 + b)));
    DEMO_STEPS.forEach((step, c) => {
      store.writeUnit({ runId: id, checkpointId: `step${step}`, analysis: 'weights' }, { fingerprint: `${id}-f${step}`, version: 1, ctx: '' }, {
        scalars: TENSORS.map((tensor, b) => ({ metric: 'frobenius_norm', tensor, value: rows[b][c] })), arrays: [], info: {},
      });
    });
  }
  store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Diamonds in an SVG: paths filled with the change-point colour (nothing else in a heatmap is). */
function diamonds(svg: string): number {
  return [...svg.matchAll(/<path [^>]*>/g)].filter((m) => m[0].toLowerCase().includes(CHANGE_COLOUR.toLowerCase())).length;
}

/** The stacked SVG's nested documents, one per panel. */
function panelsOf(svg: string): string[] {
  return svg.split(/<svg x="0" y="\d+"/).slice(1);
}

const [A, B] = Object.keys(RUNS);
const req: Request<'renderExport'> = { runId: A, compare: [B], view: 'heatmap', metric: 'frobenius_norm', component: 'mlp.in', format: 'svg', width: 600, height: 320 };

describe('comparison heatmap exports draw change points', () => {
  it("each run's panel has its own planted kinks' marks, in the kinked rows at the kink's column", () => {
    const store = new Store(db, { readonly: true });
    try {
      const options = compareHeatmapOptions(store, req, 320);
      expect(options).toHaveLength(2);
      Object.values(RUNS).forEach((r, k) => {
        const marks = (options[k].series as Array<{ name: string; data: number[][] }>).find((s) => s.name === 'change points')?.data ?? [];
        const planted = r.kinks.flatMap((ks, b) => ks.map((step) => ({ b, step })));
        expect(marks.map((m) => m[1])).toEqual(planted.map((p) => p.b));
        // Within one checkpoint of the planted step on the log axis (as export-figure-changes.test.ts).
        marks.forEach((m, i) => {
          const c = DEMO_STEPS.indexOf(planted[i].step);
          expect(m[0]).toBeGreaterThan(Math.log10(DEMO_STEPS[c - 2]));
          expect(m[0]).toBeLessThan(Math.log10(DEMO_STEPS[c + 2]));
        });
      });
    } finally {
      store.close();
    }
  });

  it('the SVG holds them per panel; changePoints: false and A − B panels hold none', async () => {
    const store = new Store(db, { readonly: true });
    try {
      const svg = String(await compareFigure(store, req));
      expect(panelsOf(svg).map(diamonds)).toEqual([1, 2]);
      expect(diamonds(String(await compareFigure(store, { ...req, changePoints: false })))).toBe(0);
      expect(diamonds(String(await compareFigure(store, { ...req, compare: [], minus: B })))).toBe(0);
    } finally {
      store.close();
    }
  });
});

describe('figure --change-points / --no-change-points', () => {
  const cli = join(projectRoot(), 'out', 'main', 'cli.js');
  it('switches the marks in the SVG the CLI writes', () => {
    const draw = (flag: string[]): number => {
      const out = join(dir, `heat${flag.join('')}.svg`);
      const r = spawnSync(process.execPath, [cli, 'figure', '--db', db, '--run', B, '--view', 'heatmap', '--metric', 'frobenius_norm', '--component', 'mlp.in', '--out', out, ...flag], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return diamonds(readFileSync(out, 'utf8'));
    };
    expect(draw([])).toBe(2);
    expect(draw(['--change-points'])).toBe(2);
    expect(draw(['--no-change-points'])).toBe(0);
  });
});
