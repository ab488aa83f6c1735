// Tokens seen per checkpoint: read exactly from each Trainer checkpoint's trainer_state.json
// (`num_input_tokens_seen`), else from the log at the checkpoint's step, else null; the demo's
// training_log.json `tokens_seen`; a user's tokens per step fills only what was not read.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanPaths } from '../../../main/layouts/scan';
import { tokensByStep, tokensSeenFromState, withTokensPerStep } from '../../../main/layouts/tokens';
import { FIXTURES } from './expected';

const tmp = mkdtempSync(join(tmpdir(), 'atlas-tokens-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function setState(file: string, patch: (s: Record<string, unknown>) => void): void {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  patch(s);
  writeFileSync(file, JSON.stringify(s));
}

describe('tokens seen', () => {
  it('Trainer: each checkpoint its own num_input_tokens_seen, else the log at its step; scan --json carries tokens', async () => {
    const run = join(tmp, 'trainer');
    cpSync(join(FIXTURES, 'layouts', 'trainer', 'my-run'), run, { recursive: true });
    // Odd counts (padding-aware counting is not step x batch): they must come back exactly.
    setState(join(run, 'checkpoint-10', 'trainer_state.json'), (s) => { s.num_input_tokens_seen = 40_961; });
    setState(join(run, 'checkpoint-30', 'trainer_state.json'), (s) => {
      s.num_input_tokens_seen = 122_887;
      s.log_history = [...(s.log_history as unknown[]), { step: 20, loss: 1.9, num_input_tokens_seen: 81_903 }];
    });
    setState(join(run, 'trainer_state.json'), (s) => {
      s.num_input_tokens_seen = 122_887;
      s.log_history = [...(s.log_history as unknown[]), { step: 20, loss: 1.9, num_input_tokens_seen: 81_903 }];
    });
    const scanned = (await scanPaths([run])).runs[0];
    expect(scanned.checkpoints.map((c) => [c.id, c.tokens])).toEqual([
      ['checkpoint-10', 40_961], ['checkpoint-20', 81_903], ['checkpoint-30', 122_887], ['final', 122_887],
    ]);
    // What `scan --json` prints: every checkpoint has the field, integer or null.
    const json = JSON.parse(JSON.stringify(scanned)) as { checkpoints: { tokens: unknown }[] };
    expect(json.checkpoints.every((c) => Number.isInteger(c.tokens))).toBe(true);
  });

  it('step folders without any count: tokens null, then step x tokens per step when the user gives it', async () => {
    const b = (await scanPaths([join(FIXTURES, 'layouts', 'steps-b')])).runs[0];
    expect(b.checkpoints.map((c) => c.tokens)).toEqual([null, null, null, null, null]);
    expect(withTokensPerStep(b.checkpoints, 2048).map((c) => c.tokens)).toEqual([500, 1000, 1500, 2000, 2500].map((s) => s * 2048));
  });

  it('the demo: training_log.json tokens_seen (batch 16 x 128 = 2048 tokens per step)', async () => {
    const demo = (await scanPaths([join(__dirname, '..', '..', '..', 'resources', 'demo', 'hub', 'models--atlas--atlas-demo-tiny')])).runs[0];
    expect(demo.checkpoints.every((c) => c.tokens === c.step! * 2048)).toBe(true);
    expect(demo.checkpoints[demo.checkpoints.length - 1].tokens).toBe(5_324_800);
  });

  it('ignores counts that are not non-negative integers', () => {
    expect(tokensSeenFromState({ num_input_tokens_seen: 1.5 })).toBeNull();
    expect(tokensSeenFromState({ num_input_tokens_seen: -3 })).toBeNull();
    expect(tokensSeenFromState([1])).toBeNull();
    expect([...tokensByStep({ log_history: [{ step: 1, num_input_tokens_seen: '7' }, { step: 2, tokens_seen: 9 }] })]).toEqual([[2, 9]]);
  });
});
