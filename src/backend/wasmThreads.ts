/**
 * tfjs-backend-wasm's multi-threaded build (XNNPACK on a pthread pool) in Node.
 *
 * tfjs 4.22 never uses it in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is false there, tfjs issue 3830): it hands
 * emscripten the pthread worker script and the module's own script as blob: URLs, and Node's worker_threads cannot
 * load a blob: URL. The build itself supports Node (emscripten's worker_threads path), so this module
 *  - writes both scripts to a temporary folder while the backend initializes and hands out their paths (the module
 *    script is the factory's source, which refers to a few names of the bundle around it: the worker defines them);
 *  - reports 2 x the threads asked for as the logical core count while the backend initializes: tfjs sizes the pool
 *    as min(asked, logical cores / 2, 8), assuming two hyper-threads per core, so on a 2-vCPU machine it would run
 *    one thread whatever was asked.
 * The thread count is fixed for the process once the backend is up; selectBackend checks that the pool has the
 * count asked for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** The most threads tfjs-backend-wasm's pool has (it pre-creates 8 workers). */
export const MAX_WASM_THREADS = 8;

/** The worker's code that loads the module script from the blob it is sent; replaced by a load from our file. */
const WORKER_LOAD =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';
const MODULE_PREFIX = 'var WasmBackendModuleThreadedSimd';

/** What the factory's source needs from the bundle around it, defined as globals in each worker. */
function workerPrelude(): string {
  const tslib = createRequire(import.meta.url).resolve('tslib');
  return (
    "Object.assign(globalThis,{require$$0:require('fs'),require$$1:require('path'),require$$3:require('perf_hooks')," +
    `require$$4:require('os'),commonjsGlobal:globalThis,_scriptDir:__filename},require(${JSON.stringify(tslib)}));`
  );
}

interface PThreadPool {
  runningWorkers?: { unref?: () => void }[];
  unusedWorkers?: { unref?: () => void }[];
}

/**
 * Lets the process end while the pool's threads wait for work: emscripten keeps a running pthread's worker referenced,
 * so a finished command would otherwise never exit. Call once the wasm backend is up.
 */
export function releaseWasmThreadsAtExit(): void {
  const backend = tf.findBackend('wasm') as unknown as { wasm?: { PThread?: PThreadPool } } | undefined;
  const pool = backend?.wasm?.PThread;
  for (const w of [...(pool?.runningWorkers ?? []), ...(pool?.unusedWorkers ?? [])]) w.unref?.();
}

/**
 * Makes the next initialization of the wasm backend use the threaded build with `threads` threads. Returns the
 * function that undoes the temporary patches (Blob, URL.createObjectURL, os.cpus); call it once the backend is up.
 */
export function enableWasmThreads(threads: number): () => void {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS)
    throw new RangeError(`wasm threads must be 1..${MAX_WASM_THREADS}, got ${threads}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vanillabench-wasm-threads-'));
  // the workers read the scripts when they start and when the pool grows: the folder stays until the process ends
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const modulePath = path.join(dir, 'module.cjs');
  const texts = new WeakMap<Blob, string>();
  const RealBlob = globalThis.Blob;
  const realCreate = URL.createObjectURL;
  const realCpus = os.cpus;
  let workers = 0;

  globalThis.Blob = class extends RealBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (!parts?.every((p) => typeof p === 'string')) return;
      const text = parts.join('');
      texts.set(this, text);
      if (text.startsWith(MODULE_PREFIX)) writeFileSync(modulePath, text);
    }
  };
  URL.createObjectURL = (obj: Blob) => {
    const text = texts.get(obj);
    if (text === undefined) return realCreate(obj);
    // during the backend's start the only script handed out is the pthread worker
    if (!text.includes(WORKER_LOAD)) throw new Error(`tfjs-backend-wasm's pthread worker is not the one --threads knows (tfjs 4.22)`);
    const file = path.join(dir, `worker-${workers++}.cjs`);
    writeFileSync(file, workerPrelude() + text.replace(WORKER_LOAD, `importScripts(${JSON.stringify(modulePath)});`));
    return file;
  };
  os.cpus = () => {
    const cpus = realCpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  return () => {
    globalThis.Blob = RealBlob;
    URL.createObjectURL = realCreate;
    os.cpus = realCpus;
  };
}
