// The induction score's forward pass (DOMAIN.md, metric `induction_score`): the block-streamed
// run (streamed.ts) on the pinned repeated random-token probe (main/metrics/induction.ts), with
// each block graph also returning its attention probabilities and no head (no logits are needed),
// reduced per block to one score per query head as soon as the block has run.
import type { ModelConfig } from '../../../common/domain';
import { INDUCTION_BATCH, INDUCTION_HALF, INDUCTION_LEN, inductionProbeIds, inductionScores } from '../../metrics/induction';
import type { ProviderName } from '../providers';
import { StreamedModel, type StreamedOptions, type WeightReader } from './streamed';
import { familyParts } from './streamed-graphs';

/** Why this model cannot run the 2T-position induction probe, or null. */
export function inductionProblem(config: ModelConfig): string | null {
  if (familyParts(config).positions && config.maxPositions < INDUCTION_LEN) {
    return `the induction probe needs ${INDUCTION_LEN} positions and the model has ${config.maxPositions} learned positions`;
  }
  return null;
}

export class InductionRunner {
  private readonly model: StreamedModel;
  private readonly ids: BigInt64Array;

  constructor(readonly config: ModelConfig, opts: Pick<StreamedOptions, 'provider' | 'threads' | 'collect' | 'memArena'> = {}) {
    const problem = inductionProblem(config);
    if (problem) throw new Error(problem);
    this.ids = inductionProbeIds(config.vocabSize);
    this.model = new StreamedModel(config, { ...opts, batch: INDUCTION_BATCH, seqLen: INDUCTION_LEN, gradients: false, resid: false, mlp: false, attention: true, head: false });
  }

  prepare(): Promise<ProviderName> {
    return this.model.prepare();
  }

  release(): Promise<void> {
    return this.model.release();
  }

  /** Scores per block: [heads] each; and the seconds the run took. */
  async run(reader: WeightReader): Promise<{ scores: Float64Array[]; seconds: number }> {
    const scores: Float64Array[] = [];
    const r = await this.model.run(reader, this.ids, {
      attention: (block, probs, dims) => {
        scores[block] = inductionScores(probs, dims[0], dims[1], INDUCTION_HALF);
      },
    });
    return { scores, seconds: r.timings.total };
  }
}
