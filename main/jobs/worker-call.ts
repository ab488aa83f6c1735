// One unit in a worker thread (main/jobs/worker.ts): post the task, pass its progress on, and
// resolve with its results, its error, or the worker's death (cancel, out of memory, native crash).
import type { Worker } from 'node:worker_threads';
import type { UnitResults } from '../store/store';
import type { UnitTask, WorkerMessage } from './units';

export type Outcome = { kind: 'done'; results: UnitResults } | { kind: 'error'; message: string } | { kind: 'exit'; message: string };

export function runInWorker(worker: Worker, task: UnitTask, onTensor: (tensor: string) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (msg: WorkerMessage): void => {
      if (msg.type === 'progress') return onTensor(msg.tensor);
      cleanup();
      resolve(msg.type === 'done' ? { kind: 'done', results: msg.results } : { kind: 'error', message: msg.message });
    };
    const onError = (err: Error): void => {
      cleanup();
      resolve({ kind: 'exit', message: `worker failed: ${err.message}` });
    };
    const onExit = (code: number): void => {
      cleanup();
      resolve({ kind: 'exit', message: `worker exited with code ${code}` });
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(task);
  });
}
