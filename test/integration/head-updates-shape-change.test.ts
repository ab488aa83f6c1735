// Bad input for the head-updates analysis (main/jobs/units/head-updates.ts): an attention weight
// whose shape changes between two checkpoints (a resized or re-saved model in the middle of a
// series). The block's heads are skipped at that checkpoint with a warning naming the tensor and
// both shapes; the job still ends 'done', the other block and the other interval keep their
// values, and those values are the naive slice-and-norm of the change (GPT-NeoX layout of
// /work/shared/FORMATS.md: query_key_value [3d, d] grouped per head, dense [d, d] by columns).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../main/store/store';
import { Engine } from '../../main/api/engine';
import { safetensorsBytes, type TinyTensor } from '../unit/readers/make-big-hub';

const d = 8, H = 4, hd = 2, BLOCKS = 2;
const STEPS = [0, 10, 30];
const qkv = (b: number): string => `gpt_neox.layers.${b}.attention.query_key_value.weight`;
const dense = (b: number): string => `gpt_neox.layers.${b}.attention.dense.weight`;
const CONFIG = { model_type: 'gpt_neox', hidden_size: d, num_attention_heads: H, num_hidden_layers: BLOCKS, vocab_size: 32, intermediate_size: 4 * d };

function f32(values: Float32Array, shape: number[]): TinyTensor {
  return { dtype: 'F32', shape, data: new Uint8Array(values.buffer.slice(0)) };
}

/** Deterministic values, a different series per tensor and step. */
function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.04);
}

/** Shapes of block b at step index c: block 1's dense weight gains two columns at the last step. */
function shapes(b: number, c: number): Record<string, number[]> {
  return { [qkv(b)]: [3 * d, d], [dense(b)]: b === 1 && c === 2 ? [d, d + 2] : [d, d] };
}

let dir: string;
let store: Store;
let engine: Engine;
let runId: string;
let warnings: string[];
const written: Array<Map<string, Float32Array>> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlas-head-shape-'));
  store = new Store(join(dir, 'atlas.sqlite'));
  engine = new Engine({ store, carrier: 'http', demoRoots: [], scanHubCache: false, defaultThreads: 0 });
  const root = join(dir, 'run');
  STEPS.forEach((step, c) => {
    const folder = join(root, `step_${step}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'config.json'), JSON.stringify(CONFIG));
    const file: Record<string, TinyTensor> = {};
    const kept = new Map<string, Float32Array>();
    for (let b = 0; b < BLOCKS; b++) {
      for (const [name, shape] of Object.entries(shapes(b, c))) {
        const v = values(shape[0] * shape[1], 17 + 101 * c + 7 * b + name.length);
        kept.set(name, v);
        file[name] = f32(v, shape);
      }
    }
    written.push(kept);
    writeFileSync(join(folder, 'model.safetensors'), safetensorsBytes(file));
  });
  const opened = await engine.openPaths({ paths: [root] });
  expect(opened.errors).toEqual([]);
  runId = opened.runs[0].id;
  const { jobId } = await engine.startAnalysis({ runId, analyses: ['head-updates'] });
  const job = await engine.jobs.wait(jobId);
  expect(job.state, JSON.stringify(job)).toBe('done');
  warnings = job.warnings;
}, 60_000);
afterAll(async () => {
  await engine.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Naive size of head h's query slice change of block b between step indices c - 1 and c. */
function naiveQueryChange(b: number, h: number, c: number): number {
  let s = 0;
  for (let r = 0; r < hd; r++) {
    for (let col = 0; col < d; col++) {
      const i = (3 * h * hd + r) * d + col;
      s += (written[c].get(qkv(b))![i] - written[c - 1].get(qkv(b))![i]) ** 2;
    }
  }
  return Math.sqrt(s);
}

describe('head updates when an attention weight changes shape between checkpoints', () => {
  it('warns once, naming the checkpoint, the tensor and both shapes, and the job ends done', () => {
    const hits = warnings.filter((w) => w.includes(dense(1)));
    expect(hits).toHaveLength(1);
    expect(hits[0]).toContain('step_30');
    expect(hits[0]).toContain(`[${d}, ${d + 2}]`);
    expect(hits[0]).toContain(`[${d}, ${d}]`);
    expect(hits[0]).toMatch(/block 1: .* its heads are skipped/);
  });

  it("skips only that block at that checkpoint; every other value is the naive slice-and-norm", async () => {
    const grid = await engine.scalarGrid({ runId, metric: 'head_dist_to_prev' });
    expect(grid.steps).toEqual(STEPS);
    for (let b = 0; b < BLOCKS; b++) {
      for (let h = 0; h < H; h++) {
        const row = grid.values[grid.tensors.findIndex((t) => t.tensor === `attn.${b}.head.${h}.q`)];
        expect(row, `block ${b} head ${h}`).toBeDefined();
        expect(row[0]).toBeNull();
        for (let c = 1; c < STEPS.length; c++) {
          if (b === 1 && c === 2) {
            expect(row[c], `block 1 head ${h} at step ${STEPS[c]}`).toBeNull();
            continue;
          }
          const naive = naiveQueryChange(b, h, c);
          expect(naive).toBeGreaterThan(0);
          expect(Math.abs(row[c]! - naive)).toBeLessThan(1e-6 * naive);
        }
      }
    }
  });
});
