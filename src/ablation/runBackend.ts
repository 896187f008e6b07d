/**
 * The backend a run executes on, and the one way that choice reaches the processes that train, in both executors:
 * - the process that starts them (ablate's local pool; `vanillabench worker` for BullMQ's sandboxed children) selects
 *   the backend itself first, so a missing one fails once and early and 'auto' resolves once, then names it in the
 *   children's environment (`backendEnv`);
 * - each child selects that backend once (`workerContext`);
 * - the backend the matrix asks for is checked against the one a process runs (`backendMismatch`, 'auto' takes any):
 *   by the pool when a worker is ready, and by a queue worker before each job, whose data carries the coordinator's
 *   --backend since queue workers are started on their own.
 * A queue coordinator trains nothing, so it selects no backend: the records it writes itself (jobs that failed on
 * the queue) name the backend it asked for.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendChoice, type BackendInfo } from '../backend/select.js';
import { gitCommit, machineInfo } from '../util/provenance.js';
import type { RecordContext } from './store.js';

/** The environment variable that names a training process's backend. */
const BACKEND_ENV = 'VANILLABENCH_RUN_BACKEND';

/** The environment entry that tells a child process which backend to select (its parent selected it already). */
export function backendEnv(name: string): NodeJS.ProcessEnv {
  return { [BACKEND_ENV]: name };
}

/** A training process's start (pool or queue): select the backend its parent named, then the provenance its records carry. */
export async function workerContext(log?: (line: string) => void): Promise<RecordContext> {
  const info = await selectBackend((process.env[BACKEND_ENV] ?? 'auto') as BackendChoice, log ? { log } : undefined);
  return contextFor(info);
}

/**
 * The provenance of the records a process writes: the backend it selected, or (a queue coordinator, which starts
 * no backend) the backend it asks its workers for, with the tfjs version installed here.
 */
export function contextFor(backend: BackendInfo | string): RecordContext {
  const [name, tfjsVersion] = typeof backend === 'string' ? [backend, tf.version.tfjs] : [backend.name, backend.tfjsVersion];
  const adapter = typeof backend === 'string' ? undefined : backend.adapter;
  return { backend: name, ...(adapter ? { adapter } : {}), tfjsVersion, commit: gitCommit(), machine: machineInfo() };
}

/** Why a process running backend `actual` may not take runs that ask for `asked` ('auto': any will do); null when it may. */
export function backendMismatch(asked: string, actual: string): string | null {
  return asked === 'auto' || asked === actual ? null : `runs backend ${actual}, the matrix asks for ${asked}`;
}
