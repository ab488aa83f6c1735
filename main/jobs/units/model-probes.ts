// The `activations` unit's numbers that use the model's predictions (common/analyses/probes.ts):
// the logit lens scalars reported by the streamed forward (main/compute/forward/streamed.ts
// `lens`), each probe prediction's loss as a token_loss frame, and the induction score per query
// head from a second streamed run on the pinned probe (main/compute/forward/induction.ts), whose
// small sessions are built once per worker and reused for every checkpoint of the run.
import type { ModelConfig } from '../../../common/domain';
import { inductionTensor, TOKEN_LOSS_KIND, TOKEN_LOSS_TENSOR, type TokenLossFrame } from '../../../common/analyses/probes';
import { InductionRunner, inductionProblem } from '../../compute/forward/induction';
import type { WeightReader } from '../../compute/forward/streamed';
import type { ArrayResult, ScalarResult, UnitResults } from '../../store/store';
import { collectGarbage } from './large-tensor';
import type { UnitTask } from './types';

type Tensors = NonNullable<UnitResults['tensors']>;

/** Logit lens of resid.{i}: stored under the residual stream's own tensor name. */
export function lensScalars(scalars: ScalarResult[], resid: number, loss: number, top1: number): void {
  const finite = Number.isFinite(loss);
  scalars.push({ metric: 'lens_loss', tensor: `resid.${resid}`, value: finite ? loss : null }, { metric: 'lens_top1', tensor: `resid.${resid}`, value: finite ? top1 : null });
}

export function tokenLossArray(batch: number, seqLen: number, tokens: BigInt64Array, loss: Float64Array): ArrayResult {
  const data: TokenLossFrame = { batch, seqLen, ids: Array.from(tokens, Number), loss: Float32Array.from(loss) };
  return { kind: TOKEN_LOSS_KIND, tensor: TOKEN_LOSS_TENSOR, data };
}

let cached: { key: string; runner: InductionRunner } | null = null;

/** Induction score per (block, query head); a model that cannot run the probe gives a warning instead. */
export async function inductionResults(task: UnitTask, config: ModelConfig, reader: WeightReader): Promise<{ scalars: ScalarResult[]; tensors: Tensors; warnings: string[]; seconds: number }> {
  const problem = inductionProblem(config);
  if (problem) return { scalars: [], tensors: [], warnings: [`induction score not computed: ${problem}`], seconds: 0 };
  const key = JSON.stringify({ run: task.run.id, config, provider: task.provider, threads: task.intraOpThreads });
  if (cached?.key !== key) {
    await cached?.runner.release();
    cached = null;
    const runner = new InductionRunner(config, { provider: task.provider, threads: task.intraOpThreads, collect: collectGarbage });
    await runner.prepare();
    cached = { key, runner };
  }
  const { scores, seconds } = await cached.runner.run(reader);
  const scalars: ScalarResult[] = [];
  const tensors: Tensors = [];
  scores.forEach((perHead, block) => perHead.forEach((v, h) => {
    const tensor = inductionTensor(block, h);
    scalars.push({ metric: 'induction_score', tensor, value: Number.isFinite(v) ? v : null });
    tensors.push({ tensor, role: { block, component: 'attn.head', kind: 'other' } });
  }));
  return { scalars, tensors, warnings: [], seconds };
}
