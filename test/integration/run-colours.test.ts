// Issue 20: a run's colour is a property of the run. On real SQLite caches: runs entering the
// library get distinct slots (the least used), which survive reopening the cache and do not move
// when another run is removed; the engine returns the slot in every RunSummary and the user can
// choose another (setRunColour); an exported comparison draws each run in the colour the views
// compute (runStyles of the summaries' slots), and removing a run from the comparison leaves the
// others' colours as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { runColourSlot, setRunColourSlot, storedColourSlot } from '../../main/store/run-colours';
import { compareFigure } from '../../main/export/compare';
import { RUN_COLOURS, runStyle, runStyles } from '../../common/charts/compare';
import { syntheticRunInfo } from '../unit/export/synthetic';
import { makeRun } from './make-run';

const TENSORS = ['gpt_neox.layers.0.mlp.dense_h_to_4h.weight', 'gpt_neox.layers.1.mlp.dense_h_to_4h.weight'];
const STEPS = [0, 10, 20];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-run-colours-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function addRun(store: Store, id: string, name: string, scale: number): void {
  store.upsertRun(syntheticRunInfo(id, STEPS, name), 'opened');
  store.registerTensors(id, TENSORS.map((tensor, b) => ({ tensor, role: { block: b, component: 'mlp.in', kind: 'weight' }, shape: [64, 16] })));
  for (const s of STEPS) {
    store.writeUnit({ runId: id, checkpointId: `step${s}`, analysis: 'weights' }, { fingerprint: `fp-${s}`, version: 1, ctx: '' }, { scalars: TENSORS.map((tensor, t) => ({ metric: 'frobenius_norm', tensor, value: scale * (10 + t + s / 10) })), arrays: [], info: {} });
  }
}

/** The stroke colours of an SVG's paths, upper case, in document order (each once). */
function strokes(svg: string): string[] {
  const out: string[] = [];
  for (const m of svg.matchAll(/stroke="(#[0-9a-fA-F]{6}|rgb\([^)]*\))"/g)) {
    const c = m[1].startsWith('#') ? m[1].toUpperCase() : rgbToHex(m[1]);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}
function rgbToHex(rgb: string): string {
  const [r, g, b] = rgb.replace(/[^\d,]/g, '').split(',').map(Number);
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`.toUpperCase();
}

describe('run colour slots in the cache', () => {
  it('new runs take the least-used slot, keep it across reopening, and a removal moves no other run', () => {
    const db = join(dir, 'slots.sqlite');
    let store = new Store(db);
    for (const [id, k] of [['a', 1], ['b', 2], ['c', 3]] as const) addRun(store, id, `run-${id}`, k);
    expect(['a', 'b', 'c'].map((id) => runColourSlot(store, id))).toEqual([0, 1, 2]);
    store.close();
    store = new Store(db);
    expect(['a', 'b', 'c'].map((id) => storedColourSlot(store, id))).toEqual([0, 1, 2]);
    store.removeRun('b');
    expect([runColourSlot(store, 'a'), runColourSlot(store, 'c')]).toEqual([0, 2]);
    // The freed slot is the least used again: the next run takes it.
    addRun(store, 'd', 'run-d', 4);
    expect(runColourSlot(store, 'd')).toBe(1);
    setRunColourSlot(store, 'd', 20);
    expect(runColourSlot(store, 'd')).toBe(20);
    expect(() => setRunColourSlot(store, 'd', 27)).toThrow(/0\.\.26/);
    store.close();
  });

  it('the 28th run shares the least-used slot; shown together, the later one is moved to a free slot', () => {
    const store = new Store(join(dir, 'many.sqlite'));
    for (let i = 0; i < 28; i++) addRun(store, `r${i}`, `run-${i}`, 1 + i);
    const slots = Array.from({ length: 28 }, (_, i) => runColourSlot(store, `r${i}`));
    expect(slots.slice(0, 27)).toEqual(Array.from({ length: 27 }, (_, i) => i));
    expect(slots[27]).toBe(0);
    const styles = runStyles([{ id: 'r0', colourSlot: 0 }, { id: 'r27', colourSlot: 0 }, { id: 'r1', colourSlot: 1 }]);
    expect(styles.get('r0')).toEqual({ ...runStyle(0), slot: 0 });
    expect(styles.get('r1')).toEqual({ ...runStyle(1), slot: 1 });
    expect(styles.get('r27')?.slot).toBe(2);
    store.close();
  });
});

describe('the engine and the exports', () => {
  it('RunSummary carries the slot; setRunColour changes it; exports draw each run in the view colour, unchanged when a run leaves the comparison', async () => {
    makeRun(join(dir, 'folders', 'alpha'), { checkpoints: 2, seed: 1 });
    makeRun(join(dir, 'folders', 'beta'), { checkpoints: 2, seed: 2 });
    const store = new Store(join(dir, 'engine.sqlite'));
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 1 });
    try {
      const opened = await engine.openPaths({ paths: [join(dir, 'folders', 'alpha'), join(dir, 'folders', 'beta')] });
      expect(opened.runs.map((r) => r.colourSlot).sort()).toEqual([0, 1]);
      const listed = (await engine.listRuns({})).runs;
      for (const r of opened.runs) expect(listed.find((x) => x.id === r.id)?.colourSlot).toBe(r.colourSlot);
      const beta = opened.runs.find((r) => r.name === 'beta')!;
      const changed = await engine.setRunColour({ runId: beta.id, colourSlot: 7 });
      expect(changed.run.colourSlot).toBe(7);
      expect((await engine.listRuns({})).runs.find((x) => x.id === beta.id)?.colourSlot).toBe(7);
      await expect(engine.setRunColour({ runId: 'nope', colourSlot: 1 })).rejects.toMatchObject({ code: 'not-found' });

      // Curves of three synthetic runs: each line's stroke is its run's colour as the views compute it.
      for (const [id, k] of [['x', 1], ['y', 2], ['z', 3]] as const) addRun(store, id, `cmp-${id}`, k);
      setRunColourSlot(store, 'y', 5);
      const summaries = (await engine.listRuns({})).runs;
      const viewStyles = runStyles(['x', 'y', 'z'].map((id) => ({ id, colourSlot: summaries.find((r) => r.id === id)?.colourSlot })));
      const req = { runId: 'x', format: 'svg', view: 'curves', metric: 'frobenius_norm', component: 'mlp.in', width: 600, height: 400 } as const;
      const three = strokes((await compareFigure(store, { ...req, compare: ['y', 'z'] })).toString('utf8'));
      for (const id of ['x', 'y', 'z']) expect(three, id).toContain(viewStyles.get(id)!.colour.toUpperCase());
      expect(viewStyles.get('y')!.colour).toBe(RUN_COLOURS[5]);
      // y leaves the comparison: x and z keep their colours, and y's is no longer drawn.
      const two = strokes((await compareFigure(store, { ...req, compare: ['z'] })).toString('utf8'));
      expect(two).toContain(viewStyles.get('x')!.colour.toUpperCase());
      expect(two).toContain(viewStyles.get('z')!.colour.toUpperCase());
      expect(two).not.toContain(RUN_COLOURS[5].toUpperCase());
    } finally {
      await engine.close();
      store.close();
    }
  });
});

describe('a colour chosen for a run that another process removes meanwhile', () => {
  // Two connections to one cache file, as the app and the CLI (or a second window) hold: the
  // app has looked the run up, the other process removes it, then the app's write arrives.
  it('stores nothing (no parameter row outlives its run) and says the run is gone', () => {
    const db = join(dir, 'race.sqlite');
    const app = new Store(db);
    const cli = new Store(db);
    try {
      addRun(app, 'r', 'raced', 1);
      expect(app.getRun('r')).not.toBeNull();
      expect(cli.removeRun('r')?.id).toBe('r');
      expect(setRunColourSlot(app, 'r', 4)).toBe(false);
      // The slot the app would assign on a read is not stored either.
      expect(runColourSlot(app, 'r')).toBeGreaterThanOrEqual(0);
      expect(app.getParam('r', 'colour_slot')).toBeNull();
      expect(cli.getParam('r', 'colour_slot')).toBeNull();
      // Opened again later, the run takes a fresh slot, not the one chosen for the removed run.
      addRun(cli, 'r', 'raced', 1);
      expect(storedColourSlot(cli, 'r')).toBeNull();
      expect(setRunColourSlot(cli, 'r', 6)).toBe(true);
      expect(storedColourSlot(app, 'r')).toBe(6);
    } finally {
      app.close();
      cli.close();
    }
  });

  it('in one engine, setRunColour and removeRun issued together end with the run removed and no slot stored', async () => {
    const store = new Store(join(dir, 'race-engine.sqlite'));
    const engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
    try {
      for (const order of ['colour-first', 'remove-first'] as const) {
        addRun(store, 'e', 'engine-race', 1);
        const colour = engine.setRunColour({ runId: 'e', colourSlot: 9 });
        const remove = engine.removeRun({ runId: 'e' });
        const [c, r] = order === 'colour-first' ? await Promise.allSettled([colour, remove]) : (await Promise.allSettled([remove, colour])).reverse();
        expect(r.status, order).toBe('fulfilled');
        if (c.status === 'rejected') expect(c.reason, order).toMatchObject({ code: 'not-found' });
        expect(store.getRun('e'), order).toBeNull();
        expect(store.getParam('e', 'colour_slot'), order).toBeNull();
      }
    } finally {
      await engine.close();
      store.close();
    }
  });
});
