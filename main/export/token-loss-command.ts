// `checkpoint-atlas token-loss`: the per-token loss change between two checkpoints (the app's
// Lens & induction tab, API tokenLossChange) as CSV, from the cache (main/store/token-loss.ts).
// One row per listed prediction (kind `token`) and per sequence (kind `sequence`):
//   run,from_step,to_step,kind,sequence,position,token_id,token,context,loss_from,loss_to,delta
// (position: of the predicted token in its sequence; context: up to 8 tokens before it; for a
// sequence row, token is empty and context holds the sequence's text).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AtlasError, TOKEN_LOSS_TOP_DEFAULT, TOKEN_LOSS_TOP_MAX, type TokenLossChangeResult } from '../../common/api';
import { Store, defaultDbPath } from '../store/store';
import { tokenLossChangeFor } from '../store/token-loss';
import { csvField } from './csv';
import { requireRun } from './lookup';
import type { Command } from 'commander';
import { escapeTerminal } from '../../common/terminal';

export const TOKEN_LOSS_CSV_HEADER = 'run,from_step,to_step,kind,sequence,position,token_id,token,context,loss_from,loss_to,delta';

export function tokenLossCsv(r: TokenLossChangeResult): string {
  const row = (fields: Array<string | number | null>) => fields.map(csvField).join(',');
  const lines = [TOKEN_LOSS_CSV_HEADER];
  for (const t of r.tokens) lines.push(row([r.runId, r.from.step, r.to.step, 'token', t.sequence, t.position, t.token, t.text, t.context, t.from, t.to, t.delta]));
  for (const s of r.sequences) lines.push(row([r.runId, r.from.step, r.to.step, 'sequence', s.sequence, null, null, null, s.text, s.from, s.to, s.delta]));
  return lines.join('\n') + '\n';
}

export interface TokenLossCommandOptions {
  db?: string;
  run: string;
  from: string;
  to: string;
  top?: string;
  out?: string;
}

function step(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new AtlasError('bad-request', `--${name} must be a checkpoint's step (a non-negative integer), got "${v}"`);
  return n;
}

/** Writes the CSV to --out, or returns it for stdout. */
export async function tokenLossCommand(opts: TokenLossCommandOptions): Promise<{ csv: string; path: string | null; rows: number }> {
  const top = opts.top === undefined ? TOKEN_LOSS_TOP_DEFAULT : Number(opts.top);
  if (!Number.isInteger(top) || top < 1 || top > TOKEN_LOSS_TOP_MAX) throw new AtlasError('bad-request', `--top must be an integer 1..${TOKEN_LOSS_TOP_MAX}, got "${opts.top}"`);
  const store = new Store(resolve(opts.db ?? defaultDbPath()), { readonly: true });
  try {
    const run = requireRun(store, opts.run);
    const result = await tokenLossChangeFor(store, run.info, { runId: run.id, from: step('from', opts.from), to: step('to', opts.to), top });
    const csv = tokenLossCsv(result);
    const path = opts.out ? resolve(opts.out) : null;
    if (path) writeFileSync(path, csv);
    return { csv, path, rows: result.tokens.length + result.sequences.length };
  } finally {
    store.close();
  }
}

/** Registers the command on the CLI (main/cli.ts). */
export function addTokenLossCommand(program: Command): void {
  program
    .command('token-loss')
    .description('Per-token loss change between two checkpoints (from the activations analysis): the predictions and sequences whose probe loss changed most, as CSV (docs/ANALYSES.md)')
    .option('--db <file>', 'cache database (default: the per-user data folder)')
    .requiredOption('--run <id>', 'run id or name')
    .requiredOption('--from <step>', 'earlier checkpoint step')
    .requiredOption('--to <step>', 'later checkpoint step')
    .option('--top <n>', 'predictions and sequences listed', String(TOKEN_LOSS_TOP_DEFAULT))
    .option('--out <file>', 'write the CSV here (default: stdout)')
    .action(async (opts: TokenLossCommandOptions) => {
      const r = await tokenLossCommand(opts);
      if (r.path) process.stdout.write(`wrote ${escapeTerminal(r.path)} (${r.rows} rows)\n`);
      else process.stdout.write(r.csv);
    });
}
