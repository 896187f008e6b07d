/**
 * A real redis-server for the queue tests: on a free loopback port, in a temporary folder, no persistence, optionally
 * with a password; plus the built CLI as child processes whose output the tests can wait on.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureBuilt as build } from '../support/build.js';
import { freePort } from '../../src/util/freePort.js';
export { freePort };
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function redisServerPath(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    const p = path.join(dir, 'redis-server');
    if (dir && existsSync(p)) return p;
  }
  return null;
}

export interface RedisServer {
  port: number;
  /** redis://[:password@]127.0.0.1:port */
  url: string;
  stop(): Promise<void>;
}

/** Starts redis-server bound to 127.0.0.1 on a free port; resolves once it accepts connections. */
export async function startRedis(opts: { password?: string; tls?: { cert: string; key: string } } = {}): Promise<RedisServer> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server not found');
  const dir = mkdtempSync(path.join(tmpdir(), 'vb-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const tls = opts.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          opts.tls.cert,
          '--tls-key-file',
          opts.tls.key,
          '--tls-ca-cert-file',
          opts.tls.cert,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)];
    const args = [
      ...tls,
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      '',
      ...(opts.password ? ['--requirepass', opts.password] : []),
    ];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve(false), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) {
      child.kill('SIGKILL');
      if (attempt < 3) continue; // the port was taken in between
      throw new Error('redis-server did not start');
    }
    return {
      port,
      url: `${opts.tls ? 'rediss' : 'redis'}://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}${opts.tls ? 'localhost' : '127.0.0.1'}:${port}`,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) {
            rmSync(dir, { recursive: true, force: true });
            resolve();
            return;
          }
          child.once('exit', () => {
            rmSync(dir, { recursive: true, force: true });
            resolve();
          });
          child.kill('SIGKILL');
        }),
    };
  }
}

/** A self-signed certificate for localhost / 127.0.0.1 made with openssl; null without openssl. */
export function selfSignedCert(dir: string): { cert: string; key: string } | null {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { cert, key };
  } catch {
    return null;
  }
}

/** A CLI process with its output collected; `waitFor` resolves when stderr (or stdout) matches. */
export class Cli {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    // the Redis password never comes from the developer's environment
    env = { VANILLABENCH_REDIS_PASSWORD: '', ...env };
    this.child = spawn(process.execPath, ['bin/vanillabench.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const check = () => {
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(this.stderr) && !w.test(this.stdout)) return true;
        w.resolve();
        return false;
      });
    };
    this.child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      check();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      check();
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves when stderr or stdout matches `re` (or satisfies the predicate). */
  waitFor(re: RegExp | ((out: string) => boolean), timeoutMs = 60_000): Promise<void> {
    const test = typeof re === 'function' ? re : (s: string) => re.test(s);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${this.stderr}\n${this.stdout}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.exited.then(() => setTimeout(() => reject(new Error(`process exited before ${re}:\n${this.stderr}\n${this.stdout}`)), 50));
      if (test(this.stderr) || test(this.stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  async result(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    const r = await this.exited;
    return { ...r, stdout: this.stdout, stderr: this.stderr };
  }
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Cli(args, env).result();
}

/** Builds dist when a source is newer than the outputs the queue tests run. */
export function ensureBuilt(): void {
  build(['dist/src/cli.js', 'dist/src/ablation/poolWorker.js', 'dist/src/queue/processor.js', 'dist/src/commands/worker.js', 'dist/experiments/smoke.js']);
}
