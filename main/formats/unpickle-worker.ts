// Worker-thread entry for unpickling (built to out/main/unpickle-worker.js): receives the bytes of
// one data.pkl and answers with its tensor list or the FormatError's problem. The thread runs with
// V8 resourceLimits set by `unpickle-thread.ts`, so a pickle that still manages to exhaust memory
// kills this worker, never the app.
import { parentPort } from 'node:worker_threads';
import { unpickleStateDict } from './state-dict';
import { FormatError } from './types';
import type { UnpickleReply, UnpickleRequest } from './unpickle-thread';

const port = parentPort;
if (!port) throw new Error('main/formats/unpickle-worker.ts must run in a worker thread');
port.on('message', (req: UnpickleRequest) => {
  let reply: UnpickleReply;
  try {
    reply = { id: req.id, tensors: unpickleStateDict(req.pickle, req.file, req.limits) };
  } catch (err) {
    reply = err instanceof FormatError
      ? { id: req.id, problem: err.problem }
      : { id: req.id, problem: `data.pkl: unpickling failed (${err instanceof Error ? err.name : 'error'})` };
  }
  port.postMessage(reply);
});
