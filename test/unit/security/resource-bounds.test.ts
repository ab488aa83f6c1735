// Issue 14, finding 6: resource amplification under the documented caps. `num_hidden_layers: 1e9`
// made loops over configured layers never finish; a 10M-token vocabulary stalled svd-directions;
// expanded (zero-stride) views cost seconds each with no bound on their number; a header of
// millions of tiny tensors became a multi-GB cache. Each bound is hit here by an input made here,
// and says so by name.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, readModelConfig } from '../../../main/architectures';
import { openTorchZip } from '../../../main/formats/torch-zip';
import { FormatError } from '../../../main/formats/types';
import { MAX_TENSORS_PER_CHECKPOINT, withSources } from '../../../main/jobs/units/common';
import { scanPaths } from '../../../main/layouts/scan';
import { binunicode, EMPTY_DICT, SETITEM, STOP, tensorOps, writeTorchArchive } from './hostile-builders';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'atlas-bounds-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const llama = { model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: 32, hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 2, intermediate_size: 16, max_position_embeddings: 64, rms_norm_eps: 1e-6 };

function safetensors(tensors: number): Uint8Array {
  const header: Record<string, unknown> = {};
  for (let i = 0; i < tensors; i++) header[`t${i}`] = { dtype: 'F32', shape: [1], data_offsets: [4 * i, 4 * i + 4] };
  const json = Buffer.from(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  const out = Buffer.alloc(8 + json.length + pad + 4 * tensors, 0x20);
  out.writeBigUInt64LE(BigInt(json.length + pad), 0);
  json.copy(out, 8);
  out.fill(0, 8 + json.length + pad);
  return out;
}

describe('config.json sizes are checked before any loop uses them', () => {
  it('num_hidden_layers 1e9 is refused by name (Llama, and Qwen2 whose sliding-window list looped over it)', () => {
    expect(() => readModelConfig({ ...llama, num_hidden_layers: 1e9 })).toThrow(ConfigError);
    expect(() => readModelConfig({ ...llama, num_hidden_layers: 1e9 })).toThrow(/num_hidden_layers is 1000000000, beyond any real model \(limit 1024\)/);
    const qwen = { ...llama, model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], use_sliding_window: true, sliding_window: 4, num_hidden_layers: 1e9 };
    expect(() => readModelConfig(qwen)).toThrow(/num_hidden_layers is 1000000000/);
  });
  it('a 10M-token vocabulary is refused; real sizes pass', () => {
    expect(() => readModelConfig({ ...llama, vocab_size: 10_000_000 })).toThrow(/vocab_size is 10000000, beyond any real model/);
    expect(readModelConfig({ ...llama, vocab_size: 256_000, num_hidden_layers: 126 }).layers).toBe(126);
  });
  it('the scan reports it as a config.json warning and the run has no config', async () => {
    const f = join(dir, 'layers-1e9');
    mkdirSync(f);
    writeFileSync(join(f, 'config.json'), JSON.stringify({ ...llama, num_hidden_layers: 1e9 }));
    writeFileSync(join(f, 'model.safetensors'), safetensors(2));
    const { runs } = await scanPaths([f]);
    expect(runs[0].config).toBeNull();
    expect(runs[0].warnings.map((w) => w.message).join()).toMatch(/config\.json: num_hidden_layers is 1000000000, beyond any real model/);
  });
});

describe('expanded views', () => {
  it('many views of 2^26 elements over one float are refused by their total', async () => {
    const ops = [0x80, 2, EMPTY_DICT];
    for (let i = 0; i < 5; i++) ops.push(...binunicode(`e${i}`), ...tensorOps([1 << 20, 64], [0, 0]), SETITEM);
    ops.push(STOP);
    const file = writeTorchArchive(join(dir, 'expanded.bin'), Uint8Array.from(ops));
    const err = await openTorchZip(file).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).problem).toMatch(/expanded \(zero-stride\) views total more than 268435456 elements/);
  });
  it('four of them still open', async () => {
    const ops = [0x80, 2, EMPTY_DICT];
    for (let i = 0; i < 4; i++) ops.push(...binunicode(`e${i}`), ...tensorOps([1 << 20, 64], [0, 0]), SETITEM);
    ops.push(STOP);
    const src = await openTorchZip(writeTorchArchive(join(dir, 'expanded4.bin'), Uint8Array.from(ops)));
    expect(src.list()).toHaveLength(4);
    await src.close();
  });
});

describe('tensors per checkpoint', () => {
  it(`a checkpoint of more than ${MAX_TENSORS_PER_CHECKPOINT} tiny tensors is not analysed, and says why`, async () => {
    const f = join(dir, 'many');
    mkdirSync(f);
    writeFileSync(join(f, 'model.safetensors'), safetensors(MAX_TENSORS_PER_CHECKPOINT + 1));
    let ran = false;
    const err = await withSources([f], async () => { ran = true; }).then(() => null, (e: unknown) => e);
    expect(ran).toBe(false);
    expect((err as Error).message).toMatch(new RegExp(`many: ${MAX_TENSORS_PER_CHECKPOINT + 1} tensors; checkpoints of more than ${MAX_TENSORS_PER_CHECKPOINT} tensors are not analysed`));
  }, 120_000);
});
