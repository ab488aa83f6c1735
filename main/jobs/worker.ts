// Worker-thread entry: receives UnitTasks, answers with progress, then results or an error.
// Errors are reported per task; the worker stays alive for the next one.
import { parentPort, workerData } from 'node:worker_threads';
import { runUnit, type UnitTask, type WorkerMessage } from './units';
import { useLargeTensorSlot } from './units/large-tensor';

const port = parentPort;
if (!port) throw new Error('main/jobs/worker.ts must run in a worker thread');
const shared = (workerData as { largeTensorSlot?: SharedArrayBuffer } | null)?.largeTensorSlot;
if (shared) useLargeTensorSlot(shared);

port.on('message', (task: UnitTask) => {
  const send = (msg: WorkerMessage): void => port.postMessage(msg);
  runUnit(task, (tensor) => send({ type: 'progress', tensor }))
    .then((results) => send({ type: 'done', results }))
    .catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
});
