// Issue 18: the weight histogram's Export menu offers the tensor's initialisation distribution
// (API initDist, the request schema of `checkpoint-atlas init-dist`); the download is the engine's
// file byte for byte, for the tensor and checkpoint on screen, a safetensors file of float64
// `probabilities` (0..1) and ascending `quantiles`.
import { downloaded, expect, openHistogramExport, test } from './fixtures';

function readSafetensors(bytes: Buffer): { header: Record<string, any>; tensor(name: string): Float64Array } {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  return {
    header,
    tensor: (name) => {
      const [a, b] = header[name].data_offsets as [number, number];
      const slice = bytes.subarray(8 + n + a, 8 + n + b);
      return new Float64Array(slice.buffer.slice(slice.byteOffset, slice.byteOffset + slice.byteLength));
    },
  };
}

test('issue 18: init distribution from the Export menu', async ({ page, srv, apiOk, analyse, demo, shot }) => {
  await analyse(demo.id, ['weights']);
  const { tensor, exportBox, button } = await openHistogramExport(page, srv, demo);
  await button.click();
  const menu = exportBox.getByRole('menu');
  const item = menu.getByRole('menuitem', { name: /^Init distribution/ });
  await expect(item).toBeVisible();
  await shot(page, 'export-init-dist', { around: menu, pad: 160 });
  const downloading = page.waitForEvent('download', { timeout: 60_000 });
  await item.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/\.init-dist\.safetensors$/);
  const bytes = await downloaded(download);
  const file = readSafetensors(bytes);
  const meta = file.header.__metadata__ as Record<string, string>;
  expect(meta.tensor).toBe(tensor);
  expect(meta.run_id).toBe(demo.id);
  // The engine's file for the same request, byte for byte.
  const engine = await apiOk('initDist', { run: demo.id, tensor, step: Number(meta.step) });
  expect(Buffer.from(engine.base64, 'base64').equals(bytes)).toBe(true);
  const p = file.tensor('probabilities');
  const q = file.tensor('quantiles');
  expect(p.length).toBe(2049);
  expect([p[0], p[p.length - 1]]).toEqual([0, 1]);
  for (let i = 1; i < q.length; i++) expect(q[i]).toBeGreaterThanOrEqual(q[i - 1]);
  await expect(exportBox.getByTestId('export-message')).toContainText('saved');
});
