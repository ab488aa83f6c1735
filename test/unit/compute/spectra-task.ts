// Test helper (not a test): the spectra unit run on one checkpoint folder (model.safetensors of a
// GPT-NeoX-named model, no config), with one onnxruntime thread, as a sweep's worker would run it,
// returning the unit's spectra by tensor and its warnings.
import { spectraUnit } from '../../../main/jobs/units/spectra';
import type { UnitTask } from '../../../main/jobs/units/types';

export async function runSpectraUnit(folder: string, dtype: 'F32' | 'F16'): Promise<{ spectrum: (tensor: string) => Float64Array | undefined; warnings: unknown }> {
  const checkpoint = { id: 'step0', label: 'step 0', step: 0, folder, weightFiles: ['model.safetensors'], format: 'safetensors' as const, dtype };
  const task = {
    unit: 'spectra',
    run: { id: 'r', family: 'gpt_neox', config: null, tokenizerPath: null },
    checkpoint,
    init: checkpoint,
    prev: null,
    final: checkpoint,
    provider: 'cpu',
    intraOpThreads: 1,
  } as unknown as UnitTask;
  const results = await spectraUnit(task, () => {});
  return {
    spectrum: (name) => (results.arrays.find((a) => a.tensor === name)?.data as { singular_values: Float64Array } | undefined)?.singular_values,
    warnings: results.info?.warnings,
  };
}
