/**
 * One matrix on the queue, for the queue executor (./queueExecutor.ts): claims the queue, enqueues the runs it lacks,
 * then follows events and polls until every run's record is collected, each job removed only once its record is
 * stored.
 */
import { Job, Queue, QueueEvents, type JobType } from 'bullmq';
import type { ExecutorEvent } from '../ablation/executor.js';
import type { RunDescription } from '../ablation/matrix.js';
import { failedRecord, type RecordContext } from '../ablation/store.js';
import type { RunRecord } from '../ablation/recordCheck.js';
import { UserError } from '../util/errors.js';
import type { ConnectionTuning, RedisTarget } from './connection.js';
import { checkReturnedRecord, jobData, jobIdOf, jobName, versionMismatch, type RunJobData, type RunJobProgress } from './protocol.js';

/** What a matrix on the queue runs with: the executor's options, which its follower reads. */
export interface QueueExecutorOptions {
  target: RedisTarget;
  queueName: string;
  /** the backend the coordinator asks for: 'auto' lets every worker use its own */
  backend: string;
  /** the whole matrix: jobs of runs outside it are another matrix's */
  matrix: { experiment: string; preset: string; runIds: readonly string[] };
  /** the store's latest record per run: a finished job whose record is stored already is only removed */
  stored?: ReadonlyMap<string, RunRecord>;
  /** provenance of the records this process writes itself (jobs that failed on the queue) */
  context: RecordContext;
  /** progress lines to start with (more appear when more jobs run at once) */
  slots?: number;
  /** how often to poll the unfinished jobs' states (default 2000 ms) */
  pollMs?: number;
  /** give up when no job of this matrix started, progressed or finished for this long (ms; 0: wait forever) */
  idleTimeoutMs?: number;
  /** remove other matrices' queued or finished jobs instead of refusing (their running jobs still refuse) */
  clearForeign?: boolean;
  tuning?: ConnectionTuning;
  log?: (line: string) => void;
}

const PENDING: JobType[] = ['active', 'waiting', 'waiting-children', 'delayed', 'prioritized'];
const FINISHED: JobType[] = ['completed', 'failed'];

export interface Found {
  job: Job<RunJobData, RunRecord>;
  state: JobType;
}

function describeMatrix(d: Partial<RunJobData>): string {
  return `experiment ${String(d.experiment)}, preset ${String(d.preset)}, matrix v${String(d.matrixVersion)} / record v${String(d.recordVersion)}`;
}

/** Every job of the queue with its state, finished ones first. */
export async function scanQueue(queue: Queue<RunJobData, RunRecord>): Promise<Found[]> {
  const found: Found[] = [];
  const seen = new Set<string>();
  // finished first: a job that finishes during the scan is then seen as pending and picked up by the poll
  for (const state of [...FINISHED, ...PENDING]) {
    for (const job of await queue.getJobs(state, 0, -1)) {
      if (!job?.id || seen.has(job.id)) continue;
      seen.add(job.id);
      found.push({ job: job as Job<RunJobData, RunRecord>, state });
    }
  }
  return found;
}

export interface FollowerCallbacks {
  onRecord: (r: RunRecord) => void;
  onProgress: (e: ExecutorEvent) => void;
  log: (line: string) => void;
  redact: (s: string) => string;
}

/**
 * One matrix on the queue: claims the queue (refusing or clearing other matrices' jobs), enqueues the runs it
 * lacks, then follows events and polls until every run has its record (collected one at a time, in order).
 */
export class QueueFollower {
  private readonly where: string;
  private readonly outstanding = new Map<string, RunDescription>();
  private readonly slotOf = new Map<string, number>();
  private readonly used: boolean[];
  private lastActivity = Date.now();
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private done: (err?: unknown) => void = () => {};
  /** collection is serialised: records reach the store one at a time, each job once */
  private chain: Promise<void> = Promise.resolve();
  private storeError: unknown = null;

  constructor(
    private readonly o: QueueExecutorOptions,
    private readonly queue: Queue<RunJobData, RunRecord>,
    private readonly events: QueueEvents,
    private readonly cb: FollowerCallbacks,
  ) {
    this.where = `queue '${o.queueName}' on ${o.target.redacted}`;
    this.used = Array.from({ length: Math.max(1, o.slots ?? 1) }, () => false);
  }

  /** Sorts the queue's jobs into this matrix's and other matrices'; refuses, or with clearForeign removes, the others. */
  async claimQueue(todo: readonly RunDescription[]): Promise<Map<string, Found>> {
    const { o, where } = this;
    const inMatrix = new Set(o.matrix.runIds);
    const found = await scanQueue(this.queue);
    const foreign: (Found & { why: string })[] = [];
    const own = new Map<string, Found>();
    for (const f of found) {
      const d = f.job.data as Partial<RunJobData>;
      const mismatch = versionMismatch(d);
      const why =
        mismatch ??
        (d.experiment !== o.matrix.experiment || d.preset !== o.matrix.preset
          ? describeMatrix(d)
          : !inMatrix.has(d.run!.runId) || f.job.id !== jobIdOf(d.run!)
            ? `a run of ${d.experiment} (${d.preset}) that is not in this matrix (was the experiment changed?)`
            : null);
      if (why) foreign.push({ ...f, why });
      else own.set(f.job.id!, f);
    }
    const foreignActive = foreign.filter((f) => f.state === 'active');
    const foreignPending = foreign.filter((f) => f.state !== 'active' && !FINISHED.includes(f.state));
    const foreignFinished = foreign.filter((f) => FINISHED.includes(f.state));
    if (foreignActive.length || (foreignPending.length && !o.clearForeign)) {
      const f = foreignActive[0] ?? foreignPending[0];
      const n = foreignActive.length + (o.clearForeign ? 0 : foreignPending.length);
      throw new UserError(
        `${where} holds ${n} queued or running job${n > 1 ? 's' : ''} of another matrix (e.g. job ${f.job.id}: ${f.why}): ` +
          (foreignActive.length ? 'wait until its running jobs finish, ' : 'let its coordinator finish it, ') +
          `or use another queue for this one (--queue-name NAME here and on its workers)${foreignActive.length ? '' : ', or remove those jobs with --queue-clear'}`,
      );
    }
    if (o.clearForeign && (foreignPending.length || foreignFinished.length)) {
      for (const f of [...foreignPending, ...foreignFinished]) await f.job.remove().catch(() => {});
      this.cb.log(`${where}: removed ${foreignPending.length + foreignFinished.length} jobs of other matrices (--queue-clear)`);
    } else if (foreignFinished.length) {
      this.cb.log(
        `${where}: ${foreignFinished.length} finished job${foreignFinished.length > 1 ? 's' : ''} of another matrix (${foreignFinished[0].why}) wait for their coordinator to collect them`,
      );
    }
    for (const r of todo) this.outstanding.set(jobIdOf(r), r);
    return own;
  }

  /** Removes the jobs of runs stored already, adds jobs for the runs the queue lacks (in matrix order) and says so. */
  async enqueue(todo: readonly RunDescription[], own: Map<string, Found>, redisVersion: string): Promise<void> {
    const o = this.o;
    // jobs of runs stored already (a coordinator killed between storing a record and removing its job)
    let cleaned = 0;
    for (const [id, f] of own) {
      if (this.outstanding.has(id)) continue;
      own.delete(id);
      if (
        f.state !== 'active' &&
        (await f.job.remove().then(
          () => true,
          () => false,
        ))
      )
        cleaned++;
    }
    // an id that exists already is left as it is
    const missing = todo.filter((r) => !own.has(jobIdOf(r)));
    if (missing.length) {
      await this.queue.addBulk(
        missing.map((r) => {
          const data = jobData(r, o.backend);
          return { name: jobName(data), data, opts: { jobId: jobIdOf(r), attempts: 1, removeOnComplete: false, removeOnFail: false } };
        }),
      );
    }
    const finishedMeanwhile = [...own.values()].filter((f) => FINISHED.includes(f.state)).length;
    const workers = await this.queue.getWorkersCount().catch(() => -1);
    this.cb.log(
      `${this.where} (Redis ${redisVersion}): ${missing.length} run${missing.length === 1 ? '' : 's'} enqueued` +
        `${own.size ? `, ${own.size - finishedMeanwhile} already queued or running, ${finishedMeanwhile} finished while no coordinator listened` : ''}` +
        `${cleaned ? `, ${cleaned} already stored (removed from the queue)` : ''}; ${workers >= 0 ? `${workers} worker${workers === 1 ? '' : 's'} connected` : 'workers unknown'}`,
    );
  }

  /** Follows events and polls until every run has its record; rejects when the store fails or the idle timeout passes. */
  follow(own: ReadonlyMap<string, Found>): Promise<void> {
    this.used.forEach((_, i) => this.cb.onProgress({ kind: 'worker', worker: i, state: 'ready' }));
    return new Promise<void>((resolve, reject) => {
      this.done = (err?: unknown) => (err ? reject(err) : resolve());
      this.listen();
      this.timer = setInterval(() => this.poll(), this.o.pollMs ?? 2000);
      // jobs found finished at the start
      for (const [id, f] of own) if (FINISHED.includes(f.state)) this.collect(id);
    });
  }

  private finish(err?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.timer);
    this.events
      .removeAllListeners('active')
      .removeAllListeners('progress')
      .removeAllListeners('completed')
      .removeAllListeners('failed')
      .removeAllListeners('stalled');
    this.done(err);
  }

  private slot(jobId: string): number {
    let s = this.slotOf.get(jobId);
    if (s !== undefined) return s;
    s = this.used.indexOf(false);
    if (s < 0) s = this.used.push(false) - 1;
    this.used[s] = true;
    this.slotOf.set(jobId, s);
    this.cb.onProgress({ kind: 'start', worker: s, run: this.outstanding.get(jobId)! });
    return s;
  }

  private release(jobId: string): number | undefined {
    const s = this.slotOf.get(jobId);
    if (s !== undefined) this.used[s] = false;
    this.slotOf.delete(jobId);
    return s;
  }

  private listen(): void {
    const { events, outstanding, cb } = this;
    events.on('active', ({ jobId }) => {
      if (!outstanding.has(jobId)) return;
      this.lastActivity = Date.now();
      this.slot(jobId);
    });
    events.on('progress', ({ jobId, data }) => {
      if (!outstanding.has(jobId) || typeof data !== 'object' || data === null) return;
      this.lastActivity = Date.now();
      const p = data as Partial<RunJobProgress>;
      if (typeof p.epoch !== 'number' || typeof p.step !== 'number') return;
      cb.onProgress({
        kind: 'step',
        worker: this.slot(jobId),
        runId: outstanding.get(jobId)!.runId,
        epoch: p.epoch,
        epochs: p.epochs ?? 0,
        step: p.step,
        stepsPerEpoch: p.stepsPerEpoch ?? 1,
        loss: p.loss ?? NaN,
        imagesPerSec: p.imagesPerSec ?? 0,
      });
    });
    events.on('completed', ({ jobId }) => this.collect(jobId));
    events.on('failed', ({ jobId }) => this.collect(jobId));
    events.on('stalled', ({ jobId }) => {
      const run = outstanding.get(jobId);
      if (!run) return;
      const s = this.release(jobId);
      if (s !== undefined) cb.onProgress({ kind: 'worker', worker: s, state: 'ready' });
      cb.log(
        `${run.cell.label} seed ${run.seed}: its worker stopped renewing the job's lock (killed or hung?); BullMQ puts it back in the queue for another worker`,
      );
    });
  }

  private collect(jobId: string): void {
    this.chain = this.chain
      .then(() => this.collectOne(jobId))
      .catch((err: unknown) => {
        // the store failing ends the matrix; a Redis error is retried by the next poll
        if (this.storeError !== null) this.finish(this.storeError);
        else this.cb.log(`warning: collecting job ${jobId}: ${this.cb.redact(err instanceof Error ? err.message : String(err))}; retrying`);
      });
  }

  /** A finished job's record to the store (a failed job or a bad record: a failed record), then the job goes. */
  private async collectOne(jobId: string): Promise<void> {
    const { o, cb } = this;
    if (this.settled || !this.outstanding.has(jobId)) return;
    const run = this.outstanding.get(jobId)!;
    const job = (await Job.fromId(this.queue, jobId)) as Job<RunJobData, RunRecord> | undefined;
    if (!job) {
      // removed behind our back (e.g. by hand): queue it again
      cb.log(`warning: job ${jobId} (${run.cell.label} seed ${run.seed}) disappeared from the queue; adding it again`);
      const data = jobData(run, o.backend);
      await this.queue.add(jobName(data), data, { jobId, attempts: 1, removeOnComplete: false, removeOnFail: false });
      return;
    }
    const state = await job.getState();
    if (state !== 'completed' && state !== 'failed') return;
    const secs = job.finishedOn && job.processedOn ? (job.finishedOn - job.processedOn) / 1000 : 0;
    const by = job.processedBy ? ` on worker ${job.processedBy}` : '';
    let record: RunRecord;
    if (state === 'completed') {
      const problem = checkReturnedRecord(job.returnvalue, run);
      record = problem ? failedRecord(run, `${problem}${by}`, secs, o.context) : job.returnvalue;
    } else {
      record = failedRecord(run, cb.redact(`the job failed${by}: ${job.failedReason || 'no reason given'}`), secs, o.context);
    }
    const stored = o.stored?.get(run.runId);
    const already = stored !== undefined && stored.date === record.date && stored.status === record.status;
    this.outstanding.delete(jobId);
    const s = this.release(jobId) ?? 0;
    this.lastActivity = Date.now();
    if (!already) {
      try {
        cb.onRecord(record);
      } catch (err) {
        this.storeError = err;
        throw err;
      }
      cb.onProgress({ kind: 'record', worker: s, record });
    }
    // only now that the record is stored (fsync) may the job go
    await job.remove().catch((err: unknown) => cb.log(`warning: could not remove finished job ${jobId} from the queue: ${cb.redact(String(err))}`));
    if (this.outstanding.size === 0) this.finish();
  }

  private polling = false;
  private lastHint = Date.now();
  private failingSince = 0;

  /** The poll: states of unfinished jobs (events missed while away, or lost), idle timeout, hints. */
  private poll(): void {
    if (this.settled) return;
    if (this.redisGone()) return;
    if (this.polling) return;
    this.polling = true;
    this.pollStarted = Date.now();
    // Redis away: give up after the reconnect window, or sooner at --queue-timeout
    const patience = Math.min(this.o.tuning?.reconnectWindowMs || 60_000, this.o.idleTimeoutMs || Infinity);
    this.pollOnce()
      .then(
        () => {
          this.failingSince = 0;
        },
        (err: unknown) => {
          // Redis away: BullMQ's clients reconnect; give up only when that has failed for a while
          if (err instanceof UserError) return this.finish(err);
          this.failingSince ||= Date.now();
          if (Date.now() - this.failingSince > patience) this.finish(err);
        },
      )
      .finally(() => {
        this.polling = false;
      });
  }

  private pollStarted = 0;

  /**
   * Whether Redis stopped answering (a poll pending, or polls failing) for longer than --queue-timeout with no run
   * heard of: the matrix then ends, its state resumable (records collected so far are stored; jobs stay queued).
   */
  private redisGone(): boolean {
    const o = this.o;
    const since = this.failingSince || (this.polling ? this.pollStarted : 0);
    if (!o.idleTimeoutMs || !since || Date.now() - since <= o.idleTimeoutMs || Date.now() - this.lastActivity <= o.idleTimeoutMs) return false;
    this.finish(
      new UserError(
        `${this.where} has not answered for ${Math.round((Date.now() - since) / 1000)}s (--queue-timeout ${Math.round(o.idleTimeoutMs / 1000)}): ` +
          `stopped waiting; the ${this.outstanding.size} unfinished run${this.outstanding.size === 1 ? '' : 's'} were not collected: when Redis is back, rerun this command with --resume`,
      ),
    );
    return true;
  }

  private async pollOnce(): Promise<void> {
    const { o, queue, where, outstanding } = this;
    for (const jobId of [...outstanding.keys()]) {
      const state = await queue.getJobState(jobId);
      if (state === 'completed' || state === 'failed' || state === 'unknown') this.collect(jobId);
      else if (state === 'active' && !this.slotOf.has(jobId)) this.slot(jobId);
    }
    const idle = Date.now() - this.lastActivity;
    if (this.slotOf.size === 0 && Date.now() - this.lastHint > 60_000) {
      this.lastHint = Date.now();
      const n = await queue.getWorkersCount();
      if (n === 0)
        this.cb.log(
          `no worker is connected to ${where}: start some with \`vanillabench worker --queue ${o.target.redacted}${o.queueName !== 'vanillabench' ? ` --queue-name ${o.queueName}` : ''}\``,
        );
    }
    if (o.idleTimeoutMs && idle > o.idleTimeoutMs) {
      const n = await queue.getWorkersCount().catch(() => -1);
      this.finish(
        new UserError(
          `no run of this matrix started, progressed or finished on ${where} for ${Math.round(idle / 1000)}s (${n >= 0 ? `${n} workers connected` : 'workers unknown'}): ` +
            `${outstanding.size} unfinished run${outstanding.size > 1 ? 's' : ''} stay queued; start workers and rerun this command with --resume to collect them`,
        ),
      );
    }
  }
}
