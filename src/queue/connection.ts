/**
 * Redis connections for the job queue (BullMQ): parsing `redis://` / `rediss://` URLs, hiding their password in
 * everything we print or store, failing fast with one clear line when Redis cannot be reached or refuses us.
 *
 * BullMQ creates its ioredis clients itself from the options built here, so this module imports no Redis driver.
 * The password may come from the URL or, to keep it out of `ps` and shell history, from $VANILLABENCH_REDIS_PASSWORD.
 */
import { RedisConnection, type RedisOptions } from 'bullmq';
import { UserError } from '../util/errors.js';

export const PASSWORD_ENV = 'VANILLABENCH_REDIS_PASSWORD';
export const DEFAULT_QUEUE_NAME = 'vanillabench';

export interface RedisTarget {
  /** the URL with its password replaced by *** (safe to print and store) */
  redacted: string;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

/** Parses a Redis URL; a missing password is taken from $VANILLABENCH_REDIS_PASSWORD when that is set. */
export function parseRedisUrl(raw: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`--queue must be a Redis URL like redis://host:6379 or rediss://:PASSWORD@host:6380, got '${redactText(raw, passwordOf(raw))}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UserError(`--queue must be a redis:// or rediss:// (TLS) URL, got ${u.protocol}// in '${redactUrl(u)}'`);
  }
  if (!u.hostname) throw new UserError(`--queue URL '${redactUrl(u)}' names no host`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new UserError(`--queue URL '${redactUrl(u)}': the path must be a database number (e.g. /0), got '/${dbText}'`);
  const password = u.password ? decodeURIComponent(u.password) : env[PASSWORD_ENV] || undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  return {
    redacted: redactUrl(u),
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: u.protocol === 'rediss:',
  };
}

function passwordOf(raw: string): string | undefined {
  const m = /^[a-z]+:\/\/[^:@/]*:([^@/]*)@/i.exec(raw);
  return m?.[1] || undefined;
}

function redactUrl(u: URL): string {
  const c = new URL(u.href);
  if (c.password) c.password = '***';
  return c.href.replace(/\/$/, '');
}

/** `text` with every occurrence of the password (raw and URL-encoded) replaced by ***. */
export function redactText(text: string, password: string | undefined): string {
  if (!password) return text;
  let out = text;
  for (const p of new Set([password, encodeURIComponent(password)])) out = out.split(p).join('***');
  return out;
}

export interface ConnectionTuning {
  /** ms to wait for the TCP (and TLS) connection */
  connectTimeoutMs?: number;
  /** how long to keep reconnecting after a connection is lost before giving up (ms); 0: never give up */
  reconnectWindowMs?: number;
}

/**
 * ioredis options for BullMQ's clients. A lost connection is retried with backoff (Redis restarts, network blips)
 * for `reconnectWindowMs`, then the client gives up so that pending commands fail instead of hanging forever.
 */
export function redisOptions(t: RedisTarget, tuning: ConnectionTuning = {}): RedisOptions {
  const window = tuning.reconnectWindowMs ?? 60_000;
  let firstFailure = 0;
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    ...(t.tls ? { tls: { servername: t.host } } : {}),
    connectTimeout: tuning.connectTimeoutMs ?? 10_000,
    // the name BullMQ shows in CLIENT LIST is its own; ours only helps an operator reading it
    connectionName: 'vanillabench',
    retryStrategy: (times: number) => {
      if (times === 1) firstFailure = Date.now();
      if (window > 0 && Date.now() - firstFailure > window) return null;
      return Math.min(200 * 2 ** Math.min(times, 5), 5000);
    },
  };
}

/** One line for a connection error: what happened and what to do, never the password. */
export function describeRedisError(err: unknown, t: RedisTarget): string {
  const e = err as { code?: string; message?: string } | undefined;
  const msg = redactText(String(e?.message ?? err), t.password);
  const where = `Redis at ${t.redacted}`;
  if (/^NOAUTH/.test(msg)) return `${where} requires a password: give it in the URL (redis://:PASSWORD@host:port) or in $${PASSWORD_ENV}`;
  if (/^WRONGPASS|invalid password|invalid username-password/i.test(msg))
    return `${where} refused the password${t.username ? ` of user ${t.username}` : ''} (WRONGPASS): check the URL or $${PASSWORD_ENV}`;
  if (/ioredis/.test(msg) && /could not load/.test(msg)) return `the job queue needs the 'ioredis' package (BullMQ's Redis driver): run npm install`;
  const code = e?.code ?? /\b(E[A-Z]{4,})\b/.exec(msg)?.[1];
  if (/CERT|self[- ]signed|certificate/i.test(`${code ?? ''} ${msg}`)) {
    return `cannot use ${where}: TLS certificate not accepted (${msg}): for a private CA, point NODE_EXTRA_CA_CERTS at its certificate (PEM)`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot reach ${where}: connection refused (is redis-server running there, listening on that interface and port?)`;
    case 'ETIMEDOUT':
      return `cannot reach ${where}: connection timed out${t.tls ? ' (rediss:// needs a TLS port: is it a plain redis:// one?)' : ' (firewall, wrong host, or a TLS port that needs rediss://?)'}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach ${where}: unknown host ${t.host}`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${where} closed the connection${t.tls ? ' (is it a TLS port? rediss:// needs one)' : ' (a TLS-only port needs rediss://)'}: ${msg}`;
    default:
      return `cannot use ${where}: ${msg}`;
  }
}

/** An 'error' listener for BullMQ clients: ioredis reconnects by itself; one warning line every 30 s while it does. */
export function redisErrorWarner(t: RedisTarget, log: (line: string) => void): (err: Error) => void {
  let last = 0;
  return (err) => {
    if (Date.now() - last > 30_000) log(`warning: ${describeRedisError(err, t)}; retrying`);
    last = Date.now();
  };
}

/**
 * Connects once without retrying and runs PING: resolves when Redis answers, throws a UserError with one clear line
 * otherwise (unreachable, TLS mismatch, no or wrong password). Called before any BullMQ object is made.
 */
export async function checkRedis(t: RedisTarget, tuning: ConnectionTuning = {}): Promise<{ version: string }> {
  const conn = new RedisConnection(
    {
      ...redisOptions(t, tuning),
      connectTimeout: tuning.connectTimeoutMs ?? 5000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    },
    { blocking: false, shared: false, skipVersionCheck: true },
  );
  conn.on('error', () => {}); // reported through the rejected promise below
  try {
    const client = await conn.client;
    const info = String(await client.info());
    return { version: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' };
  } catch (err) {
    throw new UserError(describeRedisError(err, t));
  } finally {
    await conn.close().catch(() => {});
  }
}

/** BullMQ queue names: no ':' (its key separator) and nothing a shell or key listing would trip on. */
export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new UserError(`--queue-name must be letters, digits, '.', '_' and '-' (no ':'), got '${name}'`);
  }
  return name;
}
