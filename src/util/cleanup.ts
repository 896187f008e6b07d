/**
 * Work to do once a command has finished, before Node exits: e.g. releasing the WebGPU device, which otherwise
 * keeps the process alive. The CLI runs these after every command (src/cli.ts); each runs once.
 */
const hooks = new Set<() => void>();

export function atCommandEnd(fn: () => void): void {
  hooks.add(fn);
}

export function runCommandEndHooks(): void {
  for (const fn of hooks) {
    try {
      fn();
    } catch {
      // a failed release must not turn a finished command into an error
    }
  }
  hooks.clear();
}
