/**
 * Entry of a document worker thread (document-workers.ts starts it): parsing large uploads,
 * extraction, chunking and the near-duplicate check run here, so a costly document never holds
 * the origin's event loop.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { parseJsonBody } from '../../shared/json-body.ts';
import { nearDuplicateRows } from './dedup.ts';
import type { DocumentTask, FromWorker, TaskResults, ToWorker } from './document-tasks.ts';
import { chunkDocument } from './prepare.ts';
import { currentThreadId } from './thread-cpu.ts';

if (!parentPort) throw new Error('document-worker.ts runs as a worker thread (document-workers.ts)');
const port = parentPort;

const tid = currentThreadId();
if (tid !== undefined) {
  // Batch work: where cores are few, chat streams and health checks on the main thread go first.
  // On Linux a thread id names just that thread here.
  try {
    setPriority(tid, 10);
  } catch {
    // Not permitted in this sandbox: the budget still bounds the work.
  }
}

function run(task: DocumentTask): TaskResults[DocumentTask['kind']] {
  if (task.kind === 'parse') return parseJsonBody(task.text);
  return task.kind === 'chunk' ? chunkDocument(task.job) : nearDuplicateRows(task.vectors, task.dims, task.threshold);
}

port.on('message', (m: ToWorker) => {
  let reply: FromWorker;
  try {
    reply = { type: 'done', id: m.id, result: run(m.task) };
  } catch (err) {
    reply = { type: 'failed', id: m.id, error: err instanceof Error ? err.name : typeof err };
  }
  port.postMessage(reply);
});
port.postMessage({ type: 'ready', tid } satisfies FromWorker);
