// The model analyses as they ran before the block-streamed path (issue 16): one whole-model ONNX
// graph with every weight as an input (main/compute/forward/index.ts), per checkpoint. Bundled and
// run by bench/model-memory.mjs as the "before" column of its peak-memory table.
// Usage (bundled): node whole.bundle.mjs RUN_DIR activations|gradients THREADS
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildForward, lookupFromSource, runForward } from '../main/compute/forward/index';
import { seededTokens } from '../main/compute/forward/model-check';
import { createSession } from '../main/compute/providers';
import { readModelConfig } from '../main/architectures/index';
import { openCheckpoint } from '../main/formats/index';
import { histogram } from '../main/metrics/histogram';
import { GRADIENT_EDGES } from '../main/metrics/log-histogram';

const [run, analysis, threads] = process.argv.slice(2) as [string, string, string];
const steps = readdirSync(run).filter((s) => s.startsWith('step_')).sort();
const config = readModelConfig(JSON.parse(readFileSync(join(run, steps[0]!, 'config.json'), 'utf8')) as Record<string, unknown>);
const gradients = analysis === 'gradients';
const graph = buildForward(config, { batch: 8, seqLen: 128, gradients, outputs: { logits: false } });
const { session } = await createSession(graph.model, { provider: 'cpu', threads: Number(threads) });
const tokens = seededTokens(8 * 128, config.vocabSize);
for (const step of steps) {
  const source = await openCheckpoint(join(run, step));
  const r = await runForward(session, graph, lookupFromSource(source, config.family), tokens);
  for (const g of r.gradients.values()) histogram(g, GRADIENT_EDGES);
  await source.close();
  console.log(JSON.stringify({ step, loss: r.loss }));
}
