// Why a run's model cannot be run at all (shared by the activations and gradients units):
// said once per run instead of failing every checkpoint.
import type { RunInfo } from '../../../common/domain';
import { modelProblem } from '../../architectures';
import { llamaForwardProblem } from '../../compute/forward/llama';
import { needsConfigAndTokenizer } from './types';

export function modelPrecondition(run: RunInfo): string | null {
  if (!run.config) return 'no config.json with the model dimensions';
  const family = modelProblem(run.family);
  if (family) return family;
  const files = needsConfigAndTokenizer(run);
  if (files) return files;
  // An unmodelled rope_scaling (yarn, longrope...) is said once for the run, not per checkpoint.
  return llamaForwardProblem(run.config);
}
