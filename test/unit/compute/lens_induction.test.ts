// The logit lens, per-token loss and induction score of the block-streamed run against float64
// PyTorch (tools/make_lens_induction_fixtures.py) on GPT-NeoX, GPT-2 and Llama with grouped-query
// attention: lens loss per block and per-token loss within 1e-5 nats (the tolerance of the probe
// loss in forward_fixtures.test.ts), lens top-1 exactly, induction score per query head within
// 1e-6 (a mean of probabilities); the vocabulary cut in uneven row pieces. Plus the probe's ids
// and the score's definition on constructed attention (closed forms).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModelConfig } from '../../../main/architectures/index';
import { InductionRunner, inductionProblem } from '../../../main/compute/forward/induction';
import { readerFromSource, StreamedModel, type StreamResult } from '../../../main/compute/forward/streamed';
import { openSafetensors } from '../../../main/formats/safetensors';
import { INDUCTION_BATCH, INDUCTION_HALF, inductionProbeIds, inductionScores } from '../../../main/metrics/induction';
import type { ModelConfig } from '../../../common/domain';
import { FIXTURE_DIR } from '../../fixtures/forward/helpers';

const LENS_DIR = join(FIXTURE_DIR, '..', 'lens');

interface Expected {
  tokens: number[][];
  loss: number;
  top1_accuracy: number;
  lens_loss: number[];
  lens_top1: number[];
  token_loss: number[];
  induction_ids: number[][];
  induction: number[][];
}

/** Largest errors seen, printed once (the report quotes them). */
const worst = { lensLoss: 0, tokenLoss: 0, induction: 0 };

describe.each(['neox', 'gpt2', 'llama_gqa'])('logit lens and induction on %s', (name) => {
  let config: ModelConfig;
  let ex: Expected;
  let result: StreamResult;
  const lens = new Map<number, { loss: number; top1: number }>();
  let induction: Float64Array[];
  beforeAll(async () => {
    const folder = join(LENS_DIR, name);
    config = readModelConfig(JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')));
    ex = JSON.parse(readFileSync(join(folder, 'expected.json'), 'utf8')) as Expected;
    const src = await openSafetensors(join(folder, 'model.safetensors'));
    const reader = readerFromSource(src, config.family);
    const B = ex.tokens.length, L = ex.tokens[0].length;
    const model = new StreamedModel(config, { batch: B, seqLen: L, gradients: false, lens: true, provider: 'cpu', logitsPieceElements: B * L * Math.ceil(config.vocabSize / 3) });
    result = await model.run(reader, ex.tokens.flat(), { lens: (i, loss, top1) => lens.set(i, { loss, top1 }) });
    await model.release();
    const runner = new InductionRunner(config, { provider: 'cpu' });
    induction = (await runner.run(reader)).scores;
    await runner.release();
    await src.close();
  });

  it('scores every residual stream through the final norm and unembedding like PyTorch', () => {
    expect([...lens.keys()].sort()).toEqual(ex.lens_loss.map((_, i) => i));
    ex.lens_loss.forEach((want, i) => {
      const err = Math.abs(lens.get(i)!.loss - want);
      worst.lensLoss = Math.max(worst.lensLoss, err);
      expect(err, `resid.${i}`).toBeLessThan(1e-5);
      expect(lens.get(i)!.top1, `resid.${i}`).toBe(ex.lens_top1[i]);
    });
    // The last block's lens is the probe's loss (DOMAIN.md).
    expect(lens.get(config.layers)!.loss).toBe(result.loss);
    expect(Math.abs(result.loss - ex.loss)).toBeLessThan(1e-5);
  });

  it('gives each prediction its loss', () => {
    expect(result.tokenLoss.length).toBe(ex.token_loss.length);
    ex.token_loss.forEach((want, k) => {
      const err = Math.abs(result.tokenLoss[k] - want);
      worst.tokenLoss = Math.max(worst.tokenLoss, err);
      expect(err, `prediction ${k}`).toBeLessThan(1e-5);
    });
  });

  it('builds the pinned probe and scores every query head like PyTorch', () => {
    expect(Array.from(inductionProbeIds(config.vocabSize), Number)).toEqual(ex.induction_ids.flat());
    expect(induction.length).toBe(config.layers);
    ex.induction.forEach((row, b) => {
      expect(induction[b].length, `block ${b}`).toBe(config.heads);
      row.forEach((want, h) => {
        const err = Math.abs(induction[b][h] - want);
        worst.induction = Math.max(worst.induction, err);
        expect(err, `block ${b} head ${h}`).toBeLessThan(1e-6);
      });
    });
  });
});

describe('induction score definition', () => {
  it('is 1 for heads that attend to t - T + 1, 1/(t+1) on average for uniform causal attention, 0 elsewhere', () => {
    const B = 2, H = 3, T = 4, len = 2 * T;
    const probs = new Float64Array(B * H * len * len);
    for (let b = 0; b < B; b++) for (let t = 0; t < len; t++) {
      const at = (h: number, k: number) => ((b * H + h) * len + t) * len + k;
      probs[at(0, t >= T ? t - T + 1 : 0)] = 1; // induction head
      for (let k = 0; k <= t; k++) probs[at(1, k)] = 1 / (t + 1); // uniform causal
      probs[at(2, t)] = 1; // attends to itself
    }
    const s = inductionScores(probs, B, H, T);
    let uniform = 0;
    for (let t = T; t < len; t++) uniform += 1 / (t + 1);
    expect(s[0]).toBe(1);
    expect(s[1]).toBeCloseTo(uniform / T, 15);
    expect(s[2]).toBe(0);
  });

  it('names the formula and refuses models without 128 learned positions', () => {
    const ids = inductionProbeIds(512);
    expect(ids.length).toBe(INDUCTION_BATCH * 2 * INDUCTION_HALF);
    expect(Number(ids[0])).toBe(128 + (13 % 256));
    expect(Number(ids[INDUCTION_HALF])).toBe(Number(ids[0]));
    expect(Number(ids[3 * 128 + 63])).toBe(128 + ((7919 * (64 * 3 + 63) + 13) % 256));
    const gpt2 = readModelConfig(JSON.parse(readFileSync(join(FIXTURE_DIR, 'gpt2', 'config.json'), 'utf8')));
    expect(inductionProblem(gpt2)).toMatch(/128 positions .* 16 learned positions/);
    expect(() => inductionScores(new Float64Array(10), 1, 1, 2)).toThrow(/expected 1 x 1 x 4 x 4/);
  });

  it('reports the largest errors', () => {
    process.stdout.write(`lens/induction max errors: ${JSON.stringify(worst)}\n`);
  });
});
