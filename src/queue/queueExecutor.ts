/**
 * The queue executor: runs a matrix on BullMQ workers anywhere (`vanillabench worker --queue ...`), one job per run.
 *
 * - Enqueue: every run not yet stored gets a job whose id derives from its runId, so a restarted coordinator adds
 *   nothing twice and picks up the jobs it left (queued, running, or finished meanwhile).
 * - Collect: a finished job's return value (the worker's run record) is handed to `onRecord` (the caller appends it
 *   to runs.jsonl and fsyncs), and only then is the job removed from Redis: a coordinator killed in between finds
 *   the job again and, the record being stored already, just removes it. This process is the store's only writer.
 * - Follow: progress and state changes arrive as QueueEvents; a poll of the unfinished jobs' states every few
 *   seconds catches whatever happened while no coordinator listened.
 * - A queue holding queued or running jobs of another matrix (another experiment or preset, a changed experiment,
 *   other matrix/record/protocol versions) is refused before anything is added.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { Executor, ExecutorEvent } from '../ablation/executor.js';
import type { RunDescription } from '../ablation/matrix.js';
import type { RunRecord } from '../ablation/recordCheck.js';
import { UserError } from '../util/errors.js';
import { checkRedis, describeRedisError, redactText, redisErrorWarner, redisOptions } from './connection.js';
import type { RunJobData } from './protocol.js';
import { QueueFollower, type QueueExecutorOptions } from './queueFollower.js';

export class QueueExecutor implements Executor {
  constructor(private readonly opts: QueueExecutorOptions) {}

  async run(todo: readonly RunDescription[], onRecord: (r: RunRecord) => void, onProgress: (e: ExecutorEvent) => void = () => {}): Promise<void> {
    if (todo.length === 0) return;
    const o = this.opts;
    const t = o.target;
    const log = o.log ?? (() => {});
    const redact = (s: string) => redactText(s, t.password);
    const { version } = await checkRedis(t, o.tuning);
    const connection = redisOptions(t, o.tuning);
    const queue = new Queue<RunJobData, RunRecord>(o.queueName, { connection });
    const events = new QueueEvents(o.queueName, { connection });
    const connError = redisErrorWarner(t, log);
    queue.on('error', connError);
    events.on('error', connError);
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      const follower = new QueueFollower(o, queue, events, { onRecord, onProgress, log, redact });
      const own = await follower.claimQueue(todo);
      await follower.enqueue(todo, own, version);
      return await follower.follow(own);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(
        `${describeRedisError(err, t)}; runs already collected are in the result store, queued ones stay in Redis: rerun the same command with --resume to continue`,
      );
    } finally {
      const closed = await Promise.race([
        Promise.allSettled([events.close(), queue.close()]).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref()),
      ]);
      // Redis away: a polite close waits for it; drop the connections so that no reconnect keeps this process alive
      if (!closed) {
        const conns = [queue, events].flatMap((q) => [q.backend.connection, q.backend.blockingConnection]);
        await Promise.allSettled(conns.map((c) => c?.disconnect(false)));
      }
    }
  }
}
