// The safetensors conformance table (safetensors-cases.ts) run through the reader on real files:
// every row's verdict, the rule a refusal names (with the file), and for accepted files every
// tensor listed and read. The reference's verdicts in the table were measured on the same bytes
// with tools/safetensors_reference_verdicts.py (set SAFETENSORS_CASES_OUT to dump the cases).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsRuleError, openSafetensors } from '../../../main/formats/safetensors';
import { referenceVerdict } from '../../fuzz/safetensors-reference';
import { CONFORMANCE_CASES, type ReferenceVerdict } from './safetensors-cases';

const dir = mkdtempSync(join(tmpdir(), 'atlas-st-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

if (process.env.SAFETENSORS_CASES_OUT) {
  writeFileSync(process.env.SAFETENSORS_CASES_OUT, JSON.stringify(CONFORMANCE_CASES.map((c) => ({ name: c.name, reference: c.reference, hex: Buffer.from(c.bytes).toString('hex') }))));
}

/** The reference's error kind each of this reader's rules corresponds to. */
const REFERENCE_KIND: Record<string, ReferenceVerdict> = {
  'file-too-small': 'HeaderTooSmall', 'header-too-large': 'HeaderTooLarge', 'header-length': 'InvalidHeaderLength', utf8: 'InvalidHeader',
  offsets: 'InvalidOffset', overflow: 'ValidationOverflow', misaligned: 'MisalignedSlice', 'size-mismatch': 'TensorInvalidInfo', coverage: 'MetadataIncompleteBuffer',
};
const kindOfRule = (rule: string): ReferenceVerdict => REFERENCE_KIND[rule] ?? 'InvalidHeaderDeserialization';

describe('safetensors conformance table', () => {
  it('has unique names, and differs from the reference only in rows marked deliberate', () => {
    expect(new Set(CONFORMANCE_CASES.map((c) => c.name)).size).toBe(CONFORMANCE_CASES.length);
    for (const c of CONFORMANCE_CASES) {
      if (c.deliberate) {
        expect(c.reference, c.name).toBe('accept');
        expect(c.ours, c.name).not.toBe('accept');
      } else if (c.ours === 'accept') {
        expect(c.reference, c.name).toBe('accept');
      } else {
        expect(kindOfRule(c.ours), c.name).toBe(c.reference);
      }
    }
    const deliberate = CONFORMANCE_CASES.filter((c) => c.deliberate).length;
    console.log(`safetensors conformance: ${CONFORMANCE_CASES.length} cases, ${CONFORMANCE_CASES.length - deliberate} agree with the reference, ${deliberate} deliberate differences`);
  });

  it("the fuzzer's oracle (test/fuzz/safetensors-reference.ts) gives the reference's verdict on every row", () => {
    const wrong = CONFORMANCE_CASES.filter((c) => referenceVerdict(c.bytes).verdict !== c.reference).map((c) => `${c.name}: ${referenceVerdict(c.bytes).verdict}`);
    expect(wrong).toEqual([]);
  });

  CONFORMANCE_CASES.forEach((c, i) => {
    it(`${c.name}: ${c.ours === 'accept' ? 'accepted' : `refused (${c.ours})`}, reference ${c.reference}`, async () => {
      const file = join(dir, `case-${i}.safetensors`);
      writeFileSync(file, c.bytes);
      const result = await openSafetensors(file).then((src) => ({ src }), (err: unknown) => ({ err }));
      if (c.ours !== 'accept') {
        expect('err' in result, 'refused').toBe(true);
        const err = (result as { err: unknown }).err;
        expect(err).toBeInstanceOf(SafetensorsRuleError);
        expect((err as SafetensorsRuleError).rule).toBe(c.ours);
        expect((err as Error).message.startsWith(`${file}: `)).toBe(true);
        expect((err as Error).message).toContain(`(safetensors rule: ${c.ours})`);
        return;
      }
      if ('err' in result) throw result.err;
      const src = result.src;
      try {
        expect(src.list().map((e) => [e.name, e.dtype, e.shape])).toEqual(c.tensors);
        for (const e of src.list()) {
          const values = await src.read(e.name);
          const numel = e.shape.reduce((a, b) => a * b, 1);
          expect(values.length).toBe(numel);
          // Accepted rows hold float32 1, 2, 3, ... over the whole data buffer.
          if (e.dtype === 'F32') expect(Array.from(values)).toEqual(Array.from({ length: numel }, (_, k) => (e.byteOffset - src.list()[0].byteOffset) / 4 + k + 1));
        }
      } finally {
        await src.close();
      }
    });
  });
});
