// The exported heatmap (CLI `figure`, the app's PNG/SVG export: main/export/figure.ts) carries the
// Overview's change-point diamonds: a real SQLite cache whose mlp.in rows are synthetic trajectories
// with planted kinks (two rows) and a straight noisy line (one row); the SVG holds one diamond per
// planted kink, at the kink's column within one checkpoint, and none when asked without them;
// the PNG differs from the unmarked one only in diamond-sized spots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { RunInfo } from '../../common/domain';
import { CHANGE_COLOUR } from '../../common/charts';
import { Store } from '../../main/store/store';
import { figureCommand, type CommandIo } from '../../main/export/commands';
import { drawFigure, scalarFigureOption } from '../../main/export/figure';
import { DEMO_STEPS, piecewise } from '../unit/metrics/trajectories';

const KINKS = [900, 1800];
const TENSORS = ['layers.0.mlp.in.weight', 'layers.1.mlp.in.weight', 'layers.2.mlp.in.weight'];
const io: CommandIo = { stdout: () => undefined, stderr: () => undefined, stderrIsTty: false };
let dir: string;
let db: string;
let run: RunInfo;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-fig-changes-'));
  db = join(dir, 'cache.sqlite');
  const store = new Store(db);
  run = {
    id: 'figchanges000001', name: 'kinks', layout: 'step-folders', root: dir, family: 'unknown', config: null, tokenizerPath: null,
    checkpoints: DEMO_STEPS.map((step) => ({ id: `step${step}`, label: `step_${step}`, step, folder: join(dir, `step_${step}`), weightFiles: [], format: 'safetensors', dtype: 'F32', fingerprint: `f${step}`, missing: false, warnings: [] })),
    trainingLog: [], warnings: [],
  };
  store.upsertRun(run, 'opened');
  store.registerTensors(run.id, TENSORS.map((tensor, b) => ({ tensor, role: { block: b, component: 'mlp.in' as const, kind: 'weight' as const }, shape: [4, 4] })));
  const rows = [
    piecewise(DEMO_STEPS, [KINKS[0]], [0.1, 1.5], 0.005, 11),
    piecewise(DEMO_STEPS, [KINKS[1]], [0.1, 1.5], 0.005, 3),
    piecewise(DEMO_STEPS, [], [0.3], 0.02, 4),
  ];
  DEMO_STEPS.forEach((step, c) => {
    store.writeUnit({ runId: run.id, checkpointId: `step${step}`, analysis: 'weights' }, { fingerprint: `f${step}`, version: 1, ctx: '' }, {
      scalars: TENSORS.map((tensor, r) => ({ metric: 'frobenius_norm', tensor, value: rows[r][c] })), arrays: [], info: {},
    });
  });
  store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Diamonds in the SVG: paths filled with the change-point colour (nothing else in a heatmap is). */
function diamonds(svg: string): string[] {
  return [...svg.matchAll(/<path [^>]*>/g)].map((m) => m[0]).filter((p) => p.toLowerCase().includes(CHANGE_COLOUR.toLowerCase()));
}

describe('heatmap figure change points', () => {
  it('the SVG has one diamond per planted kink and the description counts them', async () => {
    const out = join(dir, 'heat.svg');
    const said: string[] = [];
    await figureCommand({ db, run: run.id, view: 'heatmap', metric: 'frobenius_norm', component: 'mlp.in', out, width: '600', height: '360' }, { ...io, stderr: (s: string) => said.push(s) });
    const svg = readFileSync(out, 'utf8');
    expect(diamonds(svg)).toHaveLength(KINKS.length);
    expect(said.join('\n')).toContain(`${KINKS.length} change points`);
  });

  it('marks sit in the planted rows at the kink column (within one checkpoint); none without them', async () => {
    const store = new Store(db, { readonly: true });
    try {
      const base = { runId: run.id, view: 'heatmap' as const, metric: 'frobenius_norm', component: 'mlp.in', format: 'svg' as const, width: 600, height: 360 };
      const built = scalarFigureOption(store, store.getRun(run.id)!, base);
      const series = built.option.series as Array<{ name: string; data: number[][] }>;
      const marks = series.find((s) => s.name === 'change points')!.data;
      expect(marks.map((m) => m[1])).toEqual([0, 1]);
      // x is the log-axis centre of the kink's column: within one checkpoint of the planted step.
      marks.forEach((m, i) => {
        const k = DEMO_STEPS.indexOf(KINKS[i]);
        // a cell's centre lies between its neighbours' steps: columns k-1..k+1 lie in (step k-2, step k+2).
        const lo = Math.log10(DEMO_STEPS[k - 2]);
        const hi = Math.log10(DEMO_STEPS[k + 2]);
        expect(m[0]).toBeGreaterThan(lo);
        expect(m[0]).toBeLessThan(hi);
      });
      const off = await drawFigure(store, { ...base, changePoints: false });
      expect(diamonds(String(off.content))).toHaveLength(0);
      // The PNG draws them too: it differs from the plain one only in a few diamond-sized spots
      // (7 px symbols with a 1 px border, drawn at 0.8 opacity over the cells).
      const rgba = async (png: Buffer): Promise<Uint8ClampedArray> => {
        const img = await loadImage(png);
        const c = createCanvas(img.width, img.height);
        const ctx = c.getContext('2d');
        ctx.drawImage(img, 0, 0);
        return ctx.getImageData(0, 0, img.width, img.height).data;
      };
      const on = await rgba((await drawFigure(store, { ...base, format: 'png' })).content as Buffer);
      const plain = await rgba((await drawFigure(store, { ...base, format: 'png', changePoints: false })).content as Buffer);
      let changed = 0;
      for (let i = 0; i < on.length; i += 4) if (on[i] !== plain[i] || on[i + 1] !== plain[i + 1] || on[i + 2] !== plain[i + 2]) changed++;
      expect(changed).toBeGreaterThan(KINKS.length * 9);
      expect(changed).toBeLessThanOrEqual(KINKS.length * 11 * 11);
    } finally {
      store.close();
    }
  });
});
